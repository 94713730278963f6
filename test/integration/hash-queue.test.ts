import { call, killAllServers, removeTempDirs, startServer } from '../helpers/server-process';
import { login } from '../security/faults/flows';

/**
 * argon2 and node-sqlite3 share libuv's thread pool, a FIFO queue. A burst of
 * logins must not put database work (every refresh, registration and health check)
 * behind all of its hashes: at most ARGON2_CONCURRENCY hashes are on the pool at a
 * time, so a statement waits at most for one running hash (app/services/password.service.ts).
 * Real server process, argon2 at its production cost.
 */
describe('a burst of logins', () => {
  afterAll(async () => {
    await killAllServers();
    removeTempDirs();
  });

  it('does not hold up the database: GET /health answers while most logins are still waiting to hash', async () => {
    const server = await startServer({ env: { ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2' } });
    const BURST = 24;
    let answered = 0;
    const logins = Array.from({ length: BURST }, (_, i) =>
      login(server.port, { username: `nobody_${i}`, password: 'not the password' }, { timeoutMs: 60_000 }).then((reply) => {
        answered += 1;
        return reply;
      }),
    );
    // Once one login has been answered, every request of the burst has long arrived and queued its hash.
    await Promise.race(logins);

    const health = await call(server.port, 'GET', '/health');
    const answeredBeforeHealth = answered;

    expect(health.status).toBe(200);
    expect(answeredBeforeHealth).toBeLessThan(BURST / 2);
    expect((await Promise.all(logins)).map((reply) => reply.status)).toEqual(Array(BURST).fill(401));
  });
});
