import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';
import { cookieLogin, HOST, OWN_ORIGIN } from '../helpers/cookies';
import { tokenUsage } from '../helpers/sessions';
import { createUser } from '../factories/user.factory';
import { countRows, snapshotUser } from '../security/support/db';

const UNKNOWN_DELIVERY = 'localStorage';

/**
 * A request is validated whole (the Refresh-Token-Delivery header, the refresh
 * cookie, where the token was sent) before anything changes: before the failure
 * limiter counts it, before Passport checks a password, before any write. A 400
 * must never arrive after a login, a rotation, a revocation or a password change.
 */
describe('a malformed token request changes nothing', () => {
  let ctx: TestContext;
  // One failed login locks the account: a refused request that counted as a failure would show.
  beforeAll(async () => {
    ctx = await createTestContext({ env: { LOGIN_FAILURE_LIMIT: '1' } });
  });
  afterAll(() => ctx.close());

  /** A request from the page's own origin carrying the refresh cookie and an unknown delivery. */
  const withCookie = (req: request.Test, token: string) =>
    req.set('Host', HOST).set('Origin', OWN_ORIGIN).set('Cookie', `refresh_token=${token}`).set('Refresh-Token-Delivery', UNKNOWN_DELIVERY);

  async function session() {
    const created = await createUser(ctx.db);
    return { ...created, ...(await cookieLogin(ctx.app, created.username, created.password)) };
  }

  function expectUnknownDelivery(res: request.Response): void {
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request', code: 'validation_failed', errors: [{ field: 'Refresh-Token-Delivery', message: expect.any(String) }] });
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(res.body).not.toHaveProperty('access_token');
  }

  it('POST /token, password grant: no login, no new session, no failure counted', async () => {
    const { username, password, refreshToken } = await session();
    const rows = await countRows(ctx.db, 'refresh_tokens');
    expectUnknownDelivery(await withCookie(request(ctx.app).post('/token'), refreshToken).send({ username, password }));
    for (let i = 0; i < 2; i += 1) {
      expectUnknownDelivery(await withCookie(request(ctx.app).post('/token'), refreshToken).send({ username, password: 'wrong-password' }));
    }
    expect(await countRows(ctx.db, 'refresh_tokens')).toBe(rows);
    expect((await request(ctx.app).post('/token').send({ username, password })).status).toBe(200);
  });

  it('POST /token, refresh_token grant: no rotation', async () => {
    const { refreshToken } = await session();
    const rows = await countRows(ctx.db, 'refresh_tokens');
    expectUnknownDelivery(await withCookie(request(ctx.app).post('/token'), refreshToken).send({ grant_type: 'refresh_token' }));
    expect(await countRows(ctx.db, 'refresh_tokens')).toBe(rows);
    expect(await tokenUsage(ctx.db, refreshToken)).toMatchObject({ rotatedAt: null, revokedAt: null });
  });

  it('POST /token/refresh: no rotation', async () => {
    const { refreshToken } = await session();
    const rows = await countRows(ctx.db, 'refresh_tokens');
    expectUnknownDelivery(await withCookie(request(ctx.app).post('/token/refresh'), refreshToken));
    expect(await countRows(ctx.db, 'refresh_tokens')).toBe(rows);
    expect(await tokenUsage(ctx.db, refreshToken)).toMatchObject({ rotatedAt: null, revokedAt: null });
  });

  it('POST /token/revoke: nothing revoked', async () => {
    const { refreshToken } = await session();
    expectUnknownDelivery(await withCookie(request(ctx.app).post('/token/revoke'), refreshToken));
    expect(await tokenUsage(ctx.db, refreshToken)).toMatchObject({ revokedAt: null });
  });

  it('POST /auth/logout: no session ended', async () => {
    const { refreshToken, accessToken, user } = await session();
    const before = await snapshotUser(ctx.db, user.id);
    expectUnknownDelivery(await withCookie(request(ctx.app).post('/auth/logout'), refreshToken).set('Authorization', `Bearer ${accessToken}`));
    expectUnknownDelivery(await withCookie(request(ctx.app).post('/auth/logout'), refreshToken).set('Authorization', `Bearer ${accessToken}`).send({ all: true }));
    expect(await snapshotUser(ctx.db, user.id)).toEqual(before);
  });

  it('PUT /users/me/password: the password stays, and no session ends', async () => {
    const { refreshToken, accessToken, password, user } = await session();
    const before = await snapshotUser(ctx.db, user.id);
    const res = await withCookie(request(ctx.app).put('/users/me/password'), refreshToken)
      .set('Authorization', `Bearer ${accessToken}`)
      .send({ current_password: password, new_password: 'a completely new passphrase' });
    expectUnknownDelivery(res);
    expect(await snapshotUser(ctx.db, user.id)).toEqual(before);
  });

  it('POST /token, password grant: a cookie token sent twice counts no failure either', async () => {
    const { username, refreshToken } = await session();
    for (let i = 0; i < 2; i += 1) {
      const res = await request(ctx.app)
        .post('/token')
        .set('Host', HOST)
        .set('Origin', OWN_ORIGIN)
        .set('Cookie', `refresh_token=x; refresh_token=${refreshToken}`)
        .send({ username, password: 'wrong-password' });
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('refresh_cookie_duplicated');
    }
    const locked = await request(ctx.app).post('/token').send({ username, password: 'wrong-password' });
    expect(locked.status).toBe(401);
  });
});
