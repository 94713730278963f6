import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';
import sqlite3 from 'sqlite3';
import { Reply, killAllServers, removeTempDirs, ServerProcess, startServer } from '../../helpers/server-process';
import { login, newCredentials, refresh, register, session } from './flows';

/**
 * SQLite's outage is a full disk. The test makes one for the server process alone,
 * without root: prlimit lowers its RLIMIT_FSIZE to the size its files have now, so
 * the next write that grows them fails (Node ignores SIGXFSZ, so the write returns
 * EFBIG and SQLite reports SQLITE_FULL). Then the limit goes back up: the disk has
 * room again.
 */
const WRITE_ATTEMPTS = 40;

/** Only the soft limit moves (`N:`), so raising it back needs no privilege. */
function setFileSizeLimit(pid: number, bytes: number | 'unlimited'): void {
  execFileSync('prlimit', ['--pid', String(pid), `--fsize=${bytes}:`]);
}

function integrityCheck(file: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (openError) => {
      if (openError) return reject(openError);
      db.all('PRAGMA integrity_check', (error, rows) => db.close(() => (error ? reject(error) : resolve(rows))));
    });
  });
}

describe('SQLite: the disk is full', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    // No reuse grace: if the refused refresh had consumed the token, the retry would be refresh_reused.
    server = await startServer({ env: { REFRESH_REUSE_INTERVAL: '0' } });
  });
  afterAll(async () => {
    await killAllServers();
    removeTempDirs();
  });

  it('answers 503 JSON to writes while the file cannot grow, stays up, and recovers when it can', async () => {
    const user = await session(server.port, 'full');
    const size = (suffix: string) => {
      try {
        return statSync(`${server.dbFile}${suffix}`).size;
      } catch {
        return 0;
      }
    };
    setFileSizeLimit(server.pid, Math.max(size(''), size('-wal'), size('-shm')));

    // Keep writing until the files would have to grow (a few commits fit in pages SQLite already has).
    const answers: Reply[] = [];
    for (let i = 0; i < WRITE_ATTEMPTS && !answers.some((res) => res.status === 503); i += 1) {
      answers.push(await register(server.port, newCredentials('full')));
    }
    expect(answers.map((res) => res.status).filter((status) => status !== 201 && status !== 503)).toEqual([]);
    const refused = answers.find((res) => res.status === 503);
    expect(refused?.body).toEqual({ error: 'service_unavailable', error_description: expect.any(String), code: 'database_unavailable' });
    expect(refused?.headers['retry-after']).toBe('5');
    // A refresh needs a write too: refused the same way, and the token is not consumed.
    expect((await refresh(server.port, user.tokens.refresh_token)).status).toBe(503);
    expect(server.isRunning()).toBe(true);

    setFileSizeLimit(server.pid, 'unlimited');
    expect((await register(server.port, newCredentials('full'))).status).toBe(201);
    expect((await refresh(server.port, user.tokens.refresh_token)).status).toBe(200);
    expect((await login(server.port, user)).status).toBe(200);
    expect(await integrityCheck(server.dbFile)).toEqual([{ integrity_check: 'ok' }]);
    expect(server.logs.filter((line) => line.level >= 60)).toEqual([]);
  });
});
