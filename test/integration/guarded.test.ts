import jwt from 'jsonwebtoken';
import request from 'supertest';
import { createTestContext, DIALECTS, TEST_SECRET, TestContext } from '../helpers/app';
import { fakeClock } from '../helpers/clock';
import { createSession, createUser, login } from '../factories/user.factory';

describe.each(DIALECTS)('guarded routes (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
  });
  afterAll(() => ctx.close());

  describe('GET /protected', () => {
    it('responds 200 {id, username} for a valid access token', async () => {
      const { user, username, tokens } = await createSession(ctx.app, ctx.db);
      const res = await request(ctx.app).get('/protected').set('Authorization', `Bearer ${tokens.access_token}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: user.id, username });
    });

    it('responds 401 token_missing with a bare Bearer challenge when no token is sent', async () => {
      const res = await request(ctx.app).get('/protected');
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'unauthorized', code: 'token_missing' });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="auth-server"');
    });

    it.each([
      ['a malformed header', 'Token abc'],
      ['garbage', 'Bearer not.a.jwt'],
      ['a refresh-token-looking string', 'Bearer c29tZXRoaW5nLXJhbmRvbS1lbm91Z2gtdG8tbG9vay1yZWFs'],
    ])('responds 401 token_invalid with error="invalid_token" for %s', async (_label, header) => {
      const res = await request(ctx.app).get('/protected').set('Authorization', header);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'invalid_token', code: 'token_invalid' });
      expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="auth-server", error="invalid_token", error_description="[^"]+"$/);
    });

    it('responds 401 token_invalid for a forged signature', async () => {
      const { user } = await createUser(ctx.db);
      const forged = jwt.sign({ sub: user.id, ver: 0, jti: 'x' }, 'another-secret-of-sufficient-length!!', {
        algorithm: 'HS256',
        header: { alg: 'HS256', typ: 'at+jwt' },
        issuer: 'auth-server',
        audience: 'auth-server-api',
      });
      const res = await request(ctx.app).get('/protected').set('Authorization', `Bearer ${forged}`);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_invalid');
    });

    it('responds 401 token_expired for an expired access token, so the client knows to refresh', async () => {
      const { username, password } = await createUser(ctx.db);
      const past = ctx.appWith({ clock: fakeClock(new Date(Date.now() - 20 * 60_000)) });
      const tokens = await login(past, username, password);
      const res = await request(ctx.app).get('/protected').set('Authorization', `Bearer ${tokens.access_token}`);
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'invalid_token', code: 'token_expired' });
      expect(res.headers['www-authenticate']).toContain('error="invalid_token"');
    });

    it.each([
      ['ahead of the real time', '2035-06-01T00:00:00Z'],
      ['behind the real time', '2001-06-01T00:00:00Z'],
    ])('measures expiry on the app’s clock (%s): valid until exp, refused token_expired from exp on', async (_label, start) => {
      const clock = fakeClock(new Date(start));
      const app = ctx.appWith({ clock });
      const { username, password } = await createUser(ctx.db);
      const tokens = await login(app, username, password);
      const call = () => request(app).get('/protected').set('Authorization', `Bearer ${tokens.access_token}`);

      clock.advance(15 * 60_000 - 1000);
      expect((await call()).status).toBe(200);
      clock.advance(1000);
      const res = await call();
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'invalid_token', code: 'token_expired' });
    });

    it('honours ACCESS_TOKEN_TTL', async () => {
      const { username, password } = await createUser(ctx.db);
      const shortLived = ctx.appWith({ env: { ACCESS_TOKEN_TTL: '60' } });
      const tokens = await login(shortLived, username, password);
      expect(tokens.expires_in).toBe(60);
      const claims = jwt.verify(tokens.access_token, TEST_SECRET) as jwt.JwtPayload;
      expect((claims.exp as number) - (claims.iat as number)).toBe(60);
    });

    it('refuses the access token of a deleted user', async () => {
      const { user, tokens } = await createSession(ctx.app, ctx.db);
      expect((await request(ctx.app).get('/protected').set('Authorization', `Bearer ${tokens.access_token}`)).status).toBe(200);
      await ctx.db.User.destroy({ where: { id: user.id } });
      const res = await request(ctx.app).get('/protected').set('Authorization', `Bearer ${tokens.access_token}`);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_revoked');
    });
  });

  describe('the session-version check from memory', () => {
    it('refuses an older token when the new session version is already cached, and a deleted user once cached as gone', async () => {
      const { user, password, tokens: old } = await createSession(ctx.app, ctx.db);
      const guarded = (token: string) => request(ctx.app).get('/protected').set('Authorization', `Bearer ${token}`);
      expect((await guarded(old.access_token)).status).toBe(200); // version 0 cached

      const changed = await request(ctx.app)
        .put('/users/me/password')
        .set('Authorization', `Bearer ${old.access_token}`)
        .send({ current_password: password, new_password: 'a brand new passphrase 9' });
      expect(changed.status).toBe(200);
      expect((await guarded(changed.body.access_token)).status).toBe(200); // version 1 cached
      for (let i = 0; i < 2; i += 1) expect((await guarded(old.access_token)).body.code).toBe('token_revoked');

      await ctx.db.User.destroy({ where: { id: user.id } });
      for (let i = 0; i < 2; i += 1) expect((await guarded(changed.body.access_token)).body.code).toBe('token_revoked');
    });
  });

  describe('GET /users/me', () => {
    it('responds with the caller profile and no secrets', async () => {
      const { user, username, tokens } = await createSession(ctx.app, ctx.db);
      const res = await request(ctx.app).get('/users/me').set('Authorization', `Bearer ${tokens.access_token}`);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ id: user.id, username, email: null, email_verified: false, created_at: user.createdAt.toISOString() });
    });

    it('responds 401 without a token', async () => {
      expect((await request(ctx.app).get('/users/me')).status).toBe(401);
    });
  });
});
