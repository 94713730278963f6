import cluster from 'node:cluster';
import { ClusterMemoryStoreWorker } from '@express-rate-limit/cluster-memory-store';
import { MemoryStore, Options, Store } from 'express-rate-limit';
import type { Logger } from 'pino';
import type { RedisConnection } from '../app/redis';

/** A new store for one limiter's counts; `name` keeps its keys apart from every other limiter's where stores are shared. */
export type LimitStores = (name: string) => Store;

/**
 * Where the limits are counted, so that every process serving the same users draws
 * on the same budgets:
 *  - REDIS_URL set: in Redis, shared by every process of every instance (keys `rl:<name>:<key>`),
 *    per process while Redis is unreachable (middleware/rate-limit-fallback-store.ts);
 *  - else, in a worker of a Node cluster (`npm start` with WEB_CONCURRENCY > 1): in the cluster
 *    primary's memory, shared by its workers. The primary must call shareRateLimitsFromPrimary()
 *    (app/cluster/rate-limit-primary.ts), or every limited request fails after a second;
 *  - else in this process's memory.
 * One app per process: two cluster stores of one name in one worker would answer each other's requests.
 */
export function limitStores(redis?: { connection: RedisConnection; logger: Logger }): LimitStores {
  if (redis) {
    // Required here, not imported above: it brings ioredis (about 10 MB of memory), which a server without REDIS_URL never needs.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { redisOrMemoryStore } = require('./rate-limit-fallback-store') as typeof import('./rate-limit-fallback-store');
    return (name) => redisOrMemoryStore(redis.connection, `rl:${name}:`, redis.logger);
  }
  if (cluster.isWorker) return (name) => new ClusterMemoryStoreWorker({ prefix: name });
  return () => new MemoryStore();
}

/**
 * One store behind two limiters (one budget, two doors): express-rate-limit inits a
 * store once per limiter, and a cluster worker's store listens for the primary's
 * answers once per init, so a second init would hear every answer twice.
 */
export function initOnce(store: Store): Store {
  let initialised = false;
  return {
    localKeys: store.localKeys,
    prefix: store.prefix,
    init(options: Options) {
      if (initialised) return;
      initialised = true;
      return store.init?.(options);
    },
    get: (key) => store.get?.(key),
    increment: (key) => store.increment(key),
    decrement: (key) => store.decrement(key),
    resetKey: (key) => store.resetKey(key),
  };
}
