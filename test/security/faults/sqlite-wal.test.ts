import path from 'node:path';
import { QueryTypes } from 'sequelize';
import sqlite3 from 'sqlite3';
import { openDatabase } from '../../../models';
import { killAllServers, makeTempDir, removeTempDirs, ServerProcess, startServer } from '../../helpers/server-process';
import { login, newCredentials, refresh, register } from './flows';

/** Reads one PRAGMA or query from the file through a connection of the test's own. */
function queryFile<T>(file: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (openError) => {
      if (openError) return reject(openError);
      db.all(sql, (error, rows) => db.close(() => (error ? reject(error) : resolve(rows as T[]))));
    });
  });
}

describe('SQLite under concurrent writes', () => {
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
      server = await startServer();
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
  });
});
