import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { Database, openDatabase } from '../models';
import { migrate } from '../models/migrate';
import { DEMO_ACCOUNTS, seedDemoAccount } from '../seeders/demo-user';
import { createApp, createServices } from '.';
import { createRedisConnection, RedisConnection } from './redis';

export interface BootedApp {
  app: Express;
  db: Database;
  /**
   * With REDIS_URL: the connection the rate limits count in. Not awaited at boot (the app
   * counts per process until it is up); the server closes it on shutdown, after draining.
   */
  redis: RedisConnection | null;
}

/**
 * The boot path short of listening: database -> migrations -> (dev seed: johndoe and admin) -> app.
 * server.ts runs it and then listens; a test can run the very same path in process.
 * On failure the database (and the Redis connection) are closed again.
 */
export async function bootApp(config: Readonly<Config>, logger: Logger): Promise<BootedApp> {
  const db = await openDatabase(config.database);
  const redis = config.redisUrl === null ? null : createRedisConnection(config.redisUrl, logger);
  try {
    const applied = await migrate(db.sequelize);
    if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
    // Once: the services register model hooks and hold the session cache the app must share.
    const services = createServices({ config, db });
    if (config.seedDemoUser && (await db.User.count()) === 0) {
      for (const account of DEMO_ACCOUNTS) {
        await seedDemoAccount(db, services.passwords, account);
        logger.info(`empty database: seeded demo ${account.kind} ${account.username} / ${account.password} (development only)`);
      }
    }
    return { app: createApp({ config, db, logger, services, redis: redis ?? undefined }), db, redis };
  } catch (error) {
    await redis?.close();
    await db.sequelize.close().catch(() => undefined);
    throw error;
  }
}
