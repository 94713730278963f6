import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import dotenv from 'dotenv';
import { ConfigError, Env, loadConfig } from '../../config';
import { parseDurationSeconds } from '../../config/duration';

const SECRET = 'x'.repeat(32);
// Production refuses to start without a way to send mail (config/mail.ts); these tests are about other keys.
const PRODUCTION = { NODE_ENV: 'production', MAIL_DISABLED: 'true' };

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      env: 'development',
      port: 3000,
      database: { dialect: 'sqlite', storage: 'data/auth.sqlite' },
      accessTokenTtl: 900,
      refreshTokenTtl: 30 * 86400,
      refreshReuseInterval: 10,
      sessionMaxLifetime: 90 * 86400,
      argon2: { memoryCost: 19456, timeCost: 2, parallelism: 1 },
      authRateLimit: 30,
      loginFailureLimit: 10,
      trustProxy: false,
      corsOrigins: [],
      seedDemoUser: true,
      logLevel: 'info',
      webConcurrency: 1,
      redisUrl: null,
      tokenPruneInterval: 3600,
    });
    expect(config.jwt.secretGenerated).toBe(true);
    expect(Buffer.byteLength(config.jwt.secret)).toBeGreaterThanOrEqual(32);
  });

  it.each([
    ['ACCESS_TOKEN_TTL', '1', 1, 'accessTokenTtl'],
    ['ACCESS_TOKEN_TTL', '1d', 86400, 'accessTokenTtl'],
    ['REFRESH_TOKEN_TTL', '1', 1, 'refreshTokenTtl'],
    ['REFRESH_TOKEN_TTL', '365d', 365 * 86400, 'refreshTokenTtl'],
    ['SESSION_MAX_LIFETIME', '0', 0, 'sessionMaxLifetime'],
    ['SESSION_MAX_LIFETIME', '365d', 365 * 86400, 'sessionMaxLifetime'],
    ['REFRESH_REUSE_INTERVAL', '0', 0, 'refreshReuseInterval'],
    ['REFRESH_REUSE_INTERVAL', '5m', 300, 'refreshReuseInterval'],
    ['TOKEN_PRUNE_INTERVAL', '0', 0, 'tokenPruneInterval'],
    ['TOKEN_PRUNE_INTERVAL', '7d', 7 * 86400, 'tokenPruneInterval'],
  ] as const)('accepts %s=%s (%i seconds), at an end of its range', (key, value, seconds, field) => {
    expect(loadConfig({ [key]: value })[field]).toBe(seconds);
  });

  it('says the allowed range when a duration is out of it', () => {
    expect(() => loadConfig({ REFRESH_TOKEN_TTL: '999999999d' })).toThrow(
      expect.objectContaining({ problems: ['REFRESH_TOKEN_TTL must be seconds or a number with s/m/h/d, from 1s to 365d (got "999999999d")'] }),
    );
    expect(() => loadConfig({ SESSION_MAX_LIFETIME: '400d' })).toThrow(
      expect.objectContaining({ problems: ['SESSION_MAX_LIFETIME must be seconds or a number with s/m/h/d, from 0s (none) to 365d (got "400d")'] }),
    );
  });

  it('is frozen all the way down', () => {
    const config = loadConfig({});
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.jwt)).toBe(true);
    expect(Object.isFrozen(config.argon2)).toBe(true);
  });

  it.each([
    ['15m', 900],
    ['1d', 86400],
    ['2h', 7200],
    ['45s', 45],
    ['120', 120],
  ])('reads ACCESS_TOKEN_TTL=%s as %i seconds', (value, seconds) => {
    expect(loadConfig({ ACCESS_TOKEN_TTL: value }).accessTokenTtl).toBe(seconds);
  });

  it.each([
    ['sqlite::memory:', { dialect: 'sqlite', storage: ':memory:' }],
    ['sqlite:/tmp/x.sqlite', { dialect: 'sqlite', storage: '/tmp/x.sqlite' }],
    ['sqlite://data/y.sqlite', { dialect: 'sqlite', storage: 'data/y.sqlite' }],
    ['postgres://root@127.0.0.1:5432/test', { dialect: 'postgres', url: 'postgres://root@127.0.0.1:5432/test' }],
  ])('reads DATABASE_URL=%s', (url, database) => {
    expect(loadConfig({ DATABASE_URL: url }).database).toEqual(database);
  });

  it.each<[Env, string]>([
    [{ PORT: 'eighty' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ ACCESS_TOKEN_TTL: '15 minutes' }, 'ACCESS_TOKEN_TTL'],
    [{ REFRESH_TOKEN_TTL: '0' }, 'REFRESH_TOKEN_TTL'],
    [{ REFRESH_REUSE_INTERVAL: '-1' }, 'REFRESH_REUSE_INTERVAL'],
    [{ ACCESS_TOKEN_TTL: '86401' }, 'ACCESS_TOKEN_TTL'],
    [{ ACCESS_TOKEN_TTL: '2d' }, 'ACCESS_TOKEN_TTL'],
    [{ REFRESH_TOKEN_TTL: '366d' }, 'REFRESH_TOKEN_TTL'],
    // 999999999 days is past the last date a JavaScript Date can hold: it used to be stored as an Invalid Date that never expires.
    [{ REFRESH_TOKEN_TTL: '999999999d' }, 'REFRESH_TOKEN_TTL'],
    [{ SESSION_MAX_LIFETIME: '366d' }, 'SESSION_MAX_LIFETIME'],
    [{ SESSION_MAX_LIFETIME: '999999999d' }, 'SESSION_MAX_LIFETIME'],
    [{ SESSION_MAX_LIFETIME: 'forever' }, 'SESSION_MAX_LIFETIME'],
    [{ REFRESH_REUSE_INTERVAL: '301' }, 'REFRESH_REUSE_INTERVAL'],
    [{ REFRESH_REUSE_INTERVAL: '1h' }, 'REFRESH_REUSE_INTERVAL'],
    [{ TOKEN_PRUNE_INTERVAL: '8d' }, 'TOKEN_PRUNE_INTERVAL'],
    [{ WEB_CONCURRENCY: '0' }, 'WEB_CONCURRENCY'],
    [{ WEB_CONCURRENCY: 'many' }, 'WEB_CONCURRENCY'],
    [{ REDIS_URL: 'http://127.0.0.1:6379' }, 'REDIS_URL'],
    [{ REDIS_URL: 'not a url' }, 'REDIS_URL'],
    [{ WEB_CONCURRENCY: '2', DATABASE_URL: 'sqlite::memory:' }, 'WEB_CONCURRENCY'],
    [{ NODE_ENV: 'staging' }, 'NODE_ENV'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ JWT_SECRET: 'short' }, 'JWT_SECRET'],
    [PRODUCTION, 'JWT_SECRET'],
    [{ ...PRODUCTION, JWT_SECRET: 'too-short-for-production' }, 'JWT_SECRET'],
    [{ ARGON2_MEMORY_KIB: '1024' }, 'ARGON2_MEMORY_KIB'],
    [{ CORS_ORIGINS: 'not an origin' }, 'CORS_ORIGINS'],
    ...[
      '*',
      'null',
      'app.example.com',
      'https://app.example.com/app',
      'https://app.example.com?x=1',
      'https://app.example.com?',
      'https://app.example.com#top',
      'https://user@app.example.com',
      'https://user:pw@app.example.com',
      'ftp://app.example.com',
      'file:///srv/app',
      'ws://app.example.com',
      'https://*.example.com',
      'https:app.example.com',
      'https://app.example.com:99999',
    ].map((origin): [Env, string] => [{ CORS_ORIGINS: `https://ok.example,${origin}` }, 'CORS_ORIGINS']),
    [{ AUTH_RATE_LIMIT: 'lots' }, 'AUTH_RATE_LIMIT'],
    [{ TRUST_PROXY: 'yes please!' }, 'TRUST_PROXY'],
    [{ SEED_DEMO_USER: 'maybe' }, 'SEED_DEMO_USER'],
    [{ UV_THREADPOOL_SIZE: '0' }, 'UV_THREADPOOL_SIZE'],
    [{ ARGON2_CONCURRENCY: '0' }, 'ARGON2_CONCURRENCY'],
    [{ UV_THREADPOOL_SIZE: '2', ARGON2_CONCURRENCY: '3' }, 'ARGON2_CONCURRENCY'],
    [{ UV_THREADPOOL_SIZE: 'two' }, 'UV_THREADPOOL_SIZE'],
    [{ THREAD_POOL_NICE: '20' }, 'THREAD_POOL_NICE'],
    [{ THREAD_POOL_NICE: '-5' }, 'THREAD_POOL_NICE'],
    [{ ...PRODUCTION, JWT_SECRET: SECRET, SEED_DEMO_USER: 'true' }, 'SEED_DEMO_USER'],
    [{ HOST: 'http://0.0.0.0' }, 'HOST'],
    [{ HOST: '0.0.0.0:3000' }, 'HOST'],
    [{ HOST: '[::1]' }, 'HOST'],
    [{ HOST: 'my host' }, 'HOST'],
    [{ HOST: '1.2.3' }, 'HOST'],
  ])('refuses %j naming %s', (env, key) => {
    let caught: unknown;
    try {
      loadConfig(env);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    expect((caught as ConfigError).problems).toEqual([expect.stringContaining(key)]);
  });

  it('names every bad variable at once', () => {
    expect(() => loadConfig({ PORT: 'x', LOG_LEVEL: 'y' })).toThrow(expect.objectContaining({
      problems: expect.arrayContaining([expect.stringContaining('PORT'), expect.stringContaining('LOG_LEVEL')]),
    }));
  });

  it('accepts a production configuration and never seeds there', () => {
    const config = loadConfig({ ...PRODUCTION, JWT_SECRET: SECRET, DATABASE_URL: 'sqlite::memory:' });
    expect(config.seedDemoUser).toBe(false);
    expect(config.jwt.secretGenerated).toBe(false);
  });

  it('allows cheap argon2 only under NODE_ENV=test', () => {
    expect(loadConfig({ NODE_ENV: 'test', ARGON2_MEMORY_KIB: '1024', ARGON2_TIME_COST: '1' }).argon2.memoryCost).toBe(1024);
  });

  it('sizes the thread pool to the CPUs and hashes on all of it by default, at nice 19 in production only', () => {
    const cpus = availableParallelism();
    expect(loadConfig({}).threadPool).toEqual({ size: cpus, hashConcurrency: cpus, nice: 0 });
    expect(loadConfig({ ...PRODUCTION, JWT_SECRET: SECRET }).threadPool).toEqual({ size: cpus, hashConcurrency: cpus, nice: 19 });
    expect(loadConfig({ UV_THREADPOOL_SIZE: '3', THREAD_POOL_NICE: '0' }).threadPool).toEqual({ size: 3, hashConcurrency: Math.min(cpus, 3), nice: 0 });
    expect(loadConfig({ UV_THREADPOOL_SIZE: '3', ARGON2_CONCURRENCY: '2' }).threadPool).toEqual({ size: 3, hashConcurrency: 2, nice: 0 });
  });

  it('never hashes on more threads than the pool has, nor on more than the CPUs unless told', () => {
    expect(loadConfig({ UV_THREADPOOL_SIZE: '1' }).threadPool.hashConcurrency).toBe(1);
    expect(loadConfig({ UV_THREADPOOL_SIZE: '64' }).threadPool.hashConcurrency).toBe(availableParallelism());
  });

  it('listens on loopback only unless NODE_ENV=production or HOST says otherwise', () => {
    expect(loadConfig({}).host).toBe('127.0.0.1');
    expect(loadConfig({ NODE_ENV: 'test' }).host).toBe('127.0.0.1');
    expect(loadConfig({ ...PRODUCTION, JWT_SECRET: SECRET }).host).toBeNull(); // every interface
    expect(loadConfig({ ...PRODUCTION, JWT_SECRET: SECRET, HOST: '127.0.0.1' }).host).toBe('127.0.0.1');
  });

  it.each(['0.0.0.0', '::', '::1', '192.0.2.10', 'fd00::2', 'localhost', 'auth.internal'])('accepts HOST=%s', (host) => {
    expect(loadConfig({ HOST: host }).host).toBe(host);
  });

  it('runs one worker per CPU for WEB_CONCURRENCY=auto, and reads REDIS_URL', () => {
    expect(loadConfig({ WEB_CONCURRENCY: 'auto' }).webConcurrency).toBe(availableParallelism());
    expect(loadConfig({ WEB_CONCURRENCY: '4' }).webConcurrency).toBe(4);
    expect(loadConfig({ REDIS_URL: 'redis://127.0.0.1:6379/2' }).redisUrl).toBe('redis://127.0.0.1:6379/2');
    expect(loadConfig({ REDIS_URL: 'rediss://user:pw@cache.example.com' }).redisUrl).toBe('rediss://user:pw@cache.example.com');
  });

  it('never repeats a REDIS_URL it refuses: it may hold a password', () => {
    expect(() => loadConfig({ REDIS_URL: 'http://user:hunter2@cache' })).toThrow(expect.objectContaining({ problems: [expect.not.stringContaining('hunter2')] }));
  });

  it('reads TRUST_PROXY and CORS_ORIGINS', () => {
    expect(loadConfig({ TRUST_PROXY: 'true' }).trustProxy).toBe(true);
    expect(loadConfig({ TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ TRUST_PROXY: 'loopback, 10.0.0.0/8' }).trustProxy).toBe('loopback, 10.0.0.0/8');
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).corsOrigins).toEqual(['https://a.example', 'http://localhost:5173']);
  });

  it.each([
    ['https://App.Example.com:443', 'https://app.example.com'],
    ['HTTPS://APP.EXAMPLE.COM', 'https://app.example.com'],
    ['http://LocalHost:80', 'http://localhost'],
    ['http://localhost:5173', 'http://localhost:5173'],
    ['https://app.example.com:8443', 'https://app.example.com:8443'],
    ['https://app.example.com/', 'https://app.example.com'],
    ['http://[::1]:3000', 'http://[::1]:3000'],
    ['https://bücher.example', 'https://xn--bcher-kva.example'],
  ])('normalises the CORS_ORIGINS entry %s to %s, the Origin header a browser sends', (entry, origin) => {
    expect(loadConfig({ CORS_ORIGINS: entry }).corsOrigins).toEqual([origin]);
  });

  it('keeps each origin once, however it was spelled', () => {
    expect(loadConfig({ CORS_ORIGINS: 'https://a.example, HTTPS://A.example:443/' }).corsOrigins).toEqual(['https://a.example']);
  });
});

describe('.env.example', () => {
  it('is a configuration the server accepts, naming every variable the README documents in its tables', () => {
    const example = dotenv.parse(readFileSync(path.join(__dirname, '../../.env.example')));
    expect(() => loadConfig(example)).not.toThrow();
    const readme = readFileSync(path.join(__dirname, '../../README.md'), 'utf8');
    // Every `NAME` in the first cell of the rows of a "| Variable |" table.
    const documented: string[] = [];
    let inVariables = false;
    for (const line of readme.split('\n')) {
      if (!line.startsWith('|')) inVariables = false;
      else if (line.startsWith('| Variable |')) inVariables = true;
      else if (inVariables) documented.push(...[...line.split('|')[1].matchAll(/`([A-Z][A-Z0-9_]+)`/g)].map((match) => match[1]));
    }
    expect(documented.length).toBeGreaterThan(20);
    expect(documented.filter((name) => !(name in example))).toEqual([]);
  });
});

describe('parseDurationSeconds', () => {
  it('returns null for anything but a duration', () => {
    expect(parseDurationSeconds('1w')).toBeNull();
    expect(parseDurationSeconds('')).toBeNull();
    expect(parseDurationSeconds('1.5h')).toBeNull();
  });
});
