import request from 'supertest';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { fakeClock } from '../helpers/clock';
import { sha256 } from '../helpers/cookies';
import { createSession, createUser, login } from '../factories/user.factory';
import { liveTokenCount, sessionOf } from '../helpers/sessions';


describe.each(DIALECTS)('POST /token/refresh (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
  });
  afterAll(() => ctx.close());

  const refresh = (app = ctx.app, token: string, via: 'header' | 'json' | 'form' = 'json') => {
    const req = request(app).post('/token/refresh');
    if (via === 'header') return req.set('Authorization', `Bearer ${token}`);
    if (via === 'form') return req.type('form').send({ refresh_token: token });
    return req.send({ refresh_token: token });
  };

  it.each(['header', 'json', 'form'] as const)('rotates a refresh token sent by %s', async (via) => {
    const { tokens } = await createSession(ctx.app, ctx.db);
    const res = await refresh(ctx.app, tokens.refresh_token, via);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 900, access_token: expect.any(String), refresh_token: expect.any(String) });
    expect(res.body.refresh_token).not.toBe(tokens.refresh_token);
    expect(res.headers['cache-control']).toBe('no-store');
    const guarded = await request(ctx.app).get('/protected').set('Authorization', `Bearer ${res.body.access_token}`);
    expect(guarded.status).toBe(200);
  });

  it('stores only hashes, chained to the token it replaced', async () => {
    const { user, tokens } = await createSession(ctx.app, ctx.db);
    const { body } = await refresh(ctx.app, tokens.refresh_token);
    const rows = await ctx.db.RefreshToken.findAll({ where: { userId: user.id }, order: [['createdAt', 'ASC']] });
    expect(rows).toHaveLength(2);
    const [first, second] = rows;
    expect(first.tokenHash).toBe(sha256(tokens.refresh_token));
    expect(second.tokenHash).toBe(sha256(body.refresh_token));
    expect(second.parentId).toBe(first.id);
    expect(second.chainId).toBe(first.chainId);
    expect(first.rotatedAt).not.toBeNull();
    const stored = JSON.stringify(rows.map((r) => r.get({ plain: true })));
    expect(stored).not.toContain(tokens.refresh_token);
    expect(stored).not.toContain(body.refresh_token);
  });

  it('responds 400 when the refresh token is missing, or sent both as header and body', async () => {
    const { tokens } = await createSession(ctx.app, ctx.db);
    const none = await request(ctx.app).post('/token/refresh').send({});
    expect(none.status).toBe(400);
    expect(none.body).toMatchObject({ error: 'invalid_request', errors: [{ field: 'refresh_token', message: expect.any(String) }] });
    const both = await request(ctx.app).post('/token/refresh').set('Authorization', `Bearer ${tokens.refresh_token}`).send({ refresh_token: tokens.refresh_token });
    expect(both.status).toBe(400);
    expect(both.body).toMatchObject({ error: 'invalid_request', code: 'token_in_several_places' });
    // Neither copy was consumed.
    expect((await refresh(ctx.app, tokens.refresh_token)).status).toBe(200);
  });

  it('responds 401 invalid_grant token_invalid for an unknown token, and for an access token', async () => {
    const { tokens } = await createSession(ctx.app, ctx.db);
    for (const token of ['unknown-token', tokens.access_token]) {
      const res = await refresh(ctx.app, token, 'header');
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'invalid_grant', code: 'token_invalid' });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="auth-server", error="invalid_token"/);
    }
  });

  describe('reuse detection', () => {
    it('treats a replay past the grace interval as theft and revokes the whole chain', async () => {
      const clock = fakeClock();
      const app = ctx.appWith({ clock });
      const { username, password } = await createUser(ctx.db);
      const first = await login(app, username, password);
      const second = (await refresh(app, first.refresh_token)).body;
      const third = (await refresh(app, second.refresh_token)).body;
      clock.advance(11_000);

      const replay = await refresh(app, first.refresh_token);
      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject({ error: 'invalid_grant', code: 'refresh_reused' });
      // The newest token of the chain is dead too.
      const newest = await refresh(app, third.refresh_token);
      expect(newest.status).toBe(401);
      expect(newest.body.code).toBe('token_revoked');
      expect((await sessionOf(ctx.db, third.refresh_token))?.revokedAt).not.toBeNull();
    });

    it('hands a replay inside the grace interval the same successor (several tabs refreshing at once)', async () => {
      const clock = fakeClock();
      const app = ctx.appWith({ clock });
      const { username, password } = await createUser(ctx.db);
      const first = await login(app, username, password);
      const a = await refresh(app, first.refresh_token);
      clock.advance(9_000);
      const b = await refresh(app, first.refresh_token);
      expect(a.status).toBe(200);
      expect(b.status).toBe(200);
      expect(b.body.refresh_token).toBe(a.body.refresh_token);
      expect((await refresh(app, b.body.refresh_token)).status).toBe(200);
    });

    it('refuses a replay inside the grace interval once its successor has been rotated too, and keeps the session', async () => {
      const clock = fakeClock();
      const app = ctx.appWith({ clock });
      const { username, password } = await createUser(ctx.db);
      const first = await login(app, username, password);
      const second = (await refresh(app, first.refresh_token)).body;
      const third = (await refresh(app, second.refresh_token)).body;
      clock.advance(5_000);

      // Handing out `second` now would give the client a dead token whose next use revokes the session.
      const replay = await refresh(app, first.refresh_token);
      expect(replay.status).toBe(401);
      expect(replay.body).toMatchObject({ error: 'invalid_grant', code: 'token_superseded' });
      const newest = await refresh(app, third.refresh_token);
      expect(newest.status).toBe(200);
    });

    it('makes every reuse theft when REFRESH_REUSE_INTERVAL is 0', async () => {
      const app = ctx.appWith({ env: { REFRESH_REUSE_INTERVAL: '0' } });
      const { username, password } = await createUser(ctx.db);
      const first = await login(app, username, password);
      const second = await refresh(app, first.refresh_token);
      const replay = await refresh(app, first.refresh_token);
      expect(replay.status).toBe(401);
      expect(replay.body.code).toBe('refresh_reused');
      expect((await refresh(app, second.body.refresh_token)).status).toBe(401);
    });

    it('leaves exactly one live successor when many refreshes of one token race', async () => {
      const { user, tokens } = await createSession(ctx.app, ctx.db);
      const results = await Promise.all(Array.from({ length: 20 }, () => refresh(ctx.app, tokens.refresh_token)));
      expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
      expect(new Set(results.map((r) => r.body.refresh_token)).size).toBe(1);
      expect(await liveTokenCount(ctx.db, user.id)).toBe(1);
      expect(await ctx.db.RefreshToken.count({ where: { userId: user.id } })).toBe(2);
    });

    it('revokes the chain and issues nothing when racing refreshes meet an interval of 0', async () => {
      const app = ctx.appWith({ env: { REFRESH_REUSE_INTERVAL: '0' } });
      const { user, username, password } = await createUser(ctx.db);
      const { refresh_token } = await login(app, username, password);
      const results = await Promise.all(Array.from({ length: 10 }, () => refresh(app, refresh_token)));
      expect(results.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
      expect(await liveTokenCount(ctx.db, user.id)).toBe(0);
    });
  });

  describe('storage', () => {
    it('writes tokens that read back through the model with exact dates and the chain intact', async () => {
      const clock = fakeClock();
      const app = ctx.appWith({ clock, env: { REFRESH_TOKEN_TTL: '1h' } });
      const { user, username, password } = await createUser(ctx.db);
      const tokens = await login(app, username, password);
      clock.advance(1234);
      await refresh(app, tokens.refresh_token);
      const rows = await ctx.db.RefreshToken.findAll({ where: { userId: user.id }, order: [['createdAt', 'ASC']] });
      expect(rows).toHaveLength(2);
      const [first, second] = rows;
      expect(first.expiresAt.getTime()).toBe(first.createdAt.getTime() + 3_600_000);
      expect(first.rotatedAt?.getTime()).toBe(second.createdAt.getTime());
      expect(second.createdAt.getTime() - first.createdAt.getTime()).toBe(1234);
      expect(second).toMatchObject({ chainId: first.chainId, parentId: first.id, rotatedAt: null });
    });
  });

  describe('expiry', () => {
    it('responds 401 token_expired once REFRESH_TOKEN_TTL has passed', async () => {
      const clock = fakeClock();
      const app = ctx.appWith({ clock, env: { REFRESH_TOKEN_TTL: '1h' } });
      const { username, password } = await createUser(ctx.db);
      const tokens = await login(app, username, password);
      clock.advance(59 * 60_000);
      const rotated = await refresh(app, tokens.refresh_token);
      expect(rotated.status).toBe(200);
      expect(rotated.body.refresh_token_expires_in).toBe(3600);
      clock.advance(60 * 60_000 + 1000);
      const expired = await refresh(app, rotated.body.refresh_token);
      expect(expired.status).toBe(401);
      expect(expired.body).toMatchObject({ error: 'invalid_grant', code: 'token_expired' });
    });
  });

  it('refuses the refresh tokens of a deleted user', async () => {
    const { user, tokens } = await createSession(ctx.app, ctx.db);
    await user.destroy();
    const res = await refresh(ctx.app, tokens.refresh_token);
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('invalid_grant');
  });
});
