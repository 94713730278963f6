import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';
import { cookieLogin, HOST, OWN_ORIGIN, tokenRow } from '../helpers/cookies';
import { sessionOf } from '../helpers/sessions';
import { createUser, login } from '../factories/user.factory';

const FRONT_END = 'http://localhost:5173'; // listed in CORS_ORIGINS
const EVIL = 'https://evil.example';

const CSRF_BODY = { error: 'forbidden', error_description: expect.any(String), code: 'csrf_rejected' };

describe('CSRF protection of the refresh cookie', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ env: { CORS_ORIGINS: FRONT_END } });
  });
  afterAll(() => ctx.close());

  async function session() {
    const { username, password, user } = await createUser(ctx.db);
    return { user, username, password, ...(await cookieLogin(ctx.app, username, password)) };
  }

  /** A POST carrying the refresh cookie, with the given Origin/Referer headers. */
  const cookiePost = (path: string, token: string, headers: Record<string, string>) => {
    const req = request(ctx.app).post(path).set('Host', HOST).set('Cookie', `refresh_token=${token}`);
    for (const [name, value] of Object.entries(headers)) req.set(name, value);
    return req;
  };

  describe('POST /token/refresh', () => {
    it.each([
      ['a foreign Origin', { Origin: EVIL }],
      ['Origin: null', { Origin: 'null' }],
      ['the right host on another scheme', { Origin: `https://${HOST}` }],
      ['a foreign Referer and no Origin', { Referer: `${EVIL}/page` }],
      ['neither Origin nor Referer', {}],
      ['an unparsable Referer', { Referer: 'not a url' }],
    ])('responds 403 csrf_rejected to %s and leaves the token unused', async (_label, headers) => {
      const { refreshToken } = await session();
      const res = await cookiePost('/token/refresh', refreshToken, headers);
      expect(res.status).toBe(403);
      expect(res.body).toEqual(CSRF_BODY);
      expect(res.headers['set-cookie']).toBeUndefined();
      expect((await tokenRow(ctx.db, refreshToken))?.rotatedAt).toBeNull();
    });

    it.each([
      ['its own Origin', { Origin: OWN_ORIGIN }],
      ['its own Referer and no Origin', { Referer: `${OWN_ORIGIN}/` }],
      ['an Origin listed in CORS_ORIGINS', { Origin: FRONT_END }],
    ])('accepts %s', async (_label, headers) => {
      const { refreshToken } = await session();
      const res = await cookiePost('/token/refresh', refreshToken, headers);
      expect(res.status).toBe(200);
      expect((await tokenRow(ctx.db, refreshToken))?.rotatedAt).not.toBeNull();
    });

    it('lets an API client without the cookie refresh from anywhere: nothing ambient authenticates it', async () => {
      const { username, password } = await createUser(ctx.db);
      const { refresh_token } = await login(ctx.app, username, password);
      const res = await request(ctx.app).post('/token/refresh').set('Origin', EVIL).send({ refresh_token });
      expect(res.status).toBe(200);
      expect(res.body.refresh_token).toEqual(expect.any(String));
    });
  });

  it('POST /token/revoke responds 403 to a foreign origin and revokes nothing', async () => {
    const { refreshToken } = await session();
    const res = await cookiePost('/token/revoke', refreshToken, { Origin: EVIL });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(CSRF_BODY);
    expect((await sessionOf(ctx.db, refreshToken))?.revokedAt).toBeNull();
  });

  it('POST /auth/logout responds 403 to a foreign origin and ends nothing', async () => {
    const { refreshToken, accessToken } = await session();
    const res = await cookiePost('/auth/logout', refreshToken, { Origin: EVIL }).set('Authorization', `Bearer ${accessToken}`).send({ all: true });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(CSRF_BODY);
    expect((await sessionOf(ctx.db, refreshToken))?.revokedAt).toBeNull();
  });

  it('POST /token refuses a cookie login from a foreign origin (login CSRF) and issues nothing', async () => {
    const { username, password, user } = await createUser(ctx.db);
    const res = await request(ctx.app).post('/token').set('Origin', EVIL).set('Refresh-Token-Delivery', 'cookie').send({ username, password });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(CSRF_BODY);
    expect(res.headers['set-cookie']).toBeUndefined();
    expect(await ctx.db.RefreshToken.count({ where: { userId: user.id } })).toBe(0);
  });

  it('PUT /users/me/password refuses cookie delivery to a foreign origin and keeps the password', async () => {
    const { accessToken, password, username } = await session();
    const res = await request(ctx.app)
      .put('/users/me/password')
      .set('Origin', EVIL)
      .set('Refresh-Token-Delivery', 'cookie')
      .set('Authorization', `Bearer ${accessToken}`)
      .send({ current_password: password, new_password: 'another-long-passphrase' });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(CSRF_BODY);
    await expect(login(ctx.app, username, password)).resolves.toBeDefined();
  });

  describe('CORS for a front end on another origin', () => {
    it('answers the preflight of a listed origin with credentials allowed', async () => {
      const res = await request(ctx.app)
        .options('/token/refresh')
        .set('Origin', FRONT_END)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,refresh-token-delivery');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe(FRONT_END);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers['access-control-allow-headers']).toBe('content-type,refresh-token-delivery');
    });

    it('grants nothing to an unlisted origin', async () => {
      const res = await request(ctx.app)
        .options('/token/refresh')
        .set('Origin', EVIL)
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'content-type,refresh-token-delivery');
      // (the cors package still says allow-credentials; without an allowed origin the browser refuses anyway)
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('lets a listed origin log in with cookie delivery and read Retry-After', async () => {
      const { username, password } = await createUser(ctx.db);
      const res = await request(ctx.app).post('/token').set('Origin', FRONT_END).set('Refresh-Token-Delivery', 'cookie').send({ username, password });
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe(FRONT_END);
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers['access-control-expose-headers']).toBe('Retry-After');
      expect(res.headers['set-cookie']).toHaveLength(2);
    });
  });
});
