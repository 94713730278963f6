import type { Express } from 'express';
import type { Logger } from 'pino';
import { createApp } from '../../app';
import type { Clock } from '../../app/clock';
import { Config, Env, loadConfig } from '../../config';
import { Database, openDatabase } from '../../models';
import { migrate } from '../../models/migrate';

export const TEST_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';

/** Cheap argon2 and no rate limits unless a test asks for them; everything else is the production code path. */
export const TEST_ENV: Env = {
  NODE_ENV: 'test',
  DATABASE_URL: 'sqlite::memory:',
  JWT_SECRET: TEST_SECRET,
  ARGON2_MEMORY_KIB: '1024',
  ARGON2_TIME_COST: '1',
  AUTH_RATE_LIMIT: '0',
  LOGIN_FAILURE_LIMIT: '0',
  LOG_LEVEL: 'silent',
};

export interface TestContext {
  app: Express;
  db: Database;
  config: Readonly<Config>;
  /** Another app over the same database, with other settings or another clock. */
  appWith(options: { env?: Env; clock?: Clock; logger?: Logger }): Express;
  close(): Promise<void>;
}

/** A fresh in-memory database with migrations applied, and an app over it. */
export async function createTestContext(options: { env?: Env; clock?: Clock; logger?: Logger } = {}): Promise<TestContext> {
  const config = loadConfig({ ...TEST_ENV, ...options.env });
  const db = await openDatabase(config.database);
  await migrate(db.sequelize);
  return {
    app: createApp({ config, db, clock: options.clock, logger: options.logger }),
    db,
    config,
    appWith: (more) => createApp({ config: loadConfig({ ...TEST_ENV, ...options.env, ...more.env }), db, clock: more.clock, logger: more.logger }),
    close: () => db.sequelize.close(),
  };
}
