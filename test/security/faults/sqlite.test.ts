import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { QueryTypes } from 'sequelize';
import sqlite3 from 'sqlite3';
import { openDatabase } from '../../../models';
import { killAllServers, makeTempDir, removeTempDirs, ServerProcess, startServer } from '../../helpers/server-process';
import { login, newCredentials, refresh, register, session } from './flows';

/** Reads one PRAGMA or query from the file through a connection of the test's own. */
function queryFile<T>(file: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (openError) => {
      if (openError) return reject(openError);
      db.all(sql, (error, rows) => db.close(() => (error ? reject(error) : resolve(rows as T[]))));
    });
  });
}

/** Only the soft limit moves (`N:`), so raising it back needs no privilege. */
function setFileSizeLimit(pid: number, bytes: number | 'unlimited'): void {
  execFileSync('prlimit', ['--pid', String(pid), `--fsize=${bytes}:`]);
}

/**
 * SQLite faults against a real file: the pragmas that make writes safe, concurrent
 * writers from one process (no SQLITE_BUSY), and a full disk.
 */
describe('SQLite', () => {
  afterAll(async () => {
    await killAllServers();
    removeTempDirs();
  });

  it('opens a file database in WAL mode with synchronous=FULL and a 5 s busy timeout', async () => {
    const db = await openDatabase({ dialect: 'sqlite', storage: path.join(makeTempDir(), 'pragmas.sqlite') });
    try {
      const pragma = async (name: string) => {
        const [row] = await db.sequelize.query<Record<string, unknown>>(`PRAGMA ${name}`, { type: QueryTypes.SELECT });
        return Object.values(row)[0];
      };
      expect(await pragma('journal_mode')).toBe('wal');
      expect(await pragma('synchronous')).toBe(2); // FULL: every commit is fsynced before the 2xx goes out
      expect(await pragma('busy_timeout')).toBe(5000);
    } finally {
      await db.sequelize.close();
    }
  });

  describe('a real server on an SQLite file', () => {
    let server: ServerProcess;
    beforeAll(async () => {
      // No reuse grace: if a refused refresh (disk full) had consumed its token, the retry would be refresh_reused.
      server = await startServer({ env: { REFRESH_REUSE_INTERVAL: '0' } });
    });

    it('answers 100 concurrent registrations, logins and rotations without one failure', async () => {
      const clients = Array.from({ length: 100 }, () => newCredentials('wal'));
      const statuses: string[] = [];
      // Every client walks register -> login -> refresh -> refresh at once with the others,
      // so inserts and conditional updates from 100 requests interleave on one file.
      await Promise.all(
        clients.map(async (who) => {
          const created = await register(server.port, who);
          statuses.push(`register ${created.status} ${created.body?.code ?? ''}`);
          const tokens = await login(server.port, who);
          statuses.push(`login ${tokens.status} ${tokens.body?.code ?? ''}`);
          let refreshToken = tokens.body?.refresh_token as string;
          for (let i = 0; i < 2; i += 1) {
            const rotated = await refresh(server.port, refreshToken);
            statuses.push(`refresh ${rotated.status} ${rotated.body?.code ?? ''}`);
            refreshToken = rotated.body?.refresh_token as string;
          }
        }),
      );

      const failures = statuses.filter((s) => !/^(register 201|login 200|refresh 200) $/.test(s));
      expect(failures).toEqual([]);
      expect(statuses).toHaveLength(400);

      // What the server acknowledged is in the file, and the file really is in WAL mode.
      const names = new Set(clients.map((c) => c.username.toLowerCase()));
      const users = await queryFile<{ username_key: string }>(server.dbFile, 'SELECT username_key FROM users');
      expect(users.filter((u) => names.has(u.username_key))).toHaveLength(100);
      const [{ n }] = await queryFile<{ n: number }>(server.dbFile, 'SELECT COUNT(*) AS n FROM refresh_tokens');
      expect(n).toBe(300);
      expect(await queryFile(server.dbFile, 'PRAGMA journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      expect(server.logs.filter((line) => line.level >= 50)).toEqual([]);
    });

    /**
     * SQLite's outage is a full disk. The test makes one for the server process alone,
     * without root: prlimit lowers its RLIMIT_FSIZE to 0, so no write to a file lands
     * (Node ignores SIGXFSZ, so the write returns EFBIG and SQLite reports SQLITE_IOERR
     * or SQLITE_FULL, as it would for ENOSPC; the logs go to a pipe and still flow). Reads still work, so
     * /health stays 200 here: it answers "can the database be reached", and writes
     * answer for themselves. Then the limit goes back up: the disk has room again.
     */
    it('answers 503 JSON to writes while the disk is full, stays up, and recovers when it has room', async () => {
      const user = await session(server.port, 'full');
      setFileSizeLimit(server.pid, 0);

      const refused = await register(server.port, newCredentials('full'));
      expect(refused.status).toBe(503);
      expect(refused.body).toEqual({ error: 'service_unavailable', error_description: expect.any(String), code: 'database_unavailable' });
      expect(refused.headers['retry-after']).toBe('5');
      // A refresh needs a write too: refused the same way, and the token is not consumed.
      expect((await refresh(server.port, user.tokens.refresh_token)).status).toBe(503);
      expect(server.isRunning()).toBe(true);

      setFileSizeLimit(server.pid, 'unlimited');
      expect((await register(server.port, newCredentials('full'))).status).toBe(201);
      expect((await refresh(server.port, user.tokens.refresh_token)).status).toBe(200);
      expect((await login(server.port, user)).status).toBe(200);
      expect(await queryFile(server.dbFile, 'PRAGMA integrity_check')).toEqual([{ integrity_check: 'ok' }]);
      expect(server.logs.filter((line) => line.level >= 60)).toEqual([]);
    });
  });
});
