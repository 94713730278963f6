import Redis from 'ioredis';
import type { Logger } from 'pino';

export type RedisStatus = 'up' | 'down';

/** One connection to REDIS_URL: its client, whether it is usable now, and its end. */
export interface RedisConnection {
  /**
   * The ioredis client. While Redis is unreachable a command fails at once instead of
   * waiting; callers decide what to do without it. `client.duplicate()` opens another
   * connection with the same settings (a pub/sub subscriber needs one of its own): it
   * fails fast too (SUBSCRIBE while disconnected is refused, not queued; ioredis
   * resubscribes on reconnect), and its socket timeout cuts a blocking command (BLPOP…)
   * after COMMAND_TIMEOUT_MS unless the duplicate overrides `socketTimeout`. A duplicate
   * logs nothing of its own: give it an 'error' listener.
   */
  readonly client: Redis;
  /** 'up' while the client is connected and ready; 'down' while connecting, reconnecting or closed. */
  status(): RedisStatus;
  /** Closes the connection and stops reconnecting; never throws, and waits for a silent Redis no longer than the command timeout. */
  close(): Promise<void>;
}

export interface RedisConnectionOptions {
  /** Put before every key (tests give each run a prefix of its own). */
  keyPrefix?: string;
}

/**
 * How long a command may go unanswered before it fails and the socket is dropped as
 * dead (a partition: connected, nothing answers). A healthy Redis answers in well under
 * a millisecond on a LAN; a login must never wait longer than this on a sick one.
 */
const COMMAND_TIMEOUT_MS = 500;
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnection backoff: 100 ms doubling up to 2 s, so a Redis that is back is used again within 2 s. */
const reconnectDelay = (attempt: number) => Math.min(100 * 2 ** (attempt - 1), 2_000);

/** The URL as logs may show it: scheme, host, port and database; never the user or password. */
export function redisUrlForLogs(url: string): string {
  const parsed = new URL(url);
  return `${parsed.protocol}//${parsed.host}${parsed.pathname === '/' ? '' : parsed.pathname}`;
}

/**
 * Opens the connection to REDIS_URL. Redis is an accelerator here, never a dependency
 * a request waits on, so the client is set to fail fast: no offline queue (a command
 * while disconnected is refused at once), no retries of a command (one in flight when
 * the connection drops fails with it), a command timeout and a socket timeout (a
 * partition looks like an outage within COMMAND_TIMEOUT_MS, not after minutes of TCP
 * retransmissions). Reconnection runs by itself with backoff.
 *
 * Logging is per outage, not per attempt or per request: one warning when Redis
 * becomes unreachable, one info line when it is back. The URL's credentials never
 * reach a log line, and ioredis's errors are reported by message only.
 */
export function createRedisConnection(url: string, logger: Logger, options: RedisConnectionOptions = {}): RedisConnection {
  const where = redisUrlForLogs(url);
  const client = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    socketTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // A socket ended on close() and not closed by then is destroyed (ioredis waits 2 s by default, holding the process).
    disconnectTimeout: COMMAND_TIMEOUT_MS,
    retryStrategy: reconnectDelay,
    keyPrefix: options.keyPrefix,
  });

  let everReady = false;
  let inOutage = false;
  let closing = false;
  let lastError: string | undefined;

  // Without an 'error' listener ioredis prints every failed attempt to stderr. Each failed
  // attempt and each lost connection ends in 'close' (the status is then no longer 'ready').
  client.on('error', (error: Error) => {
    lastError = error.message;
  });
  client.on('close', () => {
    if (inOutage || closing) return;
    inOutage = true;
    logger.warn({ redis: where, reason: lastError }, 'redis unreachable: rate limits are counted per process until it is back');
  });
  client.on('ready', () => {
    if (inOutage) logger.info({ redis: where }, 'redis is back: rate limits are shared again');
    else if (!everReady) logger.info({ redis: where }, 'redis connected: rate limits are shared');
    everReady = true;
    inOutage = false;
    lastError = undefined;
  });

  return {
    client,
    status: () => (client.status === 'ready' ? 'up' : 'down'),
    async close() {
      closing = true;
      // Between attempts there is no socket: cancelling the next attempt is all there is to do.
      if (client.status === 'end' || client.status === 'reconnecting') {
        client.disconnect();
        return;
      }
      const ended = new Promise<void>((resolve) => client.once('end', () => resolve()));
      if (client.status === 'ready') {
        // QUIT is answered at once by a live Redis; a sick one is cut after the command timeout.
        await client.quit().catch(() => client.disconnect());
      } else {
        client.disconnect();
      }
      await ended;
    },
  };
}
