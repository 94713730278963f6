import request from 'supertest';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { cookieLogin, cookieToken, expectCleared, HOST, OWN_ORIGIN, tokenRow } from '../helpers/cookies';
import { tokenUsage } from '../helpers/sessions';
import { createUser, login } from '../factories/user.factory';

/**
 * A refresh token can be traded at two doors: the refresh_token grant of POST /token
 * (RFC 6749 section 6) and POST /token/refresh. Both read the presented token the
 * same way (app/auth/refresh-token-source.ts), so every rule here runs on both.
 */
const ENDPOINTS = [
  ['POST /token, grant_type=refresh_token', { path: '/token', grant: { grant_type: 'refresh_token' } }],
  ['POST /token/refresh', { path: '/token/refresh', grant: {} }],
] as const;
const ENDPOINTS_ON_EACH_DIALECT = DIALECTS.flatMap((dialect) => ENDPOINTS.map(([name, endpoint]) => [name, dialect, endpoint] as const));

describe.each(ENDPOINTS_ON_EACH_DIALECT)('%s (%s)', (_name, dialect, endpoint) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
  });
  afterAll(() => ctx.close());

  interface Placement {
    cookie?: string;
    body?: string;
    query?: string;
    delivery?: 'cookie' | 'body';
    origin?: string;
  }

  /** The refresh request of this endpoint, with the token in the given places, from the page's own origin. */
  function refresh({ cookie, body, query, delivery, origin = OWN_ORIGIN }: Placement, app = ctx.app) {
    const path = query === undefined ? endpoint.path : `${endpoint.path}?refresh_token=${encodeURIComponent(query)}`;
    const req = request(app).post(path).set('Host', HOST).set('Origin', origin);
    if (cookie !== undefined) req.set('Cookie', `refresh_token=${cookie}`);
    if (delivery !== undefined) req.set('Refresh-Token-Delivery', delivery);
    return req.send({ ...endpoint.grant, ...(body === undefined ? {} : { refresh_token: body }) });
  }

  const cookieSession = async () => {
    const { username, password } = await createUser(ctx.db);
    return (await cookieLogin(ctx.app, username, password)).refreshToken;
  };
  const bodySession = async () => {
    const { username, password } = await createUser(ctx.db);
    return (await login(ctx.app, username, password)).refresh_token;
  };

  async function expectUnused(...tokens: string[]): Promise<void> {
    for (const token of tokens) expect(await tokenUsage(ctx.db, token)).toMatchObject({ rotatedAt: null, revokedAt: null });
  }

  it('accepts the token in the cookie and answers its successor in the cookie, even when the body is asked for', async () => {
    const token = await cookieSession();
    const res = await refresh({ cookie: token, delivery: 'body' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 900, refresh_token_expires_in: 30 * 86400 });
    const successor = cookieToken(res);
    expect(successor).not.toBe(token);
    expect((await tokenRow(ctx.db, token))?.rotatedAt).not.toBeNull();
    expect(await tokenUsage(ctx.db, successor)).toMatchObject({ rotatedAt: null, revokedAt: null });
  });

  it('accepts the token in the body and answers in the body, with no cookie', async () => {
    const token = await bodySession();
    const res = await refresh({ body: token });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toEqual(expect.any(String));
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('moves a body token’s successor into the cookie when asked (Refresh-Token-Delivery: cookie)', async () => {
    const token = await bodySession();
    const res = await refresh({ body: token, delivery: 'cookie' });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toBeUndefined();
    expect(await tokenRow(ctx.db, cookieToken(res))).not.toBeNull();
  });

  it.each([
    ['the cookie and the body', (a: string, b: string): Placement => ({ cookie: a, body: b })],
    ['the cookie and the body, the same token', (a: string): Placement => ({ cookie: a, body: a })],
    ['the cookie and the query string', (a: string, b: string): Placement => ({ cookie: a, query: b })],
    ['the body and the query string', (a: string, b: string): Placement => ({ body: a, query: b })],
  ])('responds 400 token_in_several_places to a token in %s, consuming neither and leaving the cookie', async (_places, placement) => {
    const [first, second] = [await cookieSession(), await cookieSession()];
    const res = await refresh(placement(first, second));
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: expect.any(String), code: 'token_in_several_places' });
    expect(res.headers['set-cookie']).toBeUndefined();
    await expectUnused(first, second);
  });

  it('responds 400 naming refresh_token when no token is sent anywhere', async () => {
    const res = await refresh({});
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request', code: 'validation_failed', errors: [{ field: 'refresh_token', message: expect.any(String) }] });
  });

  it('responds 401 to an unknown cookie token and clears the cookie, so the browser stops sending it', async () => {
    const res = await refresh({ cookie: 'not-a-real-token' });
    expect(res.status).toBe(401);
    expect(res.body).toMatchObject({ error: 'invalid_grant', code: 'token_invalid' });
    expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="auth-server", error="invalid_token"/);
    expectCleared(res);
  });

  it('responds 401 token_revoked to the cookie of a session ended elsewhere, and clears the cookie', async () => {
    const token = await cookieSession();
    expect((await request(ctx.app).post('/token/revoke').send({ token })).status).toBe(200);
    const res = await refresh({ cookie: token });
    expect(res.status).toBe(401);
    expect(res.body.code).toBe('token_revoked');
    expectCleared(res);
  });

  it('leaves the cookie alone when an API client’s body token is refused', async () => {
    const res = await refresh({ body: 'not-a-real-token' });
    expect(res.status).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('leaves the cookie alone on a 5xx: the token may well still be good', async () => {
    const broken = await createTestContext({ dialect });
    await broken.close(); // every query now fails
    const res = await refresh({ cookie: 'some-cookie-token' }, broken.app);
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('refuses the cookie from a foreign origin (CSRF) and leaves the token unused', async () => {
    const token = await cookieSession();
    const res = await refresh({ cookie: token, origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('csrf_rejected');
    await expectUnused(token);
  });
});

describe.each(DIALECTS)('where each endpoint looks for the refresh token (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
  });
  afterAll(() => ctx.close());

  it('POST /token/refresh accepts Authorization: Bearer, and refuses it beside the cookie', async () => {
    const { username, password } = await createUser(ctx.db);
    const { refresh_token: token } = await login(ctx.app, username, password);
    const both = await request(ctx.app).post('/token/refresh').set('Host', HOST).set('Origin', OWN_ORIGIN).set('Cookie', `refresh_token=${token}`).set('Authorization', `Bearer ${token}`);
    expect(both.status).toBe(400);
    expect(both.body.code).toBe('token_in_several_places');
    const res = await request(ctx.app).post('/token/refresh').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
  });

  it('POST /token never reads the refresh token from Authorization, which RFC 6749 keeps for client authentication', async () => {
    const { username, password } = await createUser(ctx.db);
    const { refresh_token: token } = await login(ctx.app, username, password);
    const headerOnly = await request(ctx.app).post('/token').set('Authorization', `Bearer ${token}`).type('form').send({ grant_type: 'refresh_token' });
    expect(headerOnly.status).toBe(400);
    expect(headerOnly.body.errors).toEqual([expect.objectContaining({ field: 'refresh_token' })]);
    const withBody = await request(ctx.app).post('/token').set('Authorization', 'Basic Y2xpZW50OnNlY3JldA==').type('form').send({ grant_type: 'refresh_token', refresh_token: token });
    expect(withBody.status).toBe(200);
  });

  it('POST /token with the password grant ignores a refresh cookie (it logs in anew)', async () => {
    const { username, password } = await createUser(ctx.db);
    const { refresh_token: token } = await login(ctx.app, username, password);
    const res = await request(ctx.app).post('/token').set('Host', HOST).set('Origin', OWN_ORIGIN).set('Cookie', `refresh_token=${token}`).send({ username, password });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toEqual(expect.any(String));
    expect(await tokenUsage(ctx.db, token)).toMatchObject({ rotatedAt: null, revokedAt: null });
  });
});
