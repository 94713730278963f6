import type { Express } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config';
import { Database, openDatabase } from '../models';
import { migrate } from '../models/migrate';
import { DEMO_ACCOUNTS, seedDemoAccount } from '../seeders/demo-user';
import { createApp, createServices } from '.';
import { combineChannels, InvalidationChannel, singleProcessChannel } from './invalidation/channel';
import { clusterWorkerChannel } from './invalidation/cluster-channel';
import { postgresChannel } from './invalidation/postgres-channel';
import type { Outbox } from './mail/outbox';
import type { RedisConnection } from './redis';
import { systemClock } from './clock';
import { createKeyRing } from './keys';
import { createPasswordService } from './services/password.service';
import { createSigningKeyService } from './services/signing-key.service';
import { isAsymmetric } from '../config/signing';

export interface BootedApp {
  app: Express;
  db: Database;
  /** How this process hears of other processes' session changes; closed before the database at shutdown. */
  channel: InvalidationChannel;
  /**
   * With REDIS_URL: the connection the rate limits count in. Not awaited at boot (the app
   * counts per process until it is up); the server closes it on shutdown, after draining.
   */
  redis: RedisConnection | null;
  /** Where this process's requests write mail (the outbox sender, started by the caller, sends it). */
  outbox: Outbox;
}

export interface BootOptions {
  /**
   * A cluster worker: the primary has migrated and seeded already (app/cluster/primary.ts),
   * and the other workers are told of this one's session changes through it.
   */
  worker?: boolean;
}

/**
 * What happens to a database once per start, before any request: migrations, then
 * (development) the demo accounts johndoe and admin when it is empty. The cluster
 * primary runs it before forking; a lone process runs it in bootApp.
 */
export async function prepareDatabase(db: Database, config: Readonly<Config>, logger: Logger): Promise<void> {
  const applied = await migrate(db.sequelize);
  if (applied.length > 0) logger.info({ migrations: applied }, 'migrations applied');
  if (config.seedDemoUser && (await db.User.count()) === 0) {
    const passwords = createPasswordService(config.argon2, config.threadPool.hashConcurrency);
    for (const account of DEMO_ACCOUNTS) {
      await seedDemoAccount(db, passwords, account);
      logger.info(`empty database: seeded demo ${account.kind} ${account.username} / ${account.password} (development only)`);
    }
  }
  if (isAsymmetric(config.jwt.algorithm)) await prepareSigningKeys(db, config, logger);
}

/**
 * Outside production an empty key table gets a `current` and a `next` key; in
 * production the operator makes them (`npm run keys -- rotate`). Either way the
 * start goes no further without a `current` key this process can decrypt: a
 * cluster primary finds out before forking workers that would each fail.
 */
async function prepareSigningKeys(db: Database, config: Readonly<Config>, logger: Logger): Promise<void> {
  if (config.env !== 'production') {
    const created = await createSigningKeyService(config, db, systemClock).ensureKeys();
    if (created) logger.info({ kids: created.created, algorithm: config.jwt.algorithm }, 'no signing keys: created a current and a next key (development only)');
  }
  const ring = createKeyRing({ config, db, clock: systemClock });
  try {
    await ring.ready();
  } finally {
    ring.close();
  }
}

/**
 * The channels this process listens on: the cluster primary for a worker, and on
 * PostgreSQL the database's own notices (other instances, the users CLI). A process
 * alone on SQLite has nobody to hear from.
 */
async function openChannel(config: Readonly<Config>, logger: Logger, worker: boolean): Promise<InvalidationChannel> {
  const channels: InvalidationChannel[] = [];
  if (worker) channels.push(clusterWorkerChannel(logger));
  if (config.database.dialect === 'postgres') {
    const listener = postgresChannel(config.database.url, logger);
    await listener.ready().catch(async (error: unknown) => {
      await listener.close();
      throw error;
    });
    channels.push(listener);
  }
  return channels.length === 0 ? singleProcessChannel : combineChannels(channels);
}

/**
 * The boot path short of listening: database (and Redis) -> (migrations, dev seed)
 * -> notice channel -> app. server.ts runs it and then listens; a test can run the very same
 * path in process. On failure what it opened is closed again.
 */
export async function bootApp(config: Readonly<Config>, logger: Logger, { worker = false }: BootOptions = {}): Promise<BootedApp> {
  const db = await openDatabase(config.database);
  // Loaded only when asked for: ioredis alone is about 10 MB of memory.
  const redis = config.redisUrl === null ? null : (await import('./redis')).createRedisConnection(config.redisUrl, logger);
  let channel: InvalidationChannel | undefined;
  try {
    if (!worker) await prepareDatabase(db, config, logger);
    channel = await openChannel(config, logger, worker);
    // Once: the services register model hooks and hold the session cache the app must share.
    const services = createServices({ config, db, channel, logger });
    await services.keys.ready();
    return { app: createApp({ config, db, logger, services, redis: redis ?? undefined }), db, channel, redis, outbox: services.outbox };
  } catch (error) {
    await channel?.close();
    await redis?.close();
    await db.sequelize.close().catch(() => undefined);
    throw error;
  }
}
