import type { Express } from 'express';
import type { Logger } from 'pino';
import { createApp, createServices, Services } from '../../app';
import type { Clock } from '../../app/clock';
import { Config, Env, loadConfig } from '../../config';
import { Database, openDatabase } from '../../models';
import { migrate } from '../../models/migrate';
import type { AppResource } from '../../routes';
import { createPostgresDatabase, TEST_DATABASE_URL } from './postgres';

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
  /** The services `app` runs on (the access-token service that signs its tokens, the session cache, …). */
  services: Services;
  /** Another app over the same database, with other settings, another clock or other resources. */
  appWith(options: { env?: Env; clock?: Clock; logger?: Logger; resources?: readonly AppResource[] }): Express;
  close(): Promise<void>;
}

export type Dialect = 'sqlite' | 'postgres';
/** What the dialect-parameterised suites run on: PostgreSQL too when TEST_DATABASE_URL is set (test/helpers/postgres.ts). */
export const DIALECTS: Dialect[] = TEST_DATABASE_URL ? ['sqlite', 'postgres'] : ['sqlite'];

export interface TestContextOptions {
  env?: Env;
  clock?: Clock;
  logger?: Logger;
  /** sqlite (default): a fresh in-memory database; postgres: a fresh database on the local test server, dropped on close. */
  dialect?: Dialect;
  /** The app's own resources; routes/app.routes.ts's list by default. */
  resources?: readonly AppResource[];
}

/** A fresh database with migrations applied, and an app over it. */
export async function createTestContext(options: TestContextOptions = {}): Promise<TestContext> {
  const postgres = options.dialect === 'postgres' ? await createPostgresDatabase() : null;
  const baseEnv = { ...TEST_ENV, ...(postgres ? { DATABASE_URL: postgres.url } : {}), ...options.env };
  const config = loadConfig(baseEnv);
  const db = await openDatabase(config.database);
  await migrate(db.sequelize);
  const { clock, logger, resources } = options;
  const services = createServices({ config, db, clock });
  return {
    app: createApp({ config, db, clock, logger, services, resources }),
    db,
    config,
    services,
    appWith: (more) =>
      createApp({ config: loadConfig({ ...baseEnv, ...more.env }), db, clock: more.clock, logger: more.logger, resources: more.resources ?? resources }),
    async close() {
      await db.sequelize.close();
      await postgres?.drop();
    },
  };
}
