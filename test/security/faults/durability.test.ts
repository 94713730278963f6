import sqlite3 from 'sqlite3';
import { sha256 } from '../../helpers/cookies';
import { killAllServers, removeTempDirs, startServer } from '../../helpers/server-process';
import { login, newCredentials, refresh, register, session } from './flows';

/**
 * "A 201 or 200 means the write is on disk": load a real server with registrations
 * and refresh rotations, SIGKILL it mid-stream, start it again on the same file, and
 * check that everything it acknowledged is there.
 *
 * REFRESH_REUSE_INTERVAL is long here on purpose: the rotation in flight when the
 * process dies may have committed without its answer reaching the client, which is
 * exactly the "client never heard back" case the grace interval exists for. The
 * client's newest acknowledged token must then still refresh after the restart,
 * however long the restart took.
 */
const ENV = { REFRESH_REUSE_INTERVAL: '300' }; // the most config allows; the restart takes seconds
const CHAINS = 12;
const REGISTER_WORKERS = 6;
const KILL_AFTER_ACKS = 100;
const LOAD_LIMIT_MS = 8000;

function rowsOf<T>(file: string, sql: string): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, sqlite3.OPEN_READONLY, (openError) => {
      if (openError) return reject(openError);
      db.all(sql, (error, rows) => db.close(() => (error ? reject(error) : resolve(rows as T[]))));
    });
  });
}

describe('durability: kill -9 under write load', () => {
  afterAll(async () => {
    await killAllServers();
    removeTempDirs();
  });

  it('keeps every acknowledged registration and rotation across a SIGKILL and restart', async () => {
    const first = await startServer({ env: ENV });
    const chains = await Promise.all(
      Array.from({ length: CHAINS }, async () => {
        const s = await session(first.port, 'dur');
        return { who: { username: s.username, password: s.password }, acked: [s.tokens.refresh_token] };
      }),
    );
    const registered = chains.map((c) => c.who);

    let acks = 0;
    let networkErrors = 0;
    const unexpected: string[] = [];
    let killed = false;
    const killAt = Date.now() + LOAD_LIMIT_MS;
    const keepGoing = () => !killed && Date.now() < killAt;
    const onAck = () => {
      acks += 1;
      if (acks === KILL_AFTER_ACKS) {
        killed = true;
        first.child.kill('SIGKILL'); // mid-stream: every worker has a request in flight right now
      }
    };

    async function registrations() {
      while (keepGoing()) {
        const who = newCredentials('dur');
        const res = await register(first.port, who).catch(() => null);
        if (!res) networkErrors += 1;
        else if (res.status === 201) {
          registered.push(who);
          onAck();
        } else unexpected.push(`register ${res.status} ${res.text}`);
      }
    }
    async function rotations(chain: (typeof chains)[number]) {
      while (keepGoing()) {
        const res = await refresh(first.port, chain.acked[chain.acked.length - 1]).catch(() => null);
        if (!res) networkErrors += 1;
        else if (res.status === 200) {
          chain.acked.push(res.body.refresh_token as string);
          onAck();
        } else unexpected.push(`refresh ${res.status} ${res.text}`);
      }
    }
    await Promise.all([...Array.from({ length: REGISTER_WORKERS }, registrations), ...chains.map(rotations)]);
    expect(unexpected).toEqual([]);
    expect(killed).toBe(true);
    expect((await first.exited).signal).toBe('SIGKILL');
    // Proof the kill landed mid-stream: requests were in flight and got no answer.
    expect(networkErrors).toBeGreaterThan(0);

    const second = await startServer({ dir: first.dir, env: ENV });
    // Every acknowledged registration logs in.
    const logins: string[] = [];
    for (let i = 0; i < registered.length; i += 20) {
      const batch = await Promise.all(registered.slice(i, i + 20).map((who) => login(second.port, who)));
      batch.forEach((res, j) => {
        if (res.status !== 200) logins.push(`${registered[i + j].username}: ${res.status} ${res.text}`);
      });
    }
    expect(logins).toEqual([]);

    // Every acknowledged rotation is in the file: each token the server handed out has its
    // row, each one a later acknowledged rotation consumed is marked rotated.
    const rows = await rowsOf<{ token_hash: string; rotated_at: string | null }>(second.dbFile, 'SELECT token_hash, rotated_at FROM refresh_tokens');
    const byHash = new Map(rows.map((r) => [r.token_hash, r]));
    for (const chain of chains) {
      chain.acked.forEach((token, i) => {
        const row = byHash.get(sha256(token));
        expect(row).toBeDefined();
        if (i < chain.acked.length - 1) expect(row?.rotated_at).not.toBeNull();
      });
    }
    // And the newest acknowledged token of each chain still refreshes.
    const newest = await Promise.all(chains.map((chain) => refresh(second.port, chain.acked[chain.acked.length - 1])));
    expect(newest.map((res) => `${res.status} ${res.body?.code ?? ''}`)).toEqual(chains.map(() => '200 '));

    await second.kill();
  });
});
