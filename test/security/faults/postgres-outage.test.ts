import { Client } from 'pg';
import { POSTGRES_TIMEOUTS } from '../../../models';
import { MIGRATION_NAMES } from '../../../models/migrate';
import { sha256 } from '../../helpers/cookies';
import { call, killAllServers, Reply, removeTempDirs, ServerProcess, sleep, startServer } from '../../helpers/server-process';
import { createPostgresDatabase, describeOnPostgres, PostgresDatabase } from '../../helpers/postgres';
import { startTcpProxy, TcpProxy } from '../../helpers/tcp-proxy';
import { login, newCredentials, protectedRoute, refresh, register, session } from './flows';

/**
 * The server on PostgreSQL (TEST_DATABASE_URL's server), reached through a TCP
 * proxy the test can cut or hang: first the whole flow end to end, then the
 * database going away and coming back. Each run works in a database of its own and
 * drops it afterwards.
 */
// A request during an outage must be answered within this (the pool, connect and query timeouts are a few seconds).
const OUTAGE_ANSWER_MS = 7000;

/** Fires the requests a client would make during an outage, all at once, timing each. */
async function duringOutage(port: number, users: { a: Awaited<ReturnType<typeof session>>; b: Awaited<ReturnType<typeof session>> }) {
  const timed = async (name: string, request: Promise<Reply>) => {
    const started = Date.now();
    const res = await request;
    return { name, ms: Date.now() - started, res };
  };
  return Promise.all([
    timed('health', call(port, 'GET', '/health', { timeoutMs: 15_000 })),
    timed('register', register(port, newCredentials('pgdown'), { timeoutMs: 15_000 })),
    // Passport's local strategy: the user lookup fails, which must be a 503, never a 401.
    timed('login', login(port, users.a, { timeoutMs: 15_000 })),
    timed('refresh', refresh(port, users.a.tokens.refresh_token, { timeoutMs: 15_000 })),
    // Passport's JWT strategy: b's session state is not cached yet, so this needs the database.
    timed('protected', protectedRoute(port, users.b.tokens.access_token, { timeoutMs: 15_000 })),
  ]);
}

function expectAllUnavailable(results: Awaited<ReturnType<typeof duringOutage>>) {
  for (const { name, res } of results) {
    expect({ name, status: res.status, body: res.body, json: res.headers['content-type'] }).toEqual({
      name,
      status: 503,
      body: { error: 'service_unavailable', error_description: expect.any(String), code: 'database_unavailable' },
      json: expect.stringMatching(/^application\/json/),
    });
    expect(res.headers['retry-after']).toBe('5');
  }
  expect(results.filter((r) => r.ms >= OUTAGE_ANSWER_MS).map((r) => `${r.name} took ${r.ms} ms`)).toEqual([]);
}

async function waitUntilHealthy(port: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  for (;;) {
    const res = await call(port, 'GET', '/health', { timeoutMs: 5000 }).catch(() => null);
    if (res?.status === 200) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`not healthy again within ${timeoutMs} ms (last ${res?.status})`);
    await sleep(200);
  }
}

describeOnPostgres('PostgreSQL', () => {
  let database: PostgresDatabase;
  let proxy: TcpProxy;
  let env: Record<string, string>;

  beforeAll(async () => {
    database = await createPostgresDatabase('auth_fault');
    const url = new URL(database.url);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.hostname = '127.0.0.1';
    url.port = String(proxy.port);
    env = { DATABASE_URL: url.toString(), REFRESH_REUSE_INTERVAL: '0' };
  });

  afterAll(async () => {
    await killAllServers();
    await proxy?.close();
    await database?.drop();
    removeTempDirs();
  });

  // One server at a time, shared in order: the end-to-end test leaves its restarted server
  // running for the outage tests (each start of a process costs seconds on a busy machine).
  let server: ServerProcess;

  describe('end to end', () => {
    it('migrates an empty database and serves register, login, refresh and guarded routes', async () => {
      server = await startServer({ env });
      expect(server.logs.find((line) => line.msg === 'migrations applied')).toMatchObject({ migrations: [...MIGRATION_NAMES] });
      expect(server.logs.find((line) => /^listening/.test(line.msg))).toMatchObject({ database: 'postgres' });

      const who = newCredentials('pg');
      const created = await register(server.port, who);
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ username: who.username });
      expect((await register(server.port, { ...who, username: who.username.toUpperCase() })).body).toMatchObject({ code: 'username_taken' });

      const first = await login(server.port, who);
      expect(first.status).toBe(200);
      expect((await protectedRoute(server.port, first.body.access_token)).body).toMatchObject({ username: who.username });
      const rotated = await refresh(server.port, first.body.refresh_token);
      expect(rotated.status).toBe(200);
      // Replaying the rotated token is theft: the chain is revoked, the successor dies with it.
      expect((await refresh(server.port, first.body.refresh_token)).body).toMatchObject({ code: 'refresh_reused' });
      expect((await refresh(server.port, rotated.body.refresh_token)).body).toMatchObject({ code: 'token_revoked' });

      // The rows are in PostgreSQL: hashes only, never the password or the raw token.
      const db = new Client({ connectionString: database.url });
      await db.connect();
      try {
        const { rows: users } = await db.query('SELECT password_hash FROM users WHERE username_key = $1', [who.username.toLowerCase()]);
        expect(users[0].password_hash).toMatch(/^\$argon2id\$/);
        const { rows: tokens } = await db.query('SELECT token_hash FROM refresh_tokens');
        expect(tokens.map((t: { token_hash: string }) => t.token_hash)).not.toContain(first.body.refresh_token);
        expect(tokens).toHaveLength(2);
      } finally {
        await db.end();
      }

      // A restart finds the schema in place and the sessions still there.
      const second = await login(server.port, who);
      await server.kill();
      server = await startServer({ env });
      expect(server.logs.some((line) => line.msg === 'migrations applied')).toBe(false);
      expect((await refresh(server.port, second.body.refresh_token)).status).toBe(200);
    });

    it('gives concurrent rotations of one token the same single successor inside the reuse interval', async () => {
      await server?.kill(); // this test needs a reuse interval; the outage tests start their own server
      server = await startServer({ env: { ...env, REFRESH_REUSE_INTERVAL: '10' } });
      const who = newCredentials('pgc');
      expect((await register(server.port, who)).status).toBe(201);
      const { refresh_token: token } = (await login(server.port, who)).body;

      const answers = await Promise.all(Array.from({ length: 20 }, () => refresh(server.port, token)));
      expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200));
      expect(new Set(answers.map((answer) => answer.body.refresh_token)).size).toBe(1);

      const db = new Client({ connectionString: database.url });
      await db.connect();
      try {
        const { rows } = await db.query(
          `SELECT count(*) FILTER (WHERE t.rotated_at IS NULL AND s.revoked_at IS NULL)::int AS live, count(*)::int AS total
            FROM refresh_tokens t JOIN sessions s ON s.id = t.chain_id
            WHERE t.chain_id = (SELECT chain_id FROM refresh_tokens WHERE token_hash = $1)`,
          [sha256(token)],
        );
        expect(rows[0]).toEqual({ live: 1, total: 2 });
      } finally {
        await db.end();
      }
      await server.kill();
    });
  });

  describe('when the database goes away', () => {
    beforeAll(async () => {
      await proxy.restore();
      if (!server?.isRunning()) server = await startServer({ env });
    });
    afterAll(() => proxy.restore());

    it('answers 503 JSON while PostgreSQL refuses connections, stays up, and recovers when it returns', async () => {
      const users = { a: await session(server.port, 'pga'), b: await session(server.port, 'pgb') };

      await proxy.cut();
      const results = await duringOutage(server.port, users);
      expectAllUnavailable(results);
      expect(server.isRunning()).toBe(true);

      await proxy.restore();
      expect(await waitUntilHealthy(server.port, 10_000)).toBeLessThan(10_000);
      await expectWorking(server, users);
    });

    it('answers 503 JSON within seconds while PostgreSQL hangs (a partition: nothing refused, nothing answered)', async () => {
      const users = { a: await session(server.port, 'pgc'), b: await session(server.port, 'pgd') };
      // Grow the pool first, so the first round meets pooled connections that stop answering
      // (the query timeout's case) and the second round new connections that never complete
      // their handshake (the connect timeout's case).
      await Promise.all(Array.from({ length: 10 }, () => call(server.port, 'GET', '/health')));
      expect(proxy.open()).toBeGreaterThanOrEqual(5);

      await proxy.hang();
      expectAllUnavailable(await duringOutage(server.port, users));
      expectAllUnavailable(await duringOutage(server.port, users));
      expect(server.isRunning()).toBe(true);

      await proxy.restore();
      expect(await waitUntilHealthy(server.port, 10_000)).toBeLessThan(10_000);
      await expectWorking(server, users);
    });

    it('exits 0 on SIGTERM within seconds even while PostgreSQL hangs (closing the pool cannot finish)', async () => {
      await call(server.port, 'GET', '/health'); // a pooled connection that the partition will strand
      await proxy.hang();
      server.child.kill('SIGTERM');
      const signalledAt = Date.now();
      expect(await server.waitForExit(12_000)).toEqual({ code: 0, signal: null });
      expect(Date.now() - signalledAt).toBeLessThan(POSTGRES_TIMEOUTS.queryMs + 3000);
      expect(server.logs.map((line) => line.msg)).toEqual(expect.arrayContaining(['closing the database timed out', 'stopped']));
    });

    async function expectWorking(server: ServerProcess, users: { a: Awaited<ReturnType<typeof session>>; b: Awaited<ReturnType<typeof session>> }) {
      expect((await register(server.port, newCredentials('pgup'))).status).toBe(201);
      expect((await login(server.port, users.a)).status).toBe(200);
      // The refresh attempted during the outage consumed nothing: the token still works.
      expect((await refresh(server.port, users.a.tokens.refresh_token)).status).toBe(200);
      expect((await protectedRoute(server.port, users.b.tokens.access_token)).status).toBe(200);
      expect(server.logs.filter((line) => line.level >= 60)).toEqual([]);
      expect(server.logs.some((line) => line.res && (line.res as { statusCode: number }).statusCode === 500)).toBe(false);
    }
  });
});
