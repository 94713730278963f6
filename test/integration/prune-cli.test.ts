import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { Client } from 'pg';
import request from 'supertest';
import { createApp } from '../../app';
import { TOKEN_PRUNE_LOCK_KEY } from '../../app/token-pruning';
import { loadConfig } from '../../config';
import { Database, openDatabase } from '../../models';
import { migrate } from '../../models/migrate';
import { DIALECTS, TEST_ENV } from '../helpers/app';
import { fakeClock, FakeClock } from '../helpers/clock';
import { chainRows, insertChains, tableCounts } from '../helpers/dead-chains';
import { createPostgresDatabase, PostgresDatabase } from '../helpers/postgres';
import { ROOT } from '../helpers/server-process';
import { sessionOf } from '../helpers/sessions';
import { createUser, login } from '../factories/user.factory';

const CLI = path.join(ROOT, 'dist/cli/prune.js');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * `npm run prune` is `node dist/cli/prune.js`: the real CLI as a child process, on
 * a SQLite file and on a PostgreSQL database filled with thousands of dead chains
 * (written with SQL, not through the API) beside live ones, which must come out of
 * the prune whole: still rotating, still detecting reuse.
 */
describe.each(DIALECTS)('npm run prune (%s)', (dialect) => {
  let dir: string;
  let postgres: PostgresDatabase | null = null;
  let databaseUrl: string;
  let db: Database;
  let app: Express;
  let clock: FakeClock;

  const cli = (args: string[] = [], env: Record<string, string> = {}): Run => {
    const result = spawnSync(process.execPath, [CLI, ...args], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', NODE_ENV: 'test', DATABASE_URL: databaseUrl, ...env },
      encoding: 'utf8',
      timeout: 60_000,
    });
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'auth-prune-cli-'));
    postgres = dialect === 'postgres' ? await createPostgresDatabase() : null;
    databaseUrl = postgres ? postgres.url : `sqlite:${path.join(dir, 'auth.sqlite')}`;
    const config = loadConfig({ ...TEST_ENV, DATABASE_URL: databaseUrl });
    db = await openDatabase(config.database);
    await migrate(db.sequelize);
    // An hour ahead of the CLI's real time: the session the first test revokes (on this clock) never
    // becomes prunable during the file, however slowly it runs, so later counts are exactly their own.
    clock = fakeClock(new Date(Date.now() + 3_600_000));
    app = createApp({ config, db, clock });
  });
  afterAll(async () => {
    await db?.sequelize.close();
    await postgres?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('deletes every dead chain, prints how many rows went on one line, and leaves live chains rotating and detecting reuse', async () => {
    const { user } = await createUser(db);
    const now = new Date();
    const live = await insertChains(db, user.id, 'live', 50, 3, now);
    await insertChains(db, user.id, 'revoked', 2500, 3, now);
    await insertChains(db, user.id, 'expired', 600, 2, now);
    await insertChains(db, user.id, 'outlived', 400, 2, now);
    const someone = await createUser(db);
    const first = await login(app, someone.username, someone.password);
    const second = (await request(app).post('/token/refresh').send({ refresh_token: first.refresh_token }).expect(200)).body;
    const before = await tableCounts(db);

    const run = cli();

    expect({ status: run.status, stderr: run.stderr, stdout: run.stdout }).toEqual({ status: 0, stderr: '', stdout: 'pruned 9500 refresh tokens, 3500 sessions and 0 mails\n' });
    expect(await tableCounts(db)).toEqual({ tokens: before.tokens - 9500, sessions: before.sessions - 3500 });
    expect(await tableCounts(db)).toEqual({ tokens: 50 * 3 + 2, sessions: 50 + 1 });
    for (const chainId of live) expect(await chainRows(db, chainId)).toEqual({ tokens: 3, session: true });

    clock.advance('11s');
    const third = await request(app).post('/token/refresh').send({ refresh_token: second.refresh_token });
    expect(third.status).toBe(200);
    const replay = await request(app).post('/token/refresh').send({ refresh_token: first.refresh_token });
    expect(replay.body).toMatchObject({ error: 'invalid_grant', code: 'refresh_reused' });
    expect((await sessionOf(db, third.body.refresh_token))!.revokedAt).not.toBeNull();
  });

  it('prints a count of nothing when nothing is dead', () => {
    expect(cli()).toEqual({ status: 0, stderr: '', stdout: 'pruned 0 refresh tokens, 0 sessions and 0 mails\n' });
  });

  it('fails on one line, exit 1, when the database cannot be reached or the configuration is wrong', () => {
    // PostgreSQL: nothing listens on port 1. SQLite: the file's directory would have to be inside a file.
    writeFileSync(path.join(dir, 'a-file'), 'not a directory');
    const unreachable = dialect === 'postgres' ? 'postgres://postgres@127.0.0.1:1/nowhere' : `sqlite:${path.join(dir, 'a-file', 'auth.sqlite')}`;
    const down = cli([], { DATABASE_URL: unreachable });
    expect({ status: down.status, stdout: down.stdout }).toEqual({ status: 1, stdout: '' });
    expect(down.stderr).toMatch(/^prune: cannot reach the database: [^\n]+\n$/);
    const misconfigured = cli([], { SESSION_MAX_LIFETIME: 'forever' });
    expect(misconfigured).toEqual({ status: 1, stdout: '', stderr: expect.stringMatching(/^prune: config: SESSION_MAX_LIFETIME [^\n]+\n$/) });
  });

  it('refuses arguments (exit 2) and prints its usage on --help', () => {
    expect(cli(['--all'])).toEqual({ status: 2, stdout: '', stderr: 'prune: prune takes no arguments (got "--all") (see --help)\n' });
    const help = cli(['--help']);
    expect({ status: help.status, stderr: help.stderr }).toEqual({ status: 0, stderr: '' });
    expect(help.stdout).toMatch(/^Usage: npm run prune/);
  });

  if (dialect === 'postgres') {
    it('does nothing, and says so, while another process is pruning the database', async () => {
      const { user } = await createUser(db);
      await insertChains(db, user.id, 'revoked', 3, 1, new Date());
      const other = new Client({ connectionString: databaseUrl });
      await other.connect();
      try {
        await other.query('SELECT pg_advisory_lock($1)', [TOKEN_PRUNE_LOCK_KEY]);
        expect(cli()).toEqual({ status: 0, stderr: '', stdout: 'skipped: another process is pruning this database now\n' });
        expect((await tableCounts(db)).sessions).toBe(50 + 1 + 3);
      } finally {
        await other.end();
      }
      expect(cli().stdout).toBe('pruned 3 refresh tokens, 3 sessions and 0 mails\n');
    });
  }
});
