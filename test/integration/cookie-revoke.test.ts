import request from 'supertest';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { cookieLogin, cookieToken, expectCleared, HOST, OWN_ORIGIN } from '../helpers/cookies';
import { sessionOf } from '../helpers/sessions';
import { createUser, login } from '../factories/user.factory';

/** A request from the page at OWN_ORIGIN carrying the refresh cookie. */
const withCookie = (req: request.Test, token: string) => req.set('Host', HOST).set('Origin', OWN_ORIGIN).set('Cookie', `refresh_token=${token}`);

describe.each(DIALECTS)('refresh cookie on revoke, logout and password change (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
  });
  afterAll(() => ctx.close());

  describe('POST /token/revoke with the cookie', () => {
    it('revokes the cookie token’s session and clears the cookie', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refreshToken } = await cookieLogin(ctx.app, username, password);
      const res = await withCookie(request(ctx.app).post('/token/revoke'), refreshToken);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({});
      expectCleared(res);
      expect((await sessionOf(ctx.db, refreshToken))?.revokedAt).not.toBeNull();
      const again = await withCookie(request(ctx.app).post('/token/refresh'), refreshToken);
      expect(again.status).toBe(401);
      expect(again.body.code).toBe('token_revoked');
    });

    it('responds 400 to a cookie plus a body token, revoking nothing', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refreshToken } = await cookieLogin(ctx.app, username, password);
      const res = await withCookie(request(ctx.app).post('/token/revoke'), refreshToken).send({ token: refreshToken });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('token_in_several_places');
      expect((await sessionOf(ctx.db, refreshToken))?.revokedAt).toBeNull();
    });

    it('still responds 400 with the token field when there is neither a body token nor a cookie', async () => {
      const res = await request(ctx.app).post('/token/revoke').send({});
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', errors: [{ field: 'token', message: 'token is required' }] });
    });

    it('does not touch the cookie when an API client revokes a body token', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refresh_token } = await login(ctx.app, username, password);
      const res = await request(ctx.app).post('/token/revoke').send({ token: refresh_token });
      expect(res.status).toBe(200);
      expect(res.headers['set-cookie']).toBeUndefined();
    });
  });

  describe('POST /auth/logout with the cookie', () => {
    it('ends the cookie’s session and clears the cookie', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refreshToken, accessToken } = await cookieLogin(ctx.app, username, password);
      const other = await cookieLogin(ctx.app, username, password);
      const res = await withCookie(request(ctx.app).post('/auth/logout'), refreshToken).set('Authorization', `Bearer ${accessToken}`);
      expect(res.status).toBe(204);
      expectCleared(res);
      expect((await sessionOf(ctx.db, refreshToken))?.revokedAt).not.toBeNull();
      // Only this session: the other one lives on.
      expect((await sessionOf(ctx.db, other.refreshToken))?.revokedAt).toBeNull();
    });

    it('ends every session with all=true and clears the cookie', async () => {
      const { username, password, user } = await createUser(ctx.db);
      const { refreshToken, accessToken } = await cookieLogin(ctx.app, username, password);
      const other = await cookieLogin(ctx.app, username, password);
      const res = await withCookie(request(ctx.app).post('/auth/logout'), refreshToken).set('Authorization', `Bearer ${accessToken}`).send({ all: true });
      expect(res.status).toBe(204);
      expectCleared(res);
      expect((await sessionOf(ctx.db, other.refreshToken))?.revokedAt).not.toBeNull();
      expect((await ctx.db.User.findByPk(user.id))?.sessionVersion).toBe(user.sessionVersion + 1);
    });

    it('clears the cookie of a cookie client even when the browser no longer sends one', async () => {
      const { username, password } = await createUser(ctx.db);
      const { accessToken } = await cookieLogin(ctx.app, username, password);
      const res = await request(ctx.app)
        .post('/auth/logout')
        .set('Host', HOST)
        .set('Origin', OWN_ORIGIN)
        .set('Refresh-Token-Delivery', 'cookie')
        .set('Authorization', `Bearer ${accessToken}`);
      expect(res.status).toBe(204);
      expectCleared(res);
    });

    it('responds 400 to a cookie plus a body refresh_token', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refreshToken, accessToken } = await cookieLogin(ctx.app, username, password);
      const res = await withCookie(request(ctx.app).post('/auth/logout'), refreshToken)
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ refresh_token: refreshToken });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('token_in_several_places');
      expect((await sessionOf(ctx.db, refreshToken))?.revokedAt).toBeNull();
    });

    it('sends no Set-Cookie to an API client logging out by body token', async () => {
      const { username, password } = await createUser(ctx.db);
      const tokens = await login(ctx.app, username, password);
      const res = await request(ctx.app).post('/auth/logout').set('Authorization', `Bearer ${tokens.access_token}`).send({ refresh_token: tokens.refresh_token });
      expect(res.status).toBe(204);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect((await sessionOf(ctx.db, tokens.refresh_token))?.revokedAt).not.toBeNull();
    });
  });

  describe('PUT /users/me/password with Refresh-Token-Delivery: cookie', () => {
    it('puts the new session’s refresh token in the cookie, not the body', async () => {
      const { username, password } = await createUser(ctx.db);
      const { accessToken, refreshToken } = await cookieLogin(ctx.app, username, password);
      const res = await request(ctx.app)
        .put('/users/me/password')
        .set('Host', HOST)
        .set('Origin', OWN_ORIGIN)
        .set('Refresh-Token-Delivery', 'cookie')
        .set('Authorization', `Bearer ${accessToken}`)
        .send({ current_password: password, new_password: 'a-brand-new-passphrase' });
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toBeUndefined();
      const fresh = cookieToken(res);
      expect(await sessionOf(ctx.db, fresh)).toMatchObject({ revokedAt: null });
      expect((await sessionOf(ctx.db, refreshToken))?.revokedAt).not.toBeNull();
    });
  });
});
