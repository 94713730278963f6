import request from 'supertest';
import type { Express } from 'express';
import { pruneDeadTokens } from '../../app/services/token-prune.service';
import type { Env } from '../../config';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { fakeClock, FakeClock } from '../helpers/clock';
import { chainRows, insertChains, tableCounts } from '../helpers/dead-chains';
import { sessionOf } from '../helpers/sessions';
import { logStatements } from '../helpers/sql-log';
import { createUser, login } from '../factories/user.factory';

const refresh = (app: Express, token: string) => request(app).post('/token/refresh').send({ refresh_token: token });

/**
 * What pruning deletes and what it must leave alone, told through the API: chains
 * are made by logins, rotations and logouts at a fake clock's times, then pruned at
 * later times, and both the rows and the answers to their tokens are checked.
 */
describe.each(DIALECTS)('pruneDeadTokens (%s)', (dialect) => {
  let ctx: TestContext;
  let clock: FakeClock;
  let app: Express;

  async function setUp(env: Env = {}): Promise<void> {
    clock = fakeClock(new Date('2031-03-01T12:00:00Z'));
    ctx = await createTestContext({ dialect, clock, env: { REFRESH_REUSE_INTERVAL: '10s', SESSION_MAX_LIFETIME: '90d', ...env } });
    app = ctx.app;
  }
  afterEach(() => ctx?.close());

  const prune = (options: Parameters<typeof pruneDeadTokens>[3] = {}) => pruneDeadTokens(ctx.db, ctx.config, clock, options);

  /** A login and `rotations` rotations through the API; the tokens in the order they were issued, and the chain id. */
  async function chain(rotations: number): Promise<{ tokens: string[]; chainId: string }> {
    const { username, password } = await createUser(ctx.db);
    const tokens = [(await login(app, username, password)).refresh_token];
    for (let i = 0; i < rotations; i += 1) {
      const res = await refresh(app, tokens[tokens.length - 1]);
      expect(res.status).toBe(200);
      tokens.push(res.body.refresh_token);
    }
    return { tokens, chainId: (await sessionOf(ctx.db, tokens[0]))!.id };
  }

  it('deletes a revoked session and its tokens once the reuse interval has passed since the revocation, not before', async () => {
    await setUp();
    const { tokens, chainId } = await chain(2);
    await request(app).post('/token/revoke').send({ token: tokens[2] }).expect(200);
    expect(await chainRows(ctx.db, chainId)).toEqual({ tokens: 3, session: true });

    clock.advance('10s');
    expect(await prune()).toEqual({ tokens: 0, sessions: 0 });
    // Inside the interval a replay still gets the answer it would have got: revoked, not unknown.
    expect((await refresh(app, tokens[0])).body).toMatchObject({ code: 'token_revoked' });

    clock.advance(1);
    expect(await prune()).toEqual({ tokens: 3, sessions: 1 });
    expect(await chainRows(ctx.db, chainId)).toEqual({ tokens: 0, session: false });
    expect((await refresh(app, tokens[0])).body).toMatchObject({ code: 'token_invalid' });
  });

  it('deletes a session older than SESSION_MAX_LIFETIME plus the reuse interval, though its newest token is unexpired', async () => {
    await setUp({ REFRESH_TOKEN_TTL: '200d' });
    const { tokens, chainId } = await chain(1);
    clock.advance('90d');
    clock.advance('10s');
    expect(await prune()).toEqual({ tokens: 0, sessions: 0 });
    expect((await refresh(app, tokens[1])).body).toMatchObject({ code: 'token_expired' });
    clock.advance(1);
    expect(await prune()).toEqual({ tokens: 2, sessions: 1 });
    expect(await chainRows(ctx.db, chainId)).toEqual({ tokens: 0, session: false });
  });

  it('never deletes a session for its age when SESSION_MAX_LIFETIME is 0', async () => {
    await setUp({ SESSION_MAX_LIFETIME: '0', REFRESH_TOKEN_TTL: '365d' });
    const { tokens, chainId } = await chain(1);
    clock.advance('300d');
    expect(await prune()).toEqual({ tokens: 0, sessions: 0 });
    expect(await chainRows(ctx.db, chainId)).toEqual({ tokens: 2, session: true });
    expect((await refresh(app, tokens[1])).status).toBe(200);
  });

  it('deletes a chain whose newest token expired more than the reuse interval ago', async () => {
    await setUp({ REFRESH_TOKEN_TTL: '1d' });
    const { tokens, chainId } = await chain(0);
    clock.advance('12h');
    tokens.push((await refresh(app, tokens[0])).body.refresh_token);
    clock.advance('1d');
    clock.advance('10s');
    expect(await prune()).toEqual({ tokens: 0, sessions: 0 });
    expect((await refresh(app, tokens[1])).body).toMatchObject({ code: 'token_expired' });
    clock.advance(1);
    expect(await prune()).toEqual({ tokens: 2, sessions: 1 });
    expect(await chainRows(ctx.db, chainId)).toEqual({ tokens: 0, session: false });
  });

  it('leaves a live chain whole, rotated tokens included, so a replay past the interval still revokes it', async () => {
    await setUp();
    const { tokens, chainId } = await chain(3);
    const { user } = await createUser(ctx.db);
    await insertChains(ctx.db, user.id, 'revoked', 3, 2, clock.now());
    clock.advance('1h');
    expect(await prune()).toEqual({ tokens: 6, sessions: 3 });
    expect(await chainRows(ctx.db, chainId)).toEqual({ tokens: 4, session: true });

    expect((await refresh(app, tokens[1])).body).toMatchObject({ code: 'refresh_reused' });
    expect((await sessionOf(ctx.db, tokens[3]))!.revokedAt).not.toBeNull();
    expect((await refresh(app, tokens[3])).body).toMatchObject({ code: 'token_revoked' });
  });

  it('deletes a session row that is over and has no token left', async () => {
    await setUp();
    const { user } = await createUser(ctx.db);
    const [chainId] = await insertChains(ctx.db, user.id, 'revoked', 1, 1, clock.now());
    await ctx.db.RefreshToken.destroy({ where: { chainId } });
    expect(await prune()).toEqual({ tokens: 0, sessions: 1 });
    expect(await chainRows(ctx.db, chainId)).toEqual({ tokens: 0, session: false });
  });

  it('works through more dead chains than a batch holds, of every kind, and through chains longer than a batch', async () => {
    await setUp();
    const { user } = await createUser(ctx.db);
    const now = clock.now();
    const live = await insertChains(ctx.db, user.id, 'live', 4, 3, now);
    await insertChains(ctx.db, user.id, 'revoked', 25, 3, now);
    await insertChains(ctx.db, user.id, 'expired', 20, 2, now);
    await insertChains(ctx.db, user.id, 'outlived', 7, 1, now);
    await insertChains(ctx.db, user.id, 'revoked', 1, 34, now);
    const statements: string[] = [];
    logStatements(ctx.db, ({ sql }) => statements.push(sql));

    expect(await prune({ batchSize: 10 })).toEqual({ tokens: 75 + 40 + 7 + 34, sessions: 25 + 20 + 7 + 1 });

    expect(await tableCounts(ctx.db)).toEqual({ tokens: 12, sessions: 4 });
    for (const chainId of live) expect(await chainRows(ctx.db, chainId)).toEqual({ tokens: 3, session: true });
    const deletes = statements.filter((sql) => /\bDELETE\b/.test(sql));
    // 25 + 1 revoked chains are three pages of ten, the chain of 34 alone four statements of rotated tokens.
    expect(deletes.length).toBeGreaterThanOrEqual(3 * 3 + 3);
    expect(statements.filter((sql) => /LIMIT 10\b/.test(sql)).length).toBe(statements.filter((sql) => /\bLIMIT\b/.test(sql)).length);
  });

  it('stops between batches once its signal is aborted, and a later run finishes the job', async () => {
    await setUp();
    const { user } = await createUser(ctx.db);
    await insertChains(ctx.db, user.id, 'revoked', 30, 1, clock.now());
    const stop = new AbortController();
    const stopLogging = logStatements(ctx.db, ({ sql }) => {
      if (/DELETE FROM sessions/.test(sql)) stop.abort();
    });
    expect(await prune({ batchSize: 10, signal: stop.signal })).toEqual({ tokens: 10, sessions: 10 });
    stopLogging();
    expect(await prune({ batchSize: 10 })).toEqual({ tokens: 20, sessions: 20 });
  });
});
