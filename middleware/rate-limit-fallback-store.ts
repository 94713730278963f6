import { MemoryStore, Options, Store } from 'express-rate-limit';
import { ReplyError } from 'ioredis';
import type { Logger } from 'pino';
import { RedisReply, RedisStore } from 'rate-limit-redis';
import type { RedisConnection } from '../app/redis';

const MISSED = Symbol('not counted in Redis');
/** How often a limit that Redis keeps refusing says so. */
const REFUSAL_WARNING_EVERY_MS = 60_000;

/**
 * An express-rate-limit store that counts in Redis (rate-limit-redis), so every
 * instance shares the count, and in this process's memory whenever Redis cannot
 * answer: a limit degrades to per-process, it never turns off and never makes a
 * request wait or fail. While the connection is down Redis is not even asked (the
 * connection refuses at once anyway); a command that fails while it looked up counts
 * in memory too. Once Redis is back its counts are used again; what was counted in
 * memory meanwhile is not carried over (a window is at most 15 minutes).
 *
 * rate-limit-redis loads its Lua scripts in init() and keeps the promise: a load
 * that failed (Redis down at boot) would fail every later call. So the scripts are
 * loaded on first use and again after any failure.
 *
 * A decrement (a request given back) goes wherever counting goes at that moment;
 * across the start or end of an outage it may miss the count it was meant for, which
 * errs by one either way and heals with the window.
 *
 * An outage is the connection's to report (app/redis.ts). An error Redis answers while
 * connected (an ACL without EVALSHA, a read-only replica, out of memory) would
 * otherwise leave the limit per process with /health saying "up", so it is logged,
 * at most once a minute per limit.
 */
export function redisOrMemoryStore(connection: RedisConnection, prefix: string, logger: Logger): Store {
  const redis = new RedisStore({
    prefix,
    sendCommand: (command: string, ...args: string[]) => connection.client.call(command, ...args) as Promise<RedisReply>,
  });
  const memory = new MemoryStore();
  let options: Options | undefined;
  let scripts: Promise<void> | null = null;
  let lastWarning = -Infinity;

  async function inRedis<T>(run: (store: RedisStore) => Promise<T>): Promise<T | typeof MISSED> {
    if (connection.status() !== 'up' || !options) return MISSED;
    try {
      scripts ??= redis.init(options);
      await scripts;
      return await run(redis);
    } catch (error) {
      scripts = null;
      if (error instanceof ReplyError && Date.now() - lastWarning >= REFUSAL_WARNING_EVERY_MS) {
        lastWarning = Date.now();
        logger.warn({ limit: prefix, reason: (error as Error).message }, 'redis refused a rate-limit command: this limit is counted per process meanwhile');
      }
      return MISSED;
    }
  }

  return {
    // Keys are shared with every instance; express-rate-limit's double-count check then keys on the prefix.
    localKeys: false,
    prefix,
    init(limiterOptions) {
      options = limiterOptions;
      memory.init(limiterOptions);
    },
    async get(key) {
      const counted = await inRedis((store) => store.get(key));
      return counted === MISSED ? memory.get(key) : counted;
    },
    async increment(key) {
      const counted = await inRedis((store) => store.increment(key));
      return counted === MISSED ? memory.increment(key) : counted;
    },
    async decrement(key) {
      if ((await inRedis((store) => store.decrement(key))) === MISSED) await memory.decrement(key);
    },
    async resetKey(key) {
      await inRedis((store) => store.resetKey(key));
      await memory.resetKey(key);
    },
  };
}
