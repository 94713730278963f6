import request from 'supertest';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { fakeClock } from '../helpers/clock';
import { cookieLogin, cookieToken, expectCleared, HOST, OWN_ORIGIN, setCookies, tokenRow } from '../helpers/cookies';
import { sessionOf } from '../helpers/sessions';
import { createUser, login } from '../factories/user.factory';

const THIRTY_DAYS = 30 * 86400;
const EXPIRES = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/** A request from the page at OWN_ORIGIN carrying the refresh cookie. */
const withCookie = (req: request.Test, token: string) => req.set('Host', HOST).set('Origin', OWN_ORIGIN).set('Cookie', `refresh_token=${token}`);

describe.each(DIALECTS)('refresh token delivery by cookie (%s)', (dialect) => {
  let ctx: TestContext;
  const clock = fakeClock(new Date('2030-01-01T00:00:00Z'));
  beforeAll(async () => {
    ctx = await createTestContext({ clock, dialect });
  });
  afterAll(() => ctx.close());

  describe('POST /token with Refresh-Token-Delivery: cookie', () => {
    it('sets the refresh token as an HttpOnly, SameSite=Strict cookie on /token and /auth/logout, and leaves it out of the body', async () => {
      const { username, password, user } = await createUser(ctx.db);
      const before = Date.now();
      const { res, refreshToken } = await cookieLogin(ctx.app, username, password);

      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900, refresh_token_expires_in: THIRTY_DAYS });
      expect(JSON.stringify(res.body)).not.toContain(refreshToken);
      const cookies = setCookies(res);
      expect(cookies.map((c) => c.raw.replace(/Expires=[^;]+/, 'Expires=<date>'))).toEqual([
        `refresh_token=${refreshToken}; Max-Age=${THIRTY_DAYS}; Path=/token; Expires=<date>; HttpOnly; SameSite=Strict`,
        `refresh_token=${refreshToken}; Max-Age=${THIRTY_DAYS}; Path=/auth/logout; Expires=<date>; HttpOnly; SameSite=Strict`,
      ]);
      for (const cookie of cookies) {
        expect(cookie.attributes.expires).toMatch(EXPIRES);
        const expires = Date.parse(cookie.attributes.expires as string);
        expect(expires).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + THIRTY_DAYS * 1000);
        expect(expires).toBeLessThanOrEqual(Date.now() + THIRTY_DAYS * 1000);
      }
      expect(res.headers['cache-control']).toBe('no-store');
      const row = await tokenRow(ctx.db, refreshToken);
      expect(row).toMatchObject({ userId: user.id, rotatedAt: null });
      expect(await sessionOf(ctx.db, refreshToken)).toMatchObject({ userId: user.id, revokedAt: null });
    });

    it('gives the cookie the remaining lifetime of the token when the session is older', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refreshToken } = await cookieLogin(ctx.app, username, password);
      clock.advance(10 * 86400 * 1000);
      const res = await withCookie(request(ctx.app).post('/token/refresh'), refreshToken);
      // A rotated token starts a fresh TTL; the body and the cookie agree on it.
      expect(res.status).toBe(200);
      expect(setCookies(res)[0].attributes['max-age']).toBe(String(res.body.refresh_token_expires_in));
    });

    it('marks the cookie Secure when the host is not a loopback name', async () => {
      const { username, password } = await createUser(ctx.db);
      const res = await request(ctx.app)
        .post('/token')
        .set('Host', 'auth.example.com')
        .set('Origin', 'http://auth.example.com')
        .set('Refresh-Token-Delivery', 'cookie')
        .send({ username, password });
      expect(res.status).toBe(200);
      for (const cookie of setCookies(res)) expect(cookie.attributes.secure).toBe(true);
    });

    it('marks the cookie Secure in production even on localhost', async () => {
      const prod = ctx.appWith({ env: { NODE_ENV: 'production', MAIL_DISABLED: 'true', ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2', SEED_DEMO_USER: 'false' }, clock });
      const { username, password } = await createUser(ctx.db);
      const res = await request(prod).post('/token').set('Host', HOST).set('Origin', OWN_ORIGIN).set('Refresh-Token-Delivery', 'cookie').send({ username, password });
      expect(res.status).toBe(200);
      expect(setCookies(res).map((c) => c.attributes.secure)).toEqual([true, true]);
    });

    it('keeps API clients on the body: no header or "body" means no cookie', async () => {
      const { username, password } = await createUser(ctx.db);
      for (const delivery of [undefined, 'body', ' Body ']) {
        const req = request(ctx.app).post('/token').send({ username, password });
        const res = await (delivery === undefined ? req : req.set('Refresh-Token-Delivery', delivery));
        expect(res.status).toBe(200);
        expect(res.body.refresh_token).toEqual(expect.any(String));
        expect(res.headers['set-cookie']).toBeUndefined();
      }
    });

    it('responds 400 to an unknown delivery', async () => {
      const { username, password } = await createUser(ctx.db);
      const res = await request(ctx.app).post('/token').set('Refresh-Token-Delivery', 'localStorage').send({ username, password });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', code: 'validation_failed', errors: [{ field: 'Refresh-Token-Delivery', message: expect.any(String) }] });
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('delivers the refresh_token grant by cookie when asked', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refresh_token } = await login(ctx.app, username, password);
      const res = await request(ctx.app)
        .post('/token')
        .set('Host', HOST)
        .set('Origin', OWN_ORIGIN)
        .set('Refresh-Token-Delivery', 'cookie')
        .send({ grant_type: 'refresh_token', refresh_token });
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toBeUndefined();
      expect(await tokenRow(ctx.db, cookieToken(res))).not.toBeNull();
    });
  });

  describe('POST /token/refresh with the cookie', () => {
    it('rotates the cookie token and sets the successor as the new cookie', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refreshToken } = await cookieLogin(ctx.app, username, password);
      const res = await withCookie(request(ctx.app).post('/token/refresh'), refreshToken);
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900, refresh_token_expires_in: THIRTY_DAYS });
      const successor = cookieToken(res);
      expect(successor).not.toBe(refreshToken);
      expect((await tokenRow(ctx.db, refreshToken))?.rotatedAt).not.toBeNull();
      expect(await tokenRow(ctx.db, successor)).toMatchObject({ rotatedAt: null });
      expect(await sessionOf(ctx.db, successor)).toMatchObject({ revokedAt: null });
      const me = await request(ctx.app).get('/users/me').set('Authorization', `Bearer ${res.body.access_token}`);
      expect(me.body.username).toBe(username);
    });

    it('answers a cookie token with a cookie even when the client asks for the body', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refreshToken } = await cookieLogin(ctx.app, username, password);
      const res = await withCookie(request(ctx.app).post('/token/refresh'), refreshToken).set('Refresh-Token-Delivery', 'body');
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toBeUndefined();
      expect(cookieToken(res)).not.toBe(refreshToken);
    });

    it('responds 400 token_in_several_places to a cookie plus a body token', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refreshToken } = await cookieLogin(ctx.app, username, password);
      const res = await withCookie(request(ctx.app).post('/token/refresh'), refreshToken).send({ refresh_token: refreshToken });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', code: 'token_in_several_places' });
      expect((await tokenRow(ctx.db, refreshToken))?.rotatedAt).toBeNull();
    });

    it('responds 400 token_in_several_places to a cookie plus an Authorization header', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refreshToken } = await cookieLogin(ctx.app, username, password);
      const res = await withCookie(request(ctx.app).post('/token/refresh'), refreshToken).set('Authorization', `Bearer ${refreshToken}`);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('token_in_several_places');
    });

    it('ignores a cookie that is not a plain string (cookie-parser JSON values)', async () => {
      const res = await request(ctx.app)
        .post('/token/refresh')
        .set('Host', HOST)
        .set('Origin', OWN_ORIGIN)
        .set('Cookie', `refresh_token=${encodeURIComponent('j:{"a":1}')}`);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'refresh_token' }] });
    });

    it('responds 401 to an unknown cookie token and clears the cookie, so the browser stops sending it', async () => {
      const res = await withCookie(request(ctx.app).post('/token/refresh'), 'not-a-real-token');
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'invalid_grant', code: 'token_invalid' });
      expectCleared(res);
    });

    it('clears the cookie of a session ended elsewhere (revoked token)', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refreshToken } = await cookieLogin(ctx.app, username, password);
      expect((await request(ctx.app).post('/token/revoke').send({ token: refreshToken })).status).toBe(200);
      const res = await withCookie(request(ctx.app).post('/token/refresh'), refreshToken);
      expect(res.status).toBe(401);
      expect(res.body.code).toBe('token_revoked');
      expectCleared(res);
    });

    it('leaves the cookie alone when a late tab presents a token superseded twice: the jar may hold the newest one', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refreshToken } = await cookieLogin(ctx.app, username, password);
      const second = cookieToken(await withCookie(request(ctx.app).post('/token/refresh'), refreshToken));
      await withCookie(request(ctx.app).post('/token/refresh'), second).expect(200);
      const late = await withCookie(request(ctx.app).post('/token/refresh'), refreshToken);
      expect(late.status).toBe(401);
      expect(late.body.code).toBe('token_superseded');
      expect(late.headers['set-cookie']).toBeUndefined();
    });

    it('leaves the cookie alone when the request itself is wrong (400): the token may still be good', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refreshToken } = await cookieLogin(ctx.app, username, password);
      const res = await withCookie(request(ctx.app).post('/token/refresh'), refreshToken).send({ refresh_token: refreshToken });
      expect(res.status).toBe(400);
      expect(res.headers['set-cookie']).toBeUndefined();
    });

    it('leaves the cookie alone when an API client’s body token is refused', async () => {
      const res = await request(ctx.app).post('/token/refresh').send({ refresh_token: 'not-a-real-token' });
      expect(res.status).toBe(401);
      expect(res.headers['set-cookie']).toBeUndefined();
    });
  });
});
