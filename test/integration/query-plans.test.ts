import { randomUUID } from 'node:crypto';
import type { Express } from 'express';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { pruneDoneMail } from '../../app/services/mail-prune.service';
import { pruneDeadTokens } from '../../app/services/token-prune.service';
import type { Database } from '../../models';
import { createTestContext, Dialect, DIALECTS, TestContext } from '../helpers/app';
import { fakeClock, FakeClock } from '../helpers/clock';
import { insertChains } from '../helpers/dead-chains';
import { LoggedStatement, logStatements } from '../helpers/sql-log';
import { createUser, login } from '../factories/user.factory';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** What EXPLAIN can plan: statements that read or write rows (not BEGIN, PRAGMA, SET and the like). */
const DATA_STATEMENT = /^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b/i;

/**
 * The plan lines of `statement` that read a whole table. SQLite: EXPLAIN QUERY
 * PLAN, where `SCAN <name>` without `USING … INDEX` is a full scan of a table (or of
 * a subquery or CTE's own rows, which the statement names and which are not
 * refused). PostgreSQL: EXPLAIN with sequential scans priced out of reach, so any
 * `Seq Scan` left is one no index can replace.
 */
async function tableScans(db: Database, dialect: Dialect, { sql, bind }: LoggedStatement): Promise<string[]> {
  const statement = sql.replace(/;\s*$/, '');
  if (dialect === 'sqlite') {
    const plan = await db.sequelize.query<{ detail: string }>(`EXPLAIN QUERY PLAN ${statement}`, { bind, type: QueryTypes.SELECT, logging: false });
    const ownRows = new Set([...statement.matchAll(/\b(\w+)\s+AS\s+(?:NOT\s+)?(?:MATERIALIZED\s+)?\(/gi)].map((m) => m[1].toLowerCase()));
    return plan
      .map((row) => row.detail)
      .filter((detail) => {
        const scan = /^SCAN (\S+)$/.exec(detail);
        return scan !== null && !ownRows.has(scan[1].toLowerCase()) && !/^\(?subquery/i.test(scan[1]);
      });
  }
  return db.sequelize.transaction(async (transaction) => {
    await db.sequelize.query('SET LOCAL enable_seqscan = off', { transaction, logging: false });
    const plan = await db.sequelize.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${statement}`, { bind, transaction, type: QueryTypes.SELECT, logging: false });
    return plan.map((row) => row['QUERY PLAN'].trim()).filter((line) => /Seq Scan on /.test(line));
  });
}

/** Every data statement among `statements` that scans a table, with the plan lines that do. */
async function offenders(db: Database, dialect: Dialect, statements: LoggedStatement[]): Promise<{ sql: string; scans: string[] }[]> {
  const found = [];
  for (const statement of statements) {
    const scans = await tableScans(db, dialect, statement);
    if (scans.length > 0) found.push({ sql: statement.sql, scans });
  }
  return found;
}

/**
 * Issue 11: the hot paths and the prune provably use indexes. Every statement the
 * server sends while serving logins, rotations, revocations and guarded requests,
 * and while pruning, is captured and EXPLAINed; a full scan of a table fails the
 * test, naming the statement. Statements that EXPLAIN cannot see (inside the
 * triggers of migrations 002 and 006, and the view) are EXPLAINed through
 * equivalent lookups.
 */
describe.each(DIALECTS)('query plans (%s)', (dialect) => {
  let ctx: TestContext;
  let clock: FakeClock;
  let app: Express;
  const captured = new Map<string, LoggedStatement>();
  const paths = new Map<string, Set<string>>();

  /** Runs `flow`, keeping every data statement it sends (each distinct one once), under the name of the path. */
  async function capture(path: string, flow: () => Promise<unknown>): Promise<void> {
    const seen = paths.get(path) ?? new Set<string>();
    paths.set(path, seen);
    const stop = logStatements(ctx.db, (statement) => {
      if (!DATA_STATEMENT.test(statement.sql)) return;
      const key = JSON.stringify(statement);
      captured.set(key, statement);
      seen.add(key);
    });
    try {
      await flow();
    } finally {
      stop();
    }
  }

  beforeAll(async () => {
    clock = fakeClock(new Date('2031-03-01T12:00:00Z'));
    ctx = await createTestContext({ dialect, clock, env: { REFRESH_REUSE_INTERVAL: '10s' } });
    app = ctx.app;
    // Plans are judged on tables of some size: other users' live chains, and dead ones to prune.
    const { user: crowd } = await createUser(ctx.db);
    await insertChains(ctx.db, crowd.id, 'live', 500, 4, clock.now());
    for (const kind of ['revoked', 'expired', 'outlived'] as const) await insertChains(ctx.db, crowd.id, kind, 100, 3, clock.now());
    // PostgreSQL plans from statistics, which autovacuum keeps in production; SQLite's are usually never gathered there.
    if (dialect === 'postgres') await ctx.db.sequelize.query('ANALYZE');
    const { username, password } = await createUser(ctx.db);
    const refresh = (token: string) => request(app).post('/token/refresh').send({ refresh_token: token });

    let first = '';
    await capture('login (JSON)', async () => {
      first = (await request(app).post('/token').send({ username, password }).expect(200)).body.refresh_token;
    });
    await capture('login (form)', () => request(app).post('/token').type('form').send({ grant_type: 'password', username, password }).expect(200));
    let second = '';
    await capture('rotation', async () => {
      second = (await refresh(first).expect(200)).body.refresh_token;
    });
    await capture('rotation (refresh_token grant)', () => request(app).post('/token').type('form').send({ grant_type: 'refresh_token', refresh_token: second }).expect(200));
    await capture('replay inside the grace interval', async () => {
      expect((await refresh(first)).body).toMatchObject({ code: 'token_superseded' });
      const again = await createUser(ctx.db).then((u) => login(app, u.username, u.password));
      const next = (await refresh(again.refresh_token).expect(200)).body.refresh_token;
      expect((await refresh(again.refresh_token).expect(200)).body.refresh_token).toBe(next);
    });
    clock.advance('11s');
    await capture('reuse past the grace interval', async () => {
      expect((await refresh(first)).body).toMatchObject({ code: 'refresh_reused' });
    });

    const tokens = await login(app, username, password);
    await capture('logout', () => request(app).post('/auth/logout').set(bearer(tokens.access_token)).send({ refresh_token: tokens.refresh_token }).expect(204));
    await capture('revocation (POST /token/revoke)', async () => {
      await request(app).post('/token/revoke').send({ token: (await login(app, username, password)).refresh_token }).expect(200);
    });
    await capture('logout-all', async () => {
      await request(app).post('/auth/logout').set(bearer((await login(app, username, password)).access_token)).send({ all: true }).expect(204);
    });
    await capture('password change', async () => {
      const { access_token } = await login(app, username, password);
      await request(app).put('/users/me/password').set(bearer(access_token)).send({ current_password: password, new_password: `${password}-and-more` }).expect(200);
    });

    const admin = await createUser(ctx.db, { role: 'admin' });
    const other = await createUser(ctx.db, { role: 'admin' });
    const adminToken = (await login(app, admin.username, admin.password)).access_token;
    await login(app, other.username, other.password);
    await capture('admin role change', async () => {
      await request(app).patch(`/admin/users/${other.user.id}`).set(bearer(adminToken)).send({ role: 'user' }).expect(200);
      await request(app).patch(`/admin/users/${other.user.id}`).set(bearer(adminToken)).send({ role: 'admin' }).expect(200);
    });
    await capture('admin disable', () => request(app).patch(`/admin/users/${other.user.id}`).set(bearer(adminToken)).send({ disabled: true }).expect(200));

    const guarded = await createUser(ctx.db);
    const guardedToken = (await login(app, guarded.username, guarded.password)).access_token;
    await capture('guarded request, cold session cache', async () => {
      ctx.services.sessions.forget();
      await request(app).get('/users/me').set(bearer(guardedToken)).expect(200);
    });

    await capture('prune', async () => {
      expect(await pruneDeadTokens(ctx.db, ctx.config, clock, { batchSize: 40 })).toEqual({ tokens: 300 * 3, sessions: 300 });
    });
    await capture('mail prune', async () => {
      await pruneDoneMail(ctx.db, clock, { batchSize: 40 });
    });
  });
  afterAll(() => ctx.close());

  it('captured the statements of every path it drove', () => {
    for (const [path, statements] of paths) expect({ path, captured: statements.size > 0 }).toEqual({ path, captured: true });
    expect([...captured.values()].some(({ sql }) => /DELETE FROM refresh_tokens/.test(sql))).toBe(true);
  });

  it('reads no table whole in any statement of login, rotation, revocation, the guard or pruning', async () => {
    expect(await offenders(ctx.db, dialect, [...captured.values()])).toEqual([]);
  });

  it('reads no table whole in the lookups of the triggers and the view, which EXPLAIN does not show', async () => {
    const id = randomUUID();
    const now = clock.now();
    const equivalents = [
      // Migration 002: a successor's insert marks its parent rotated.
      'UPDATE refresh_tokens SET rotated_at = :now WHERE id = :id AND rotated_at IS NULL',
      // Migration 006: the view a login inserts into, and what its two inserts check (keys, the unique hash, the user).
      'SELECT * FROM session_logins WHERE session_id = :id',
      'SELECT 1 FROM sessions WHERE id = :id',
      'SELECT 1 FROM refresh_tokens WHERE id = :id',
      'SELECT 1 FROM refresh_tokens WHERE token_hash = :id',
      'SELECT 1 FROM users WHERE id = :id',
    ].map((sql) => ({ sql: format(ctx.db, sql, { id, now }) }));
    expect(await offenders(ctx.db, dialect, equivalents)).toEqual([]);
  });

  it('does flag a statement that reads a table whole', async () => {
    const unindexed = [
      { sql: format(ctx.db, 'SELECT id FROM refresh_tokens WHERE created_at < :now', { now: clock.now() }) },
      { sql: "SELECT u.id FROM users u WHERE u.email = 'someone@example.com'" },
    ];
    const found = await offenders(ctx.db, dialect, unindexed);
    expect(found.map((o) => o.sql)).toEqual(unindexed.map((s) => s.sql));
  });
});

/** `sql` with its :name replacements written in, as Sequelize sends a statement with replacements. */
function format(db: Database, sql: string, replacements: Record<string, unknown>): string {
  return sql.replace(/:(\w+)/g, (_match, name: string) => db.sequelize.escape(replacements[name] as string));
}
