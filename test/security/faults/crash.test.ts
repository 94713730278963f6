import path from 'node:path';
import {
  callAfterShutdownBegan,
  indexOfRequestLog,
  killAllServers,
  removeTempDirs,
  requestReceived,
  shuttingDown,
  startServer,
} from '../../helpers/server-process';
import { login, newCredentials, register } from './flows';

/**
 * An unhandled rejection or an uncaught exception means the process is in a state
 * nobody planned for. It must say so (a fatal JSON log line), stop taking work,
 * let the requests in flight finish, and exit non-zero so the supervisor restarts
 * it: never linger half-dead. The wrapper runs the real dist/server.js and fails on
 * SIGUSR2, after the server is up and while a login is in flight: the server has its
 * headers (it logged "request received"), and its body follows only once the server
 * has begun to shut down; then it hashes with deliberately slow argon2.
 */
const WRAPPER = path.join(__dirname, '../../fixtures/crash-server.js');
const SLOW_ARGON2 = { ARGON2_MEMORY_KIB: '65536', ARGON2_TIME_COST: '3' };
const DEBUG_LOGS = { LOG_LEVEL: 'debug' };

describe('a crash inside the server process', () => {
  afterAll(async () => {
    await killAllServers();
    removeTempDirs();
  });

  it.each([
    ['rejection', 'unhandled promise rejection', 'boom: nobody handles this rejection'],
    ['exception', 'uncaught exception', 'boom: thrown from a timer'],
  ])('an unhandled %s is logged as fatal, in-flight requests finish, and the process exits 1', async (mode, msg, message) => {
    const server = await startServer({ script: WRAPPER, env: { ...SLOW_ARGON2, ...DEBUG_LOGS, CRASH: mode } });
    const who = newCredentials('crash');
    expect((await register(server.port, who)).status).toBe(201);

    let sendBody!: () => void;
    const bodyAfter = new Promise<void>((resolve) => (sendBody = resolve));
    const inFlight = login(server.port, who, { timeoutMs: 15_000, bodyAfter });
    await server.waitForLog(requestReceived('POST', '/token'));
    server.child.kill('SIGUSR2');
    const failedAt = Date.now();

    const fatal = await server.waitForLog((line) => line.level === 60, 3000);
    expect(fatal).toMatchObject({ msg, err: { message } });
    await server.waitForLog(shuttingDown);
    await expect(callAfterShutdownBegan(server.port)).rejects.toMatchObject({ code: 'ECONNREFUSED' });

    sendBody();
    expect((await inFlight).status).toBe(200);
    const answeredAt = Date.now();
    expect(await server.waitForExit(9000)).toEqual({ code: 1, signal: null });
    expect(Date.now() - answeredAt).toBeLessThan(3000);
    expect(Date.now() - failedAt).toBeLessThan(9000);
    expect(indexOfRequestLog(server.logs, 'POST', '/token')).toBeGreaterThan(server.logs.indexOf(fatal));
    expect(server.logs.map((line) => line.msg)).toContain('stopped');
  });
});
