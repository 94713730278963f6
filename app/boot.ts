import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { Database, openDatabase } from '../models';
import { migrate } from '../models/migrate';
import { DEMO_ACCOUNTS, seedDemoAccount } from '../seeders/demo-user';
import { createApp, createServices } from '.';

export interface BootedApp {
  app: Express;
  db: Database;
}

/**
 * The boot path short of listening: database -> migrations -> (dev seed: johndoe and admin) -> app.
 * server.ts runs it and then listens; a test can run the very same path in process.
 * On failure the database is closed again.
 */
export async function bootApp(config: Readonly<Config>, logger: Logger): Promise<BootedApp> {
  const db = await openDatabase(config.database);
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
    return { app: createApp({ config, db, logger, services }), db };
  } catch (error) {
    await db.sequelize.close().catch(() => undefined);
    throw error;
  }
}
