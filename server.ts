import cluster from 'node:cluster';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { type AddressInfo, isIPv6 } from 'node:net';
import dotenv from 'dotenv';
import { bootApp } from './app/boot';
import { answerClientError } from './app/client-error';
import { runPrimary } from './app/cluster/primary';
import { closeDatabase, DATABASE_CLOSE_MS } from './app/close-database';
import { createHttpServer } from './app/http-server';
import { startThreadPool } from './app/thread-pool';
import { startTokenPruning } from './app/token-pruning';
import { startMailDelivery } from './app/mail';
import { createLogger } from './app/logger';
import { ConfigError, loadConfig } from './config';

// How long in-flight requests get to finish after SIGTERM before connections are cut.
const SHUTDOWN_GRACE_MS = 10_000;

/**
 * Boot only: config -> database -> migrations -> (dev seed) -> listen (app/boot.ts up
 * to the listen); then wait for a signal. With WEB_CONCURRENCY > 1 this process is
 * the cluster primary (app/cluster/primary.ts), and each worker it forks runs this
 * same file as a server that leaves migrations and seeding to the primary.
 */
async function main(): Promise<void> {
  dotenv.config({ quiet: true });
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) console.error(`config: ${problem}`);
    process.exit(1);
  }
  startThreadPool(config.threadPool); // before anything queues work on the pool: see app/thread-pool.ts
  const logger = createLogger(config.logLevel);
  const worker = cluster.isWorker;
  if (config.jwt.secretGenerated && !worker) logger.warn('JWT_SECRET is not set: using a random secret, so tokens die with this process');
  if (config.webConcurrency > 1 && !worker) {
    await runPrimary(config, logger);
    return;
  }

  const { app, db, channel, redis, outbox } = await bootApp(config, logger, { worker });
  // A lone process prunes (on PostgreSQL one process per run, by lock) and sends mail; in a cluster the primary does.
  const pruning = worker ? null : startTokenPruning({ db, config, logger });
  const mail = worker ? null : startMailDelivery({ db, config, logger, outbox });
  const server = createHttpServer(app).listen({ port: config.port, host: config.host ?? undefined }, () => {
    const { address, port } = server.address() as AddressInfo;
    logger.info({ address, port, env: config.env, database: config.database.dialect }, listeningMessage(address, port));
  });

  server.on('clientError', answerClientError);
  const drain = drainOnShutdown(server);
  let stopping = false;
  async function shutdown(reason: string, exitCode: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down: finishing in-flight requests');
    // Whatever hangs (a request, the database close), the process is gone by then.
    setTimeout(() => {
      logger.error({ reason }, 'shutdown took too long: exiting anyway');
      process.exit(exitCode === 0 ? 1 : exitCode);
    }, SHUTDOWN_GRACE_MS + DATABASE_CLOSE_MS + 2_000).unref();
    await drain(SHUTDOWN_GRACE_MS);
    await pruning?.stop();
    await mail?.stop();
    await channel.close();
    await redis?.close();
    await closeDatabase(db.sequelize, logger);
    logger.info({ reason }, 'stopped');
    logger.flush();
    process.exit(exitCode);
  }

  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.on('SIGINT', () => void shutdown('SIGINT', 0));
  // A process that has thrown somewhere unknown is not trusted to keep serving: log, drain, exit non-zero.
  process.on('unhandledRejection', (reason) => {
    logger.fatal({ err: reason }, 'unhandled promise rejection');
    void shutdown('unhandledRejection', 1);
  });
  process.on('uncaughtException', (error) => {
    logger.fatal({ err: error }, 'uncaught exception');
    void shutdown('uncaughtException', 1);
  });
}

/**
 * Where the server listens, in words: every interface, one address, or loopback
 * only (the default outside production), saying plainly what that means.
 */
function listeningMessage(address: string, port: number): string {
  if (address === '::' || address === '0.0.0.0') return `listening on all interfaces (${address}), port ${port}`;
  const url = `http://${isIPv6(address) ? `[${address}]` : address}:${port}`;
  const loopback = address === '::1' || address.startsWith('127.');
  return loopback ? `listening on ${url}, loopback only: other machines cannot connect (set HOST, e.g. HOST=0.0.0.0, to change that)` : `listening on ${url}`;
}

/**
 * Graceful close for an HTTP/1.1 server with keep-alive clients. server.close()
 * stops accepting at once but then waits for every open connection, and a
 * keep-alive socket stays open for keepAliveTimeout after its last response. So,
 * once draining: every response not yet sent carries `Connection: close` (Node
 * then ends the socket after it, and the client knows not to reuse it), sockets
 * that go idle are closed as they do, and whatever is still open after the grace
 * period is cut.
 */
function drainOnShutdown(server: Server): (graceMs: number) => Promise<void> {
  let draining = false;
  const open = new Set<ServerResponse>();
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    if (draining) res.setHeader('Connection', 'close');
    open.add(res);
    res.once('close', () => open.delete(res));
  });

  return function drain(graceMs) {
    draining = true;
    for (const res of open) if (!res.headersSent) res.setHeader('Connection', 'close');
    return new Promise((resolve) => {
      const idle = setInterval(() => server.closeIdleConnections(), 100);
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      server.close(() => {
        clearInterval(idle);
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    });
  };
}

main().catch((error: unknown) => {
  console.error(`startup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
