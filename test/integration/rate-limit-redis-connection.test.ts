import { createRedisConnection, RedisConnection } from '../../app/redis';
import { captureLog, CapturedLog, LEVEL, LogRecord } from '../helpers/log-capture';
import { freePort } from '../helpers/server-process';
import { startTcpProxy, TcpProxy } from '../helpers/tcp-proxy';
import { describeOnRedis, TEST_REDIS_URL } from '../helpers/app';

/**
 * app/redis.ts against a real Redis behind a breakable TCP proxy (test/helpers/tcp-proxy.ts):
 * a command never waits for a dead Redis, the client reconnects by itself, and an outage
 * is one warning and its end one info line, however many requests and reconnection
 * attempts it spans. The test waits on the client's own events and on log lines, never
 * on the clock.
 */
const REDIS = new URL(TEST_REDIS_URL);
const TARGET = { host: REDIS.hostname, port: Number(REDIS.port || 6379) };

/** The client's next event of this name (events.once would reject on the 'error' events a refused attempt also emits). */
const next = (connection: RedisConnection, event: 'ready' | 'reconnecting') => new Promise<void>((resolve) => connection.client.once(event, () => resolve()));

/** Resolves once the client has lost its connection (at once when it has already). */
const lost = (connection: RedisConnection) =>
  connection.client.status === 'ready' ? new Promise<void>((resolve) => connection.client.once('close', () => resolve())) : Promise.resolve();

const isOutage = (record: LogRecord) => record.level === LEVEL.warn && /^redis unreachable/.test(record.msg);
const isBack = (record: LogRecord) => record.level === LEVEL.info && /^redis is back/.test(record.msg);

describeOnRedis('createRedisConnection (app/redis.ts)', () => {
  let proxy: TcpProxy;
  let log: CapturedLog;
  let connection: RedisConnection;

  beforeEach(async () => {
    proxy = await startTcpProxy(TARGET);
    log = captureLog();
    connection = createRedisConnection(`redis://127.0.0.1:${proxy.port}`, log.logger);
    await next(connection, 'ready');
  });
  afterEach(async () => {
    await connection.close();
    await proxy.close();
  });

  it('is up once connected, and runs commands', async () => {
    expect(connection.status()).toBe('up');
    expect(await connection.client.ping()).toBe('PONG');
    expect(log.count((record) => record.level >= LEVEL.warn)).toBe(0);
  });

  it('refuses a command at once while Redis is down (no offline queue) and reconnects by itself', async () => {
    await proxy.cut();
    // The client learns of the cut when its socket closes, a turn or more after cut() returns.
    await lost(connection);
    await log.waitFor(isOutage);
    expect(connection.status()).toBe('down');
    await expect(connection.client.ping()).rejects.toThrow(/enableOfflineQueue/);

    const ready = next(connection, 'ready');
    await proxy.restore();
    await ready;
    expect(connection.status()).toBe('up');
    expect(await connection.client.ping()).toBe('PONG');
  });

  it('logs one warning per outage, however many attempts and commands it spans, and one info when it is back', async () => {
    for (let outage = 1; outage <= 2; outage += 1) {
      await proxy.cut();
      await log.waitFor(isOutage, outage);
      // Several failed reconnection attempts and refused commands later, still one warning for this outage.
      for (let attempt = 0; attempt < 3; attempt += 1) {
        await next(connection, 'reconnecting');
        await expect(connection.client.ping()).rejects.toThrow();
      }
      expect(log.count(isOutage)).toBe(outage);
      await proxy.restore();
      await log.waitFor(isBack, outage);
      expect(connection.status()).toBe('up');
    }
    expect(log.count(isOutage)).toBe(2);
    expect(log.count(isBack)).toBe(2);
  });

  it('ends a partition (connected, nothing answers) within its command timeout and reports it down', async () => {
    await proxy.hang();
    await expect(connection.client.ping()).rejects.toThrow();
    await log.waitFor(isOutage);
    expect(connection.status()).toBe('down');
    const ready = next(connection, 'ready');
    await proxy.restore();
    await ready;
    expect(await connection.client.ping()).toBe('PONG');
  });
});

describe('createRedisConnection without a Redis to reach', () => {
  it('warns once that it is unreachable, naming where but never the password', async () => {
    const port = await freePort(); // nothing listens there
    const log = captureLog();
    const connection = createRedisConnection(`redis://rl-user:s3cret-Passw0rd@127.0.0.1:${port}/3`, log.logger);
    try {
      await log.waitFor(isOutage);
      await next(connection, 'reconnecting');
      expect(connection.status()).toBe('down');
      expect(log.count(isOutage)).toBe(1);
      const warning = log.records.find(isOutage)!;
      expect(warning.redis).toBe(`redis://127.0.0.1:${port}/3`);
      expect(log.text()).not.toContain('s3cret-Passw0rd');
      expect(log.text()).not.toContain('rl-user');
    } finally {
      await connection.close();
    }
  });
});
