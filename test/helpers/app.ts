import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { createApp, createServices, Services } from '../../app';
import { Clock, systemClock } from '../../app/clock';
import { createSigningKeyService } from '../../app/services/signing-key.service';
import { isAsymmetric } from '../../config/signing';
import { createLogger } from '../../app/logger';
import { createRedisConnection, RedisConnection } from '../../app/redis';
import { Config, Env, loadConfig } from '../../config';
import { Database, openDatabase } from '../../models';
import { migrate } from '../../models/migrate';
import type { AppResource } from '../../routes';
import { createPostgresDatabase, TEST_DATABASE_URL } from './postgres';

export const TEST_SECRET = 'test-secret-that-is-at-least-32-bytes-long!';

/**
 * The Redis the Redis suites run against, when `TEST_REDIS_URL` names one (`.ci/run`
 * sets it to the machine's own, redis://127.0.0.1:6379). Unset, those suites are
 * skipped, as the PostgreSQL ones are without TEST_DATABASE_URL.
 */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
const REDIS_SUITES = Boolean(process.env.TEST_REDIS_URL);
/** `describe` for a suite that needs Redis: skipped when TEST_REDIS_URL is unset. */
export const describeOnRedis = REDIS_SUITES ? describe : describe.skip;
/** Where the store-parameterised suites count: in Redis too when TEST_REDIS_URL is set. */
export const STORES: Array<'memory' | 'redis'> = REDIS_SUITES ? ['memory', 'redis'] : ['memory'];

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
  /**
   * With REDIS_URL in the env: the app's Redis connection, connected. Its keys carry a
   * prefix of this context's own (`redisKeyPrefix`), deleted on close, so test files
   * and concurrent runs never see each other's counts.
   */
  redis: RedisConnection | undefined;
  redisKeyPrefix: string;
  /** Another connection to Redis under this context's prefix (another instance of the server), connected; closed with the context. */
  connectRedis(options?: { url?: string; logger?: Logger }): Promise<RedisConnection>;
  /** Another app over the same database, with other settings, another clock or other resources; the context's Redis connection unless `redis` names another. */
  appWith(options: { env?: Env; clock?: Clock; logger?: Logger; resources?: readonly AppResource[]; redis?: RedisConnection }): Express;
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
  if (isAsymmetric(config.jwt.algorithm)) await createSigningKeyService(config, db, clock ?? systemClock).ensureKeys();
  const services = createServices({ config, db, clock });
  await services.keys.ready();
  const redisKeyPrefix = `test:${randomUUID()}:`;
  const connections: RedisConnection[] = [];
  async function connectRedis({ url = config.redisUrl ?? TEST_REDIS_URL, logger: connectionLogger = logger } = {}): Promise<RedisConnection> {
    const connection = createRedisConnection(url, connectionLogger ?? createLogger(config.logLevel), { keyPrefix: redisKeyPrefix });
    connections.push(connection);
    await untilReady(connection);
    return connection;
  }
  const redis = config.redisUrl === null ? undefined : await connectRedis();
  return {
    app: createApp({ config, db, clock, logger, services, resources, redis }),
    db,
    config,
    services,
    redis,
    redisKeyPrefix,
    connectRedis,
    appWith(more) {
      const moreConfig = loadConfig({ ...baseEnv, ...more.env });
      if (moreConfig.redisUrl !== null && !more.redis && !redis) throw new Error('appWith: REDIS_URL needs a connection; pass redis: await ctx.connectRedis()');
      const appRedis = moreConfig.redisUrl === null ? undefined : (more.redis ?? redis);
      return createApp({ config: moreConfig, db, clock: more.clock, logger: more.logger, resources: more.resources ?? resources, redis: appRedis });
    },
    async close() {
      if (connections.length > 0) await deleteKeys(connections[0], redisKeyPrefix);
      await Promise.all(connections.map((connection) => connection.close()));
      await db.sequelize.close();
      await postgres?.drop();
    },
  };
}

/** Resolves once the connection is ready; a test that means to start with Redis down makes its own connection. */
function untilReady(connection: RedisConnection, timeoutMs = 5_000): Promise<void> {
  if (connection.status() === 'up') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`Redis not ready within ${timeoutMs} ms (TEST_REDIS_URL?)`)), timeoutMs);
    connection.client.once('ready', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Deletes every key under `prefix` (best effort: a Redis a test left unreachable keeps them until their windows expire). */
async function deleteKeys(connection: RedisConnection, prefix: string): Promise<void> {
  const raw = connection.client.duplicate({ keyPrefix: undefined, lazyConnect: true });
  try {
    await raw.connect();
    let cursor = '0';
    do {
      const [next, keys] = await raw.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      if (keys.length > 0) await raw.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    await raw.quit();
  } catch {
    raw.disconnect(); // unreachable: see above
  }
}
