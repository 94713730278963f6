import { execFileSync } from 'node:child_process';
import { clientPerWorker, msUntilStatus } from '../helpers/workers';
import { call, killAllServers, LogLine, removeTempDirs, ServerProcess, startServer } from '../helpers/server-process';

/**
 * WEB_CONCURRENCY=2: `npm start`'s process is the cluster primary and two workers
 * serve one port. Real processes on a real SQLite file; the workers tell each other
 * of session changes through the primary (there is no other channel on SQLite).
 */
const CLUSTER_ENV = { WEB_CONCURRENCY: '2', LOG_LEVEL: 'debug', SEED_DEMO_USER: 'true' };
const DEMO = { username: 'johndoe', password: 'secret' };

const listening = (line: LogLine) => /^listening on/.test(line.msg);

async function startCluster(env: Record<string, string> = {}): Promise<ServerProcess> {
  const server = await startServer({ env: { ...CLUSTER_ENV, ...env } });
  // Ready once both workers listen (the first one makes /health answer).
  await server.waitForLog(() => server.logs.filter(listening).length >= 2, 15_000);
  return server;
}

async function login(port: number): Promise<{ access_token: string; refresh_token: string }> {
  const reply = await call(port, 'POST', '/token', { form: DEMO });
  expect(reply.status).toBe(200);
  return reply.body;
}

afterAll(async () => {
  await killAllServers();
  removeTempDirs();
});

describe('WEB_CONCURRENCY=2 (cluster workers on one port)', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    // Pruning every second, of sessions dead for any time at all: the primary's work, observable in its log.
    server = await startCluster({ TOKEN_PRUNE_INTERVAL: '1', REFRESH_REUSE_INTERVAL: '0' });
  });
  afterAll(() => server.kill());

  it('migrates and seeds once, in the primary, and serves from both workers', () => {
    const workers = new Set(server.logs.filter(listening).map((l) => l.pid));
    expect(workers.size).toBe(2);
    expect(workers.has(server.pid)).toBe(false);
    const migrated = server.logs.filter((l) => l.msg === 'migrations applied');
    const seeded = server.logs.filter((l) => /^empty database: seeded/.test(l.msg));
    expect(migrated.map((l) => l.pid)).toEqual([server.pid]);
    expect(seeded.map((l) => l.pid)).toEqual([server.pid, server.pid]);
  });

  it('refuses, on every worker within a second, the access tokens that logout-all on one worker ended', async () => {
    const [a, b] = await clientPerWorker(server, 2);
    const { access_token: token } = await login(server.port);
    // Both workers hold the user's state in memory now.
    expect((await a.get('/users/me', token)).status).toBe(200);
    expect((await b.get('/users/me', token)).status).toBe(200);

    expect((await a.post('/auth/logout', token, { all: true })).status).toBe(204);
    expect((await a.get('/users/me', token)).body.code).toBe('token_revoked');
    const ms = await msUntilStatus(() => b.get('/users/me', token), 401, 1000);
    expect(ms).toBeLessThan(1000);
    a.agent.destroy();
    b.agent.destroy();
  });

  it('refuses on the other worker a token whose role an admin changed on the first', async () => {
    const [a, b] = await clientPerWorker(server, 2);
    const admin = (await call(server.port, 'POST', '/token', { form: { username: 'admin', password: 'admin-secret' } })).body.access_token as string;
    const { access_token: token } = await login(server.port);
    expect((await b.get('/users/me', token)).status).toBe(200);
    const me = (await b.get('/users/me', token)).body as { id: string };

    const patched = await call(server.port, 'PATCH', `/admin/users/${me.id}`, { agent: a.agent, headers: { authorization: `Bearer ${admin}` }, json: { role: 'admin' } });
    expect(patched.status).toBe(200);
    expect(await msUntilStatus(() => b.get('/users/me', token), 401, 1000)).toBeLessThan(1000);
    expect((await b.get('/users/me', token)).body.code).toBe('token_stale');
    // Put back for the other tests.
    await call(server.port, 'PATCH', `/admin/users/${me.id}`, { agent: a.agent, headers: { authorization: `Bearer ${admin}` }, json: { role: 'user' } });
    a.agent.destroy();
    b.agent.destroy();
  });

  it('prunes dead sessions in the primary alone', async () => {
    const { access_token: token, refresh_token } = await login(server.port);
    const out = await call(server.port, 'POST', '/auth/logout', { headers: { authorization: `Bearer ${token}` }, json: { refresh_token } });
    expect(out.status).toBe(204);
    const pruned = await server.waitForLog((l) => l.msg === 'dead refresh tokens and old mail pruned', 10_000);
    expect(pruned).toMatchObject({ pid: server.pid, sessions: expect.any(Number) });
    expect(server.logs.filter((l) => l.msg === 'dead refresh tokens and old mail pruned' && l.pid !== server.pid)).toEqual([]);
  });

  it('survives kill -9 of a worker: the other keeps serving and the primary starts a new one', async () => {
    const victim = server.logs.find(listening)!.pid as number;
    execFileSync('kill', ['-9', String(victim)]);
    const died = await server.waitForLog((l) => l.msg === 'worker died: restarting it' && l.workerPid === victim);
    expect(died).toMatchObject({ signal: 'SIGKILL', pid: server.pid });
    // Every request on a fresh connection is answered meanwhile: the primary hands connections to live workers only.
    for (let i = 0; i < 10; i += 1) expect((await call(server.port, 'POST', '/token', { form: DEMO })).status).toBe(200);
    await server.waitForLog(() => server.logs.filter(listening).length >= 3, 15_000);
    const replacement = server.logs.filter(listening)[2];
    expect(replacement.pid).not.toBe(victim);
    const [a, b] = await clientPerWorker(server, 2);
    expect([a.pid, b.pid]).not.toContain(victim);
    a.agent.destroy();
    b.agent.destroy();
  });

  it('backs off when workers keep dying: each death soon after a start doubles the wait', async () => {
    const deaths = () => server.logs.filter((l) => l.msg === 'worker died: restarting it');
    const before = deaths().length;
    for (let round = 0; round < 3; round += 1) {
      const started = server.logs.filter(listening).length;
      execFileSync('kill', ['-9', String(server.logs.filter(listening).at(-1)!.pid)]);
      await server.waitForLog(() => deaths().length > before + round);
      await server.waitForLog(() => server.logs.filter(listening).length > started, 15_000);
    }
    const delays = deaths().map((l) => l.restartInMs as number);
    const last = delays.slice(-3);
    expect(last[1]).toBe(last[0] * 2);
    expect(last[2]).toBe(last[1] * 2);
  });
});

describe('WEB_CONCURRENCY=2 without Redis', () => {
  it('counts AUTH_RATE_LIMIT once for the machine: the workers count in the primary', async () => {
    const server = await startCluster({ AUTH_RATE_LIMIT: '4' });
    const [a, b] = await clientPerWorker(server, 2);
    const attempt = (client: typeof a) => call(server.port, 'POST', '/token', { agent: client.agent, form: DEMO });
    // The probes that found the workers were not limited requests; these four are, two on each worker.
    for (const client of [a, b, a, b]) expect((await attempt(client)).status).toBe(200);
    expect((await attempt(a)).status).toBe(429);
    expect((await attempt(b)).status).toBe(429);
    a.agent.destroy();
    b.agent.destroy();
    await server.kill();
  });
});

describe('WEB_CONCURRENCY=2 on SIGTERM', () => {
  it('drains every worker and exits 0', async () => {
    const server = await startCluster();
    const workers = new Set(server.logs.filter(listening).map((l) => l.pid as number));
    server.child.kill('SIGTERM');
    expect(await server.waitForExit(20_000)).toEqual({ code: 0, signal: null });
    const stopped = new Set(server.logs.filter((l) => l.msg === 'stopped').map((l) => l.pid as number));
    expect(stopped).toEqual(new Set([...workers, server.pid]));
  });
});
