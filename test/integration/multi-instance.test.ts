import { Client } from 'pg';
import { sha256 } from '../helpers/cookies';
import Redis from 'ioredis';
import { describeOnRedis, TEST_REDIS_URL } from '../helpers/app';
import { createPostgresDatabase, describeOnPostgres, PostgresDatabase, TEST_DATABASE_URL } from '../helpers/postgres';
import { call, killAllServers, removeTempDirs, ServerProcess, startServer } from '../helpers/server-process';
import { startTcpProxy, TcpProxy } from '../helpers/tcp-proxy';
import { msUntilStatus } from '../helpers/workers';
import { login, newCredentials, protectedRoute, refresh, register, session } from '../security/faults/flows';

/**
 * Two real server processes on different ports, one PostgreSQL database: what two
 * machines behind a load balancer are. Each has its own connections and its own
 * session cache; PostgreSQL is all they share.
 */
describeOnPostgres('two instances on one PostgreSQL database', () => {
  let database: PostgresDatabase;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    database = await createPostgresDatabase('auth_multi');
    const env = { DATABASE_URL: database.url };
    [a, b] = await Promise.all([startServer({ env }), startServer({ env })]);
  });
  afterAll(async () => {
    await killAllServers();
    await database?.drop();
    removeTempDirs();
  });

  it('accepts on one instance the tokens the other issued', async () => {
    const { tokens } = await session(a.port, 'mi');
    expect((await protectedRoute(b.port, tokens.access_token)).status).toBe(200);
    const rotated = await refresh(b.port, tokens.refresh_token);
    expect(rotated.status).toBe(200);
    expect((await refresh(a.port, rotated.body.refresh_token)).status).toBe(200);
  });

  it('refuses on the other instance, within a second, the access tokens a logout-all ended', async () => {
    const { tokens } = await session(a.port, 'mi');
    expect((await protectedRoute(b.port, tokens.access_token)).status).toBe(200); // b holds the user's state in memory
    const out = await call(a.port, 'POST', '/auth/logout', { headers: { authorization: `Bearer ${tokens.access_token}` }, json: { all: true } });
    expect(out.status).toBe(204);
    const ms = await msUntilStatus(() => protectedRoute(b.port, tokens.access_token), 401, 1000);
    expect(ms).toBeLessThan(1000);
  });

  it('leaves one live successor when one token is refreshed many times at once over both, and every 200 carries it', async () => {
    const { tokens } = await session(a.port, 'mi');
    const answers = await Promise.all(Array.from({ length: 24 }, (_, i) => refresh(i % 2 === 0 ? a.port : b.port, tokens.refresh_token)));
    const successes = answers.filter((answer) => answer.status === 200);
    expect(successes.length).toBeGreaterThan(0);
    expect(new Set(successes.map((answer) => answer.body.refresh_token)).size).toBe(1);
    // Inside the reuse interval nothing is refused: each answer is the successor.
    expect(answers.map((answer) => answer.status)).toEqual(Array(24).fill(200));

    const db = new Client({ connectionString: database.url });
    await db.connect();
    try {
      const { rows } = await db.query(
        `SELECT count(*) FILTER (WHERE t.rotated_at IS NULL AND s.revoked_at IS NULL)::int AS live, count(*)::int AS total,
                bool_or(t.token_hash = $2 AND t.rotated_at IS NULL) AS successor_is_live
          FROM refresh_tokens t JOIN sessions s ON s.id = t.chain_id
          WHERE t.chain_id = (SELECT chain_id FROM refresh_tokens WHERE token_hash = $1)`,
        [sha256(tokens.refresh_token), sha256(successes[0].body.refresh_token)],
      );
      expect(rows[0]).toEqual({ live: 1, total: 2, successor_is_live: true });
    } finally {
      await db.end();
    }
  });
});

/**
 * The same two instances with Redis for the rate limits, Redis reached through a
 * proxy the test cuts. The servers count in a logical database of this file's own.
 */
const REDIS_DB = 7;
const onPostgresAndRedis = TEST_DATABASE_URL && describeOnRedis === describe ? describe : describe.skip;

onPostgresAndRedis('two instances on one PostgreSQL database and one Redis', () => {
  let database: PostgresDatabase;
  let proxy: TcpProxy;
  let redis: Redis;
  let a: ServerProcess;
  let b: ServerProcess;

  const clearCounts = async () => {
    const keys = await redis.keys('rl:*');
    if (keys.length > 0) await redis.del(...keys);
  };

  beforeAll(async () => {
    database = await createPostgresDatabase('auth_multi');
    const target = new URL(TEST_REDIS_URL);
    redis = new Redis(`redis://${target.host}/${REDIS_DB}`);
    await clearCounts();
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 6379) });
    const env = { DATABASE_URL: database.url, REDIS_URL: `redis://127.0.0.1:${proxy.port}/${REDIS_DB}`, AUTH_RATE_LIMIT: '5' };
    [a, b] = await Promise.all([startServer({ env }), startServer({ env })]);
  });
  afterAll(async () => {
    await killAllServers();
    await proxy?.close();
    await clearCounts();
    redis?.disconnect();
    await database?.drop();
    removeTempDirs();
  });

  it('counts AUTH_RATE_LIMIT over both: the limit+1-th request, wherever it lands, is 429', async () => {
    const who = newCredentials('rl');
    expect((await register(a.port, who)).status).toBe(201);
    for (const server of [b, a, b, a]) expect((await login(server.port, who)).status).toBe(200);
    const over = await login(b.port, who);
    expect(over.status).toBe(429);
    expect((await login(a.port, who)).status).toBe(429);
  });

  it('keeps logins working and revocations honoured while Redis is unreachable', async () => {
    await proxy.cut();
    const who = newCredentials('rl');
    // Counted per process now: each instance has a fresh budget of its own.
    expect((await register(a.port, who)).status).toBe(201);
    const tokens = (await login(a.port, who)).body as { access_token: string };
    expect((await login(b.port, who)).status).toBe(200);
    const health = await call(b.port, 'GET', '/health');
    expect({ status: health.status, redis: health.body.redis }).toEqual({ status: 200, redis: 'down' });

    expect((await protectedRoute(b.port, tokens.access_token)).status).toBe(200);
    const out = await call(a.port, 'POST', '/auth/logout', { headers: { authorization: `Bearer ${tokens.access_token}` }, json: { all: true } });
    expect(out.status).toBe(204);
    expect(await msUntilStatus(() => protectedRoute(b.port, tokens.access_token), 401, 1000)).toBeLessThan(1000);

    for (const server of [a, b]) expect(server.logs.filter((line) => /^redis unreachable/.test(line.msg))).toHaveLength(1);
    await proxy.restore();
    await b.waitForLog((line) => /^redis is back/.test(line.msg), 10_000);
    expect((await call(b.port, 'GET', '/health')).body.redis).toBe('up');
  });
});
