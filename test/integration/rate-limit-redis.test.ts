import { randomInt } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { bootApp } from '../../app/boot';
import { loadConfig } from '../../config';
import { usernameKey } from '../../app/services/user.service';
import { createUser, login } from '../factories/user.factory';
import { createTestContext, describeOnRedis, TEST_ENV, TEST_REDIS_URL, TestContext } from '../helpers/app';
import { captureLog, CapturedLog, LEVEL, LogRecord } from '../helpers/log-capture';
import { startTcpProxy, TcpProxy } from '../helpers/tcp-proxy';

/**
 * With REDIS_URL, the per-IP limit (AUTH_RATE_LIMIT) and the per-account failure limit
 * (LOGIN_FAILURE_LIMIT) are counted in Redis, so every instance of the server draws
 * on the same budgets. Two apps with two connections stand for two instances. When
 * Redis is unreachable the limits are counted per process and logins carry on; once it
 * is back, Redis counts again. Each context's keys carry a prefix of its own
 * (test/helpers/app.ts), read here through a connection under the same prefix.
 */
const REDIS = new URL(TEST_REDIS_URL);
const LIMITS = { AUTH_RATE_LIMIT: '3', LOGIN_FAILURE_LIMIT: '2', TRUST_PROXY: 'loopback' };

const isOutage = (record: LogRecord) => record.level === LEVEL.warn && /^redis unreachable/.test(record.msg);
const isBack = (record: LogRecord) => record.level === LEVEL.info && /^redis is back/.test(record.msg);

let address = 0;
/** A client address of its own for each use, so tests never share a per-IP count. */
const nextIp = () => `203.0.113.${(address += 1)}`;

const loginFrom = (app: Express, ip: string, username: string, password: string) =>
  request(app).post('/token').set('X-Forwarded-For', ip).send({ username, password });

describeOnRedis('rate limits counted in Redis', () => {
  let ctx: TestContext;
  let other: Express;
  beforeAll(async () => {
    ctx = await createTestContext({ env: { ...LIMITS, REDIS_URL: TEST_REDIS_URL } });
    other = ctx.appWith({ redis: await ctx.connectRedis() });
  });
  afterAll(() => ctx.close());

  const count = (key: string) => ctx.redis!.client.get(`rl:${key}`);

  it('shares the per-IP limit between instances: the limit+1-th request anywhere is 429', async () => {
    const ip = nextIp();
    const attempt = (app: Express, i: number) => loginFrom(app, ip, `nobody-${i}`, 'wrong-password');
    expect((await attempt(ctx.app, 1)).status).toBe(401);
    expect((await attempt(other, 2)).status).toBe(401);
    expect((await attempt(ctx.app, 3)).status).toBe(401);
    expect(await count(`ip:${ip}`)).toBe('3');
    const refused = await attempt(other, 4);
    expect(refused.status).toBe(429);
    expect(refused.body).toMatchObject({ error: 'rate_limited', code: 'too_many_requests' });
    expect(refused.headers['ratelimit-remaining']).toBe('0');
    expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('shares one failure budget per account between instances and between /token and PUT /users/me/password', async () => {
    const { username, password } = await createUser(ctx.db);
    const { access_token: accessToken } = await login(ctx.appWith({ env: { AUTH_RATE_LIMIT: '0', LOGIN_FAILURE_LIMIT: '0', REDIS_URL: undefined } }), username, password);
    expect((await loginFrom(ctx.app, nextIp(), username, 'wrong-password')).status).toBe(401);
    const change = await request(other)
      .put('/users/me/password')
      .set('X-Forwarded-For', nextIp())
      .set('Authorization', `Bearer ${accessToken}`)
      .send({ current_password: 'wrong-password', new_password: 'an entirely new passphrase' });
    expect(change.status).toBe(403);
    expect(await count(`account:user:${usernameKey(username)}`)).toBe('2');
    // The right password, from yet another address, on the first instance: the budget is spent.
    expect((await loginFrom(ctx.app, nextIp(), username, password)).status).toBe(429);
  });

  it('gives back successful logins in Redis: only failures count per account', async () => {
    const { username, password } = await createUser(ctx.db);
    for (let i = 0; i < 4; i += 1) expect((await loginFrom(i % 2 ? other : ctx.app, nextIp(), username, password)).status).toBe(200);
    expect(await count(`account:user:${usernameKey(username)}`)).toBe('0');
  });
});

describeOnRedis('rate limits when Redis answers with an error', () => {
  it('counts that limit per process and warns once, not once per request', async () => {
    const log = captureLog();
    const ctx = await createTestContext({ env: { ...LIMITS, REDIS_URL: TEST_REDIS_URL }, logger: log.logger });
    try {
      const ip = nextIp();
      // A key of the wrong type, with a TTL (the script would overwrite an expired one): INCR fails with
      // WRONGTYPE, as the script would under an ACL that forbids it.
      await ctx.redis!.client.hset(`rl:ip:${ip}`, 'not', 'a counter');
      await ctx.redis!.client.pexpire(`rl:ip:${ip}`, 60_000);
      const isRefusal = (record: LogRecord) => record.level === LEVEL.warn && /^redis refused a rate-limit command/.test(record.msg);
      for (let i = 0; i < 3; i += 1) expect((await loginFrom(ctx.app, ip, `nobody-${i}`, 'wrong-password')).status).toBe(401);
      expect((await loginFrom(ctx.app, ip, 'nobody-4', 'wrong-password')).status).toBe(429);
      expect(log.count(isRefusal)).toBe(1);
      expect(log.records.find(isRefusal)).toMatchObject({ limit: 'rl:ip:', reason: expect.stringMatching(/WRONGTYPE/) });
      expect(log.count(isOutage)).toBe(0);
    } finally {
      await ctx.close();
    }
  });
});

describeOnRedis('rate limits while Redis is unreachable', () => {
  let proxy: TcpProxy;
  let log: CapturedLog;
  let ctx: TestContext;
  /** Straight to Redis, past the proxy, under the context's prefix: what Redis holds whatever the proxy does. */
  let count: (key: string) => Promise<string | null>;

  beforeAll(async () => {
    proxy = await startTcpProxy({ host: REDIS.hostname, port: Number(REDIS.port || 6379) });
    log = captureLog();
    ctx = await createTestContext({ env: { ...LIMITS, REDIS_URL: `redis://127.0.0.1:${proxy.port}` }, logger: log.logger });
    const direct = await ctx.connectRedis({ url: TEST_REDIS_URL });
    count = (key) => direct.client.get(`rl:${key}`);
  });
  afterAll(async () => {
    await proxy.restore(); // so the context can delete its keys
    await ctx.close();
    await proxy.close();
  });

  it('keeps logins working and limited per process, warns once, and counts in Redis again once it is back', async () => {
    const { username, password } = await createUser(ctx.db);
    const before = log.count(isOutage);

    const up = nextIp();
    expect((await loginFrom(ctx.app, up, username, password)).status).toBe(200);
    expect(await count(`ip:${up}`)).toBe('1');

    await proxy.cut();
    await log.waitFor(isOutage, before + 1);
    const down = nextIp();
    for (let i = 0; i < 3; i += 1) expect((await loginFrom(ctx.app, down, username, password)).status).toBe(200);
    expect((await loginFrom(ctx.app, down, username, password)).status).toBe(429);
    expect(await count(`ip:${down}`)).toBeNull();
    expect(log.count(isOutage)).toBe(before + 1);

    const backs = log.count(isBack);
    await proxy.restore();
    await log.waitFor(isBack, backs + 1);
    const again = nextIp();
    for (let i = 0; i < 3; i += 1) expect((await loginFrom(ctx.app, again, username, password)).status).toBe(200);
    expect(await count(`ip:${again}`)).toBe('3');
    expect((await loginFrom(ctx.app, again, username, password)).status).toBe(429);
    // The address limited in memory during the outage starts afresh in Redis: the per-process count is no longer read.
    expect((await loginFrom(ctx.app, down, username, password)).status).toBe(200);
    expect(await count(`ip:${down}`)).toBe('1');

    expect(log.count(isOutage)).toBe(before + 1);
    expect(log.count((record) => record.level >= LEVEL.error)).toBe(0);
  });

  it('answers a login during a partition (Redis connected but silent) within the command timeout', async () => {
    const { username, password } = await createUser(ctx.db);
    const before = log.count(isOutage);
    await proxy.hang();
    expect((await loginFrom(ctx.app, nextIp(), username, password)).status).toBe(200);
    await log.waitFor(isOutage, before + 1);
    const backs = log.count(isBack);
    await proxy.restore();
    await log.waitFor(isBack, backs + 1);
  });

  it('GET /health reports redis up, and down with a 200 while the database is fine', async () => {
    const up = await request(ctx.app).get('/health');
    expect(up.status).toBe(200);
    expect(up.body).toEqual({ status: 'ok', redis: 'up' });

    const before = log.count(isOutage);
    await proxy.cut();
    await log.waitFor(isOutage, before + 1);
    const down = await request(ctx.app).get('/health');
    expect(down.status).toBe(200);
    expect(down.body).toEqual({ status: 'ok', redis: 'down' });

    const backs = log.count(isBack);
    await proxy.restore();
    await log.waitFor(isBack, backs + 1);
    expect((await request(ctx.app).get('/health')).body).toEqual({ status: 'ok', redis: 'up' });
  });

  it('documents the redis field of GET /health in /openapi.json', async () => {
    const { body } = await request(ctx.app).get('/openapi.json');
    expect(body.components.schemas.Health.properties.redis).toMatchObject({ type: 'string', enum: ['up', 'down'] });
  });

  it('GET /health without REDIS_URL is as before: no redis field', async () => {
    const res = await request(ctx.appWith({ env: { REDIS_URL: undefined } })).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });
});

describeOnRedis('bootApp with REDIS_URL', () => {
  it('opens the connection, counts in Redis through it, and hands it back to be closed', async () => {
    const config = loadConfig({ ...TEST_ENV, ...LIMITS, REDIS_URL: TEST_REDIS_URL, SEED_DEMO_USER: 'false' });
    const booted = await bootApp(config, captureLog().logger);
    // An address no other run uses: this key lives in Redis under the app's own prefix, deleted below.
    const ip = `198.18.${randomInt(256)}.${randomInt(256)}`;
    try {
      expect(booted.redis).not.toBeNull();
      await new Promise((resolve) => (booted.redis!.status() === 'up' ? resolve(undefined) : booted.redis!.client.once('ready', resolve)));
      expect((await request(booted.app).get('/health')).body).toEqual({ status: 'ok', redis: 'up' });
      expect((await loginFrom(booted.app, ip, 'nobody', 'wrong-password')).status).toBe(401);
      expect(await booted.redis!.client.get(`rl:ip:${ip}`)).toBe('1');
    } finally {
      await booted.redis!.client.del(`rl:ip:${ip}`, 'rl:account:user:nobody');
      await booted.redis!.close();
      await booted.db.sequelize.close();
    }
    expect(booted.redis!.status()).toBe('down');
  });
});
