import cluster, { Worker } from 'node:cluster';
import type { Logger } from 'pino';
import type { Config } from '../../config';
import { openDatabase } from '../../models';
import { prepareDatabase } from '../boot';
import { closeDatabase } from '../close-database';
import { relaySessionNotices } from '../invalidation/cluster-channel';
import { shareRateLimitsFromPrimary } from './rate-limit-primary';
import { startTokenPruning } from '../token-pruning';
import { startMailDelivery } from '../mail';

/**
 * Restart backoff for a worker that died: doubles with each death in a row, up to
 * `maxMs`; a worker that stayed up `stableMs` resets it. So a worker that crashes
 * at boot (a bad deploy, the database down) is retried, not forked in a hot loop.
 */
export const RESTART = { firstMs: 100, maxMs: 30_000, stableMs: 30_000 };
/** How long the workers get to drain after SIGTERM (their own grace is 10 s, plus closing) before they are killed. */
const STOP_WORKERS_MS = 20_000;

/**
 * The cluster primary of `WEB_CONCURRENCY` > 1: it serves no request. It migrates
 * and seeds once, forks the workers (which share one port: Node's cluster module
 * hands each incoming connection to one of them), relays their session notices to
 * one another, keeps their rate-limit counts (without Redis), prunes, restarts any that dies, and on SIGTERM or SIGINT drains them all
 * and exits 0. A worker is a whole server (server.ts): one that crashes takes only
 * its own connections with it.
 */
export async function runPrimary(config: Readonly<Config>, logger: Logger): Promise<void> {
  const db = await openDatabase(config.database);
  try {
    await prepareDatabase(db, config, logger);
  } catch (error) {
    await db.sequelize.close();
    throw error;
  }
  // The primary is the one process that prunes here (on SQLite, the only one that may).
  const pruning = startTokenPruning({ db, config, logger });
  const mail = startMailDelivery({ db, config, logger });

  relaySessionNotices(cluster);
  shareRateLimitsFromPrimary();
  let stopping = false;
  let deathsInARow = 0;
  const startedAt = new Map<Worker, number>();

  // A secret made up at start (development without JWT_SECRET) must be the same in every worker.
  const workerEnv = config.jwt.secretGenerated ? { JWT_SECRET: config.jwt.secret } : {};
  const fork = () => {
    const worker = cluster.fork(workerEnv);
    startedAt.set(worker, Date.now());
    logger.info({ worker: worker.id, workerPid: worker.process.pid }, 'worker started');
  };

  cluster.on('exit', (worker, code, signal) => {
    const upMs = Date.now() - (startedAt.get(worker) ?? Date.now());
    startedAt.delete(worker);
    if (stopping) return;
    deathsInARow = upMs >= RESTART.stableMs ? 1 : deathsInARow + 1;
    const delayMs = Math.min(RESTART.maxMs, RESTART.firstMs * 2 ** (deathsInARow - 1));
    logger.error({ worker: worker.id, workerPid: worker.process.pid, code, signal, upMs, restartInMs: delayMs }, 'worker died: restarting it');
    setTimeout(() => {
      if (!stopping) fork();
    }, delayMs);
  });

  for (let i = 0; i < config.webConcurrency; i += 1) fork();
  logger.info({ workers: config.webConcurrency }, `primary ${process.pid} running ${config.webConcurrency} workers`);

  const stop = (reason: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down: draining every worker');
    // A worker drains on SIGTERM exactly as a lone server does (server.ts).
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    const force = setTimeout(() => {
      logger.error('workers still running after the grace period: killing them');
      for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    }, STOP_WORKERS_MS);
    let closing = false;
    const check = () => {
      if (closing || Object.keys(cluster.workers ?? {}).length > 0) return;
      closing = true;
      clearTimeout(force);
      void pruning
        .stop()
        .then(() => mail?.stop())
        .then(() => closeDatabase(db.sequelize, logger))
        .finally(() => {
          logger.info({ reason }, 'stopped');
          logger.flush();
          process.exit(0);
        });
    };
    cluster.on('exit', check);
    check();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
