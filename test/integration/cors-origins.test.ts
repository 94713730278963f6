import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';
import { cookieToken, HOST, OWN_ORIGIN, tokenRow } from '../helpers/cookies';
import { createUser } from '../factories/user.factory';

/**
 * CORS_ORIGINS as people write it (host capitalised, the default port spelled out),
 * against the Origin header as browsers send it (the serialized origin: lower case,
 * no default port). The entry is normalised once, in config; both the CORS answer
 * and the CSRF check of the refresh cookie then recognise the browser's origin.
 */
const ENTRY = 'https://App.Example.COM:443';
const BROWSER_ORIGIN = 'https://app.example.com';

describe('CORS_ORIGINS written with capitals and a default port', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ env: { CORS_ORIGINS: ENTRY } });
  });
  afterAll(() => ctx.close());

  it('answers that origin\'s preflight and request with CORS headers, credentials included', async () => {
    const preflight = await request(ctx.app)
      .options('/token')
      .set('Origin', BROWSER_ORIGIN)
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'content-type,refresh-token-delivery');
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-origin']).toBe(BROWSER_ORIGIN);
    expect(preflight.headers['access-control-allow-credentials']).toBe('true');

    const simple = await request(ctx.app).get('/health').set('Origin', BROWSER_ORIGIN);
    expect(simple.status).toBe(200);
    expect(simple.headers['access-control-allow-origin']).toBe(BROWSER_ORIGIN);
  });

  it('lets that origin log in with cookie delivery and refresh with the cookie (the CSRF check passes)', async () => {
    const { username, password } = await createUser(ctx.db);
    const login = await request(ctx.app)
      .post('/token')
      .set('Host', HOST)
      .set('Origin', BROWSER_ORIGIN)
      .set('Refresh-Token-Delivery', 'cookie')
      .send({ username, password });
    expect(login.status).toBe(200);
    expect(login.headers['access-control-allow-origin']).toBe(BROWSER_ORIGIN);
    const token = cookieToken(login);

    const refresh = await request(ctx.app)
      .post('/token/refresh')
      .set('Host', HOST)
      .set('Origin', BROWSER_ORIGIN)
      .set('Refresh-Token-Delivery', 'cookie')
      .set('Cookie', `refresh_token=${token}`);
    expect(refresh.status).toBe(200);
    expect(refresh.body.access_token).toEqual(expect.any(String));
    expect((await tokenRow(ctx.db, token))?.rotatedAt).not.toBeNull();
  });

  it('still refuses the cookie to an origin that differs only in scheme', async () => {
    const { username, password } = await createUser(ctx.db);
    const login = await request(ctx.app)
      .post('/token')
      .set('Host', HOST)
      .set('Origin', OWN_ORIGIN)
      .set('Refresh-Token-Delivery', 'cookie')
      .send({ username, password });
    const token = cookieToken(login);
    const refresh = await request(ctx.app)
      .post('/token/refresh')
      .set('Host', HOST)
      .set('Origin', 'http://app.example.com')
      .set('Cookie', `refresh_token=${token}`);
    expect(refresh.status).toBe(403);
    expect(refresh.body.code).toBe('csrf_rejected');
    expect((await tokenRow(ctx.db, token))?.rotatedAt).toBeNull();
  });
});
