import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';
import { createSession } from '../factories/user.factory';
import { expect401Contract, expectAccessRefused, expectRefreshRefused, expectSeveralPlaces } from './support/expectations';
import { Listening, listen, rawRequest } from './support/raw-http';
import { snapshotUser } from './support/db';

/**
 * Where a token may travel (RFC 6750 section 2): access tokens only in
 * `Authorization: Bearer`, refresh tokens in that header or the body, never in
 * the query string, and never in two places at once. And what the server does
 * with Authorization headers nobody sane would send.
 */
describe('the Authorization header and where tokens may travel', () => {
  let ctx: TestContext;
  let server: Listening;
  let session: Awaited<ReturnType<typeof createSession>>;

  beforeAll(async () => {
    ctx = await createTestContext();
    server = await listen(ctx.app);
    session = await createSession(ctx.app, ctx.db);
  });
  afterAll(async () => {
    await server.close();
    await ctx.close();
  });

  const send = (method: string, path: string, headers: Record<string, string | string[]> = {}, body?: unknown) =>
    rawRequest(server.port, {
      method,
      path,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  /** A fresh refresh token for each test that may consume one. */
  async function freshRefreshToken(): Promise<string> {
    const res = await request(ctx.app).post('/token').send({ username: session.username, password: session.password });
    expect(res.status).toBe(200);
    return res.body.refresh_token as string;
  }

  async function expectStillRefreshes(refreshToken: string): Promise<void> {
    const res = await request(ctx.app).post('/token/refresh').send({ refresh_token: refreshToken });
    expect(res.status).toBe(200);
    expect(res.body.refresh_token).toEqual(expect.any(String));
  }

  // latin1 strings go on the wire byte for byte; the UTF-8 bytes of a key emoji arrive as mojibake.
  const utf8Bytes = (text: string) => Buffer.from(text, 'utf8').toString('latin1');
  const absurd = (token: string): Array<[string, string]> => [
    ['empty', ''],
    ['the scheme alone', 'Bearer'],
    ['the scheme and spaces', 'Bearer    '],
    ['two tokens', `Bearer ${token} ${token}`],
    ['two comma-separated credentials', `Bearer ${token}, Bearer ${token}`],
    ['two comma-separated tokens', `Bearer ${token},${token}`],
    ['10 KB', `Bearer ${'A'.repeat(10 * 1024)}`],
    ['the token repeated to 10 KB', `Bearer ${token.repeat(Math.ceil((10 * 1024) / token.length))}`],
    ['non-ASCII latin-1', `Bearer ${token}ü`],
    ['raw UTF-8 bytes', utf8Bytes(`Bearer 🔑${token}`)],
    ['the Basic scheme', `Basic ${Buffer.from(`${session?.username}:${session?.password}`).toString('base64')}`],
    ['the token under the Basic scheme', `Basic ${token}`],
    ['another scheme', `Token ${token}`],
    ['no scheme', token],
    ['a tab instead of a space', `Bearer\t${token}`],
    ['a quoted token', `Bearer "${token}"`],
  ];

  describe('absurd Authorization headers on guarded routes', () => {
    const cases = () => absurd(session.tokens.access_token);
    it.each(absurd('placeholder').map(([name]) => name))('refuses %s with 401 invalid_token', async (name) => {
      const value = cases().find(([n]) => n === name)![1];
      for (const [method, path] of [['GET', '/protected'], ['GET', '/users/me'], ['POST', '/auth/logout']]) {
        const res = await send(method, path, { authorization: value }, method === 'POST' ? { all: true } : undefined);
        expectAccessRefused(res);
      }
    });

    it('left the session untouched', async () => {
      const stored = await ctx.db.User.findByPk(session.user.id, { rejectOnEmpty: true });
      expect(stored.sessionVersion).toBe(0);
    });

    it('accepts the scheme in any case (RFC 7235: auth-scheme is case-insensitive)', async () => {
      for (const scheme of ['bearer', 'BEARER', 'bEaReR']) {
        const res = await send('GET', '/protected', { authorization: `${scheme} ${session.tokens.access_token}` });
        expect(res.status).toBe(200);
      }
    });

    it('refuses two Authorization header lines with 400 invalid_request', async () => {
      const token = session.tokens.access_token;
      expectSeveralPlaces(await send('GET', '/protected', { authorization: [`Bearer ${token}`, `Bearer ${token}`] }));
      expectSeveralPlaces(await send('GET', '/protected', { authorization: [`Bearer ${token}`, 'Bearer forged'] }));
      expectSeveralPlaces(await send('GET', '/protected', { authorization: ['Bearer forged', `Bearer ${token}`] }));
    });
  });

  describe('absurd Authorization headers on POST /token/refresh', () => {
    it('refuses each with 401 invalid_grant and consumes nothing', async () => {
      const refreshToken = await freshRefreshToken();
      for (const [name, value] of absurd(refreshToken)) {
        const res = await send('POST', '/token/refresh', { authorization: value });
        try {
          expectRefreshRefused(res);
        } catch (error) {
          throw new Error(`${name}: ${res.status} ${res.text}\n${String(error)}`);
        }
      }
      await expectStillRefreshes(refreshToken);
    });

    it('accepts a lower-case scheme', async () => {
      const res = await send('POST', '/token/refresh', { authorization: `bearer ${await freshRefreshToken()}` });
      expect(res.status).toBe(200);
    });

    it('refuses two Authorization header lines with 400 and consumes neither token', async () => {
      const [first, second] = [await freshRefreshToken(), await freshRefreshToken()];
      expectSeveralPlaces(await send('POST', '/token/refresh', { authorization: [`Bearer ${first}`, `Bearer ${second}`] }));
      expectSeveralPlaces(await send('POST', '/token/refresh', { authorization: [`Bearer ${first}`, `Bearer ${first}`] }));
      await expectStillRefreshes(first);
      await expectStillRefreshes(second);
    });
  });

  describe('tokens in the query string are never accepted', () => {
    it('GET /protected?access_token= is 401 token_missing, a bare challenge', async () => {
      for (const path of ['/protected', '/users/me']) {
        const res = await send('GET', `${path}?access_token=${session.tokens.access_token}`);
        expect(res.status).toBe(401);
        expect(res.json).toMatchObject({ error: 'unauthorized', code: 'token_missing' });
        expect(res.headers['www-authenticate']).toBe('Bearer realm="auth-server"');
      }
    });

    it('PUT /users/me/password?access_token= changes nothing', async () => {
      const before = await snapshotUser(ctx.db, session.user.id);
      const res = await send('PUT', `/users/me/password?access_token=${session.tokens.access_token}`, {}, {
        current_password: session.password,
        new_password: 'a-completely-new-passphrase-42',
      });
      expect(res.status).toBe(401);
      expect(await snapshotUser(ctx.db, session.user.id)).toEqual(before);
    });

    it('POST /token/refresh?refresh_token= is 400 and the token still works', async () => {
      const refreshToken = await freshRefreshToken();
      const res = await send('POST', `/token/refresh?refresh_token=${refreshToken}`);
      expect(res.status).toBe(400);
      expect(res.json).toMatchObject({ error: 'invalid_request' });
      expect(res.json).not.toHaveProperty('access_token');
      await expectStillRefreshes(refreshToken);
    });

    it('POST /token with credentials or a refresh token in the query issues nothing', async () => {
      const refreshToken = await freshRefreshToken();
      const login = await send('POST', `/token?username=${session.username}&password=${encodeURIComponent(session.password)}`);
      expect(login.status).toBe(400);
      expect(login.json).not.toHaveProperty('access_token');
      const grant = await send('POST', `/token?grant_type=refresh_token&refresh_token=${refreshToken}`);
      expect(grant.status).toBe(400);
      expect(grant.json).not.toHaveProperty('access_token');
      await expectStillRefreshes(refreshToken);
    });

    it('POST /token/revoke?token= and POST /auth/logout?refresh_token= revoke nothing', async () => {
      const refreshToken = await freshRefreshToken();
      expect((await send('POST', `/token/revoke?token=${refreshToken}`)).status).toBe(400);
      const logout = await send('POST', `/auth/logout?refresh_token=${refreshToken}`, { authorization: `Bearer ${session.tokens.access_token}` });
      expect(logout.status).toBeLessThan(500);
      await expectStillRefreshes(refreshToken);
    });
  });

  describe('a token in two places at once is 400 invalid_request and consumes neither', () => {
    it('access token in the header and the query', async () => {
      const token = session.tokens.access_token;
      expectSeveralPlaces(await send('GET', `/protected?access_token=${token}`, { authorization: `Bearer ${token}` }));
      expectSeveralPlaces(await send('GET', '/users/me?access_token=x', { authorization: `Bearer ${token}` }));
    });

    it('access token in the header and the body: no password change, no logout', async () => {
      const token = session.tokens.access_token;
      const before = await snapshotUser(ctx.db, session.user.id);
      const change = await send('PUT', '/users/me/password', { authorization: `Bearer ${token}` }, {
        access_token: token,
        current_password: session.password,
        new_password: 'a-completely-new-passphrase-42',
      });
      expectSeveralPlaces(change);
      const logout = await rawRequest(server.port, {
        method: 'POST',
        path: '/auth/logout',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: `access_token=${token}&all=true`,
      });
      expectSeveralPlaces(logout);
      expect(await snapshotUser(ctx.db, session.user.id)).toEqual(before);
    });

    it('refresh token in the header and the body (same token or two different ones)', async () => {
      const [first, second] = [await freshRefreshToken(), await freshRefreshToken()];
      expectSeveralPlaces(await send('POST', '/token/refresh', { authorization: `Bearer ${first}` }, { refresh_token: first }));
      expectSeveralPlaces(await send('POST', '/token/refresh', { authorization: `Bearer ${first}` }, { refresh_token: second }));
      const form = await rawRequest(server.port, {
        method: 'POST',
        path: '/token/refresh',
        headers: { authorization: `Bearer ${second}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: `refresh_token=${first}`,
      });
      expectSeveralPlaces(form);
      await expectStillRefreshes(first);
      await expectStillRefreshes(second);
    });

    it('refresh token in the header and the query, or the body and the query', async () => {
      const refreshToken = await freshRefreshToken();
      expectSeveralPlaces(await send('POST', `/token/refresh?refresh_token=${refreshToken}`, { authorization: `Bearer ${refreshToken}` }));
      expectSeveralPlaces(await send('POST', `/token/refresh?refresh_token=${refreshToken}`, {}, { refresh_token: refreshToken }));
      await expectStillRefreshes(refreshToken);
    });
  });

  it('every 401 above carried a challenge and a code (spot check over the refusal shapes)', async () => {
    const responses = await Promise.all([
      send('GET', '/protected'),
      send('GET', '/protected', { authorization: 'Bearer x' }),
      send('POST', '/token/refresh', { authorization: 'Bearer x' }),
      send('POST', '/token', {}, { username: 'nobody', password: 'wrong-password' }),
    ]);
    for (const res of responses) {
      expect(res.status).toBe(401);
      expect401Contract(res);
    }
  });
});
