import type { Server } from 'node:http';
import dotenv from 'dotenv';
import { createApp, createServices } from './app';
import { createLogger } from './app/logger';
import { ConfigError, loadConfig } from './config';
import { openDatabase } from './models';
import { migrate } from './models/migrate';
import { seedDemoUser, DEMO_USER } from './seeders/demo-user';

// How long in-flight requests get to finish after SIGTERM before connections are cut.
const SHUTDOWN_GRACE_MS = 10_000;

/** Boot only: config -> database -> migrations -> (dev seed) -> listen; then wait for a signal. */
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
  const logger = createLogger(config.logLevel);
  if (config.jwt.secretGenerated) logger.warn('JWT_SECRET is not set: using a random secret, so tokens die with this process');

  const db = await openDatabase(config.database);
  const applied = await migrate(db.sequelize);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  if (config.seedDemoUser && (await db.User.count()) === 0) {
    await seedDemoUser(db, createServices({ config, db }).passwords);
    logger.info(`empty database: seeded demo user ${DEMO_USER.username} / ${DEMO_USER.password} (development only)`);
  }

  const server = createApp({ config, db, logger }).listen(config.port, () => {
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : config.port;
    logger.info({ port, env: config.env, database: config.database.dialect }, `listening on http://localhost:${port}`);
  });

  let stopping = false;
  async function shutdown(reason: string, exitCode: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    logger.info({ reason }, 'shutting down: finishing in-flight requests');
    const force = setTimeout(() => server.closeAllConnections(), SHUTDOWN_GRACE_MS).unref();
    await closeServer(server);
    clearTimeout(force);
    await db.sequelize.close().catch((error: unknown) => logger.error({ err: error }, 'closing the database failed'));
    logger.info('stopped');
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

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}

main().catch((error: unknown) => {
  console.error(`startup failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
