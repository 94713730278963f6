import { existsSync } from 'node:fs';
import http from 'node:http';
import {
  call,
  callAfterShutdownBegan,
  indexOfRequestLog,
  killAllServers,
  removeTempDirs,
  requestReceived,
  ServerProcess,
  shuttingDown,
  startServer,
} from '../../helpers/server-process';
import { login, newCredentials, register } from './flows';

/**
 * SIGTERM (what a container runtime or systemd sends): stop accepting, let the
 * requests already in flight finish, close the database, exit 0, in bounded time.
 * The in-flight request is a login whose headers the server has (it logged "request
 * received") and whose body the client sends only after the server has begun to shut
 * down, so it is certainly still running when the signal lands, however fast or slow
 * the machine; then it hashes with deliberately expensive argon2 (a few hundred ms)
 * while the server drains.
 */
const SLOW_ARGON2 = { ARGON2_MEMORY_KIB: '65536', ARGON2_TIME_COST: '3' };
const DEBUG_LOGS = { LOG_LEVEL: 'debug' };

describe('SIGTERM', () => {
  let server: ServerProcess;
  const agents: http.Agent[] = [];
  afterAll(async () => {
    for (const agent of agents) agent.destroy();
    await killAllServers();
    removeTempDirs();
  });

  beforeAll(async () => {
    server = await startServer({ env: { ...SLOW_ARGON2, ...DEBUG_LOGS } });
  });

  it('finishes the in-flight login, refuses new connections, closes the database and exits 0', async () => {
    const who = newCredentials('term');
    expect((await register(server.port, who)).status).toBe(201);

    // An idle keep-alive connection (a browser or a proxy pool holds these) must not hold the exit up.
    const idleAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const busyAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(idleAgent, busyAgent);
    expect((await call(server.port, 'GET', '/health', { agent: idleAgent })).status).toBe(200);

    let sendBody!: () => void;
    const bodyAfter = new Promise<void>((resolve) => (sendBody = resolve));
    const inFlight = login(server.port, who, { agent: busyAgent, timeoutMs: 15_000, bodyAfter });
    await server.waitForLog(requestReceived('POST', '/token'));
    server.child.kill('SIGTERM');
    const signalledAt = Date.now();

    // The listening socket closes at once: a new connection is refused while the login still runs
    // (it cannot finish: its body has not been sent).
    await server.waitForLog(shuttingDown);
    await expect(callAfterShutdownBegan(server.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    sendBody();
    const answer = await inFlight;
    const answeredAt = Date.now();
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ token_type: 'Bearer', access_token: expect.any(String), refresh_token: expect.any(String) });
    expect(answer.headers.connection).toBe('close'); // and the client is told not to reuse the socket

    // Exit 0 soon after the last answer: not after the keep-alive timeout (5 s) of the sockets
    // left open, nor after the 10 s grace. (Measured from the answer, so a busy machine that
    // slows the login down does not make this flaky.)
    const exit = await server.waitForExit(9000);
    expect(exit).toEqual({ code: 0, signal: null });
    expect(Date.now() - answeredAt).toBeLessThan(3000);
    expect(Date.now() - signalledAt).toBeLessThan(9000);

    // It really was in flight across the signal: the server logged its answer after "shutting down".
    expect(indexOfRequestLog(server.logs, 'POST', '/token')).toBeGreaterThan(server.logs.findIndex((line) => /^shutting down/.test(line.msg)));
    const messages = server.logs.map((line) => line.msg);
    expect(messages).toContain('stopped');
    expect(messages.indexOf('stopped')).toBeGreaterThan(messages.findIndex((m) => /^shutting down/.test(m)));
    // SQLite folds the WAL back into the database and deletes it when the last connection closes cleanly.
    expect(existsSync(`${server.dbFile}-wal`)).toBe(false);
    expect(existsSync(server.dbFile)).toBe(true);
  });
});
