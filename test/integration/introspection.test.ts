import fc from 'fast-check';
import type { Express } from 'express';
import request from 'supertest';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { fakeClock, FakeClock } from '../helpers/clock';
import { logStatements } from '../helpers/sql-log';
import { createSession, createUser, login } from '../factories/user.factory';
import { asymmetric, attackerKeys, decodePart, forge, hmac, noSignature, Signer } from '../security/support/jwt-forge';
import { serverKeys } from '../security/support/server-keys';

/**
 * POST /token/introspect (RFC 7662) as a resource server calls it: HTTP Basic
 * credentials of a client named in INTROSPECTION_CLIENTS, a token from a real login.
 * Active only while the token would be accepted here (an access token by the guard,
 * a refresh token by rotation); anything else is exactly {"active": false}. On both
 * dialects, with the shared secret (HS256) and with a signing key of the database (ES256).
 */
const ORDERS = { name: 'orders-api', secret: 'orders-api-secret-of-at-least-32-bytes' };
// A secret with characters RFC 6749 section 2.3.1 has clients form-encode inside Basic.
const BILLING = { name: 'billing', secret: 'billing secret+with/reserved:chars%41&=ok' };
const CLIENTS = `${ORDERS.name}:${ORDERS.secret},${BILLING.name}:${BILLING.secret}`;
const INACTIVE = { active: false };

const formEncode = (text: string) => new URLSearchParams({ x: text }).toString().slice(2);
const basic = (name: string, secret: string) => `Basic ${Buffer.from(`${formEncode(name)}:${formEncode(secret)}`).toString('base64')}`;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

type Body = Record<string, unknown>;
const VARIANTS = DIALECTS.flatMap((dialect) => (['HS256', 'ES256'] as const).map((algorithm) => [dialect, algorithm] as const));
const attacker = attackerKeys();

describe.each(VARIANTS)('POST /token/introspect (%s, %s)', (dialect, algorithm) => {
  let ctx: TestContext;
  let clock: FakeClock;
  /** Signs as the server does: its secret, or its current private key. */
  let serverSigner: Signer;
  /** Signs as the server's algorithm with a key that is not the server's. */
  const otherSigner: Signer = algorithm === 'HS256' ? hmac('sha256', 'another-secret-of-at-least-32-bytes-long') : asymmetric(attacker.ec.privateKey, { dsaEncoding: 'ieee-p1363' });
  let boss: Awaited<ReturnType<typeof createUser>>;

  beforeAll(async () => {
    // Whole seconds, so the `exp` an answer gives is the expiry the server stored, to the second.
    clock = fakeClock(new Date(Math.floor(Date.now() / 1000) * 1000));
    ctx = await createTestContext({ dialect, clock, env: { JWT_ALGORITHM: algorithm, INTROSPECTION_CLIENTS: CLIENTS, REFRESH_TOKEN_TTL: '1h' } });
    serverSigner = algorithm === 'HS256' ? hmac('sha256', ctx.config.jwt.secret) : asymmetric((await serverKeys(ctx.db, ctx.config)).current.privateKey, { dsaEncoding: 'ieee-p1363' });
    boss = await createUser(ctx.db, { role: 'admin' });
  });
  afterAll(() => ctx.close());

  const introspect = (body: Body | string, { app = ctx.app, authorization = basic(ORDERS.name, ORDERS.secret) }: { app?: Express; authorization?: string | null } = {}) => {
    const req = request(app).post('/token/introspect');
    if (authorization !== null) req.set('Authorization', authorization);
    return typeof body === 'string' ? req.type('form').send(body) : req.type('form').send(body as object);
  };
  const introspectJson = (body: unknown) => request(ctx.app).post('/token/introspect').set('Authorization', basic(ORDERS.name, ORDERS.secret)).send(body as object);
  const expectInactive = async (token: string, options?: Parameters<typeof introspect>[1]) => {
    const res = await introspect({ token }, options);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(INACTIVE);
  };
  // A fresh login each time: tests move the clock past any earlier access token's life.
  const asAdmin = async () => bearer((await login(ctx.app, boss.username, boss.password)).access_token);
  /**
   * Another app over the same database and clock, with other settings; once its key
   * ring has read the signing keys (they appear in its JWKS), so it can sign.
   */
  const appWith = async (env: Record<string, string | undefined>): Promise<Express> => {
    const app = ctx.appWith({ clock, env });
    const deadline = Date.now() + 5_000;
    while (algorithm !== 'HS256' && (await request(app).get('/.well-known/jwks.json')).body.keys.length === 0) {
      if (Date.now() > deadline) throw new Error('the key ring of the new app did not load within 5 s');
    }
    return app;
  };
  const nowSeconds = () => Math.floor(clock.now().getTime() / 1000);

  describe('an active token', () => {
    it('describes an access token of a live session: the RFC 7662 members, its claims and the user’s name; no-store', async () => {
      const { user, username, tokens } = await createSession(ctx.app, ctx.db);
      const res = await introspect({ token: tokens.access_token });
      expect(res.status).toBe(200);
      const claims = decodePart(tokens.access_token, 1);
      expect(res.body).toEqual({
        active: true,
        token_type: 'access_token',
        sub: user.id,
        username,
        roles: ['user'],
        exp: claims.exp,
        iat: claims.iat,
        iss: ctx.config.jwt.issuer,
        aud: ctx.config.jwt.audience,
        jti: claims.jti,
      });
      expect(res.body.exp).toBe(nowSeconds() + 15 * 60);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
    });

    it('describes a refresh token of a live session: its user and when it stops being usable', async () => {
      const { user, tokens } = await createSession(ctx.app, ctx.db);
      const res = await introspect({ token: tokens.refresh_token });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ active: true, token_type: 'refresh_token', sub: user.id, exp: nowSeconds() + 3600 });
      expect(res.headers['cache-control']).toBe('no-store');
    });

    it('reads a JSON body as well as a form', async () => {
      const { user, tokens } = await createSession(ctx.app, ctx.db);
      const res = await introspectJson({ token: tokens.access_token });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ active: true, sub: user.id });
    });

    it('accepts every configured client, and a secret sent form-encoded inside Basic (RFC 6749 section 2.3.1)', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      const res = await introspect({ token: tokens.access_token }, { authorization: basic(BILLING.name, BILLING.secret) });
      expect(res.status).toBe(200);
      expect(res.body.active).toBe(true);
      // The scheme name is case-insensitive (RFC 7617 section 2, RFC 9110 section 11.1).
      const lower = await introspect({ token: tokens.access_token }, { authorization: basic(ORDERS.name, ORDERS.secret).replace('Basic', 'basic') });
      expect(lower.status).toBe(200);
    });

    it.each([
      ['access_token', 'refresh_token'],
      ['refresh_token', 'access_token'],
      ['access_token', 'id_token'],
      ['refresh_token', 'not-a-type'],
      ['access_token', ''],
    ])('finds a %s whatever token_type_hint says ("%s"): the hint only orders the lookups (RFC 7662 section 2.1)', async (kind, hint) => {
      const { user, tokens } = await createSession(ctx.app, ctx.db);
      const res = await introspect({ token: kind === 'access_token' ? tokens.access_token : tokens.refresh_token, token_type_hint: hint });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ active: true, token_type: kind, sub: user.id });
    });

    it('looks the hinted kind up first: an access token costs no refresh-token query unless the hint says refresh_token', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      const statements: string[] = [];
      const stop = logStatements(ctx.db, ({ sql }) => statements.push(sql));
      try {
        for (const hint of [undefined, 'access_token', 'id_token']) expect((await introspect({ token: tokens.access_token, token_type_hint: hint })).body.active).toBe(true);
        expect(statements.filter((sql) => sql.includes('refresh_tokens'))).toEqual([]);
        expect((await introspect({ token: tokens.access_token, token_type_hint: 'refresh_token' })).body.active).toBe(true);
        expect(statements.filter((sql) => sql.includes('refresh_tokens'))).toHaveLength(1);
      } finally {
        stop();
      }
    });

    it('ignores a token_type_hint that is not a string', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      for (const hint of [['refresh_token'], { a: 1 }, 7, null, true]) {
        const res = await introspectJson({ token: tokens.refresh_token, token_type_hint: hint });
        expect(res.status).toBe(200);
        expect(res.body).toMatchObject({ active: true, token_type: 'refresh_token' });
      }
    });

    it('changes nothing: an introspected refresh token still rotates, once', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      for (let i = 0; i < 3; i += 1) expect((await introspect({ token: tokens.refresh_token })).body.active).toBe(true);
      expect((await request(ctx.app).post('/token/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(200);
    });
  });

  describe('an inactive token is exactly {"active": false}', () => {
    it('once the access token has expired (the refresh token lives on)', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      clock.advance('16m');
      await expectInactive(tokens.access_token);
      expect((await introspect({ token: tokens.refresh_token })).body.active).toBe(true);
    });

    it('once the refresh token has expired', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      clock.advance('59m');
      expect((await introspect({ token: tokens.refresh_token })).body.active).toBe(true);
      clock.advance('1m');
      await expectInactive(tokens.refresh_token);
    });

    it('once the session has reached SESSION_MAX_LIFETIME, the refresh token’s own expiry still ahead', async () => {
      const app = await appWith({ SESSION_MAX_LIFETIME: '30m' });
      const { username, password } = await createUser(ctx.db);
      const tokens = await login(app, username, password);
      expect((await introspect({ token: tokens.refresh_token }, { app })).body.exp).toBe(nowSeconds() + 30 * 60);
      clock.advance('30m');
      await expectInactive(tokens.refresh_token, { app });
    });

    it('for a rotated refresh token, even inside the reuse grace interval (it is spent), while its successor is active', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      const rotated = await request(ctx.app).post('/token/refresh').send({ refresh_token: tokens.refresh_token });
      expect(rotated.status).toBe(200);
      await expectInactive(tokens.refresh_token);
      expect((await introspect({ token: rotated.body.refresh_token })).body.active).toBe(true);
    });

    it('for a rotated refresh token past the grace interval, without revoking its session as a replay at /token/refresh would', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      const rotated = (await request(ctx.app).post('/token/refresh').send({ refresh_token: tokens.refresh_token })).body;
      clock.advance('11s');
      await expectInactive(tokens.refresh_token);
      expect((await request(ctx.app).post('/token/refresh').send({ refresh_token: rotated.refresh_token })).status).toBe(200);
    });

    it('for a refresh token revoked at POST /token/revoke', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      await request(ctx.app).post('/token/revoke').type('form').send({ token: tokens.refresh_token }).expect(200);
      await expectInactive(tokens.refresh_token);
    });

    it('for the refresh token of a session ended at POST /auth/logout; its access token stays active (only a new session version recalls one)', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      await request(ctx.app).post('/auth/logout').set(bearer(tokens.access_token)).send({ refresh_token: tokens.refresh_token }).expect(204);
      await expectInactive(tokens.refresh_token);
      expect((await introspect({ token: tokens.access_token })).body.active).toBe(true);
    });

    it('for every token of every session after logout-all', async () => {
      const { username, password, tokens } = await createSession(ctx.app, ctx.db);
      const other = await login(ctx.app, username, password);
      await request(ctx.app).post('/auth/logout').set(bearer(tokens.access_token)).send({ all: true }).expect(204);
      for (const token of [tokens.access_token, tokens.refresh_token, other.access_token, other.refresh_token]) await expectInactive(token);
      const fresh = await login(ctx.app, username, password);
      expect((await introspect({ token: fresh.access_token })).body.active).toBe(true);
    });

    it('for the old tokens after a password change; the tokens it returns are active', async () => {
      const { password, tokens } = await createSession(ctx.app, ctx.db);
      const changed = await request(ctx.app).put('/users/me/password').set(bearer(tokens.access_token)).send({ current_password: password, new_password: 'plum tractor velvet ninety' });
      expect(changed.status).toBe(200);
      await expectInactive(tokens.access_token);
      await expectInactive(tokens.refresh_token);
      expect((await introspect({ token: changed.body.access_token })).body.active).toBe(true);
      expect((await introspect({ token: changed.body.refresh_token })).body.active).toBe(true);
    });

    it('for both tokens of a user an admin disabled', async () => {
      const { user, tokens } = await createSession(ctx.app, ctx.db);
      await request(ctx.app).patch(`/admin/users/${user.id}`).set(await asAdmin()).send({ disabled: true }).expect(200);
      await expectInactive(tokens.access_token);
      await expectInactive(tokens.refresh_token);
    });

    it('for both tokens of a disabled user even where nothing moved the session version (a direct database write)', async () => {
      const { user, tokens } = await createSession(ctx.app, ctx.db);
      await ctx.db.User.update({ disabledAt: clock.now() }, { where: { id: user.id } });
      await expectInactive(tokens.access_token);
      await expectInactive(tokens.refresh_token);
    });

    it('for an access token whose user’s role changed since (the guard calls it stale); the refresh token stays active', async () => {
      const { user, tokens } = await createSession(ctx.app, ctx.db);
      await request(ctx.app).patch(`/admin/users/${user.id}`).set(await asAdmin()).send({ role: 'admin' }).expect(200);
      await expectInactive(tokens.access_token);
      const refreshed = await request(ctx.app).post('/token/refresh').send({ refresh_token: tokens.refresh_token });
      expect((await introspect({ token: refreshed.body.access_token })).body).toMatchObject({ active: true, roles: ['admin'] });
    });

    it('for an access token whose user no longer exists', async () => {
      const { user, tokens } = await createSession(ctx.app, ctx.db);
      await user.destroy();
      await expectInactive(tokens.access_token);
      await expectInactive(tokens.refresh_token);
    });

    it('for nothing else: the same claims signed the same way are active (the forger below is right)', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      const copy = forge(decodePart(tokens.access_token, 0), { ...decodePart(tokens.access_token, 1), jti: 'another-jti' }, serverSigner);
      expect((await introspect({ token: copy })).body).toMatchObject({ active: true, jti: 'another-jti' });
    });

    it.each([
      ['signed with another key', (t: string) => forge(decodePart(t, 0), decodePart(t, 1), otherSigner)],
      ['with alg none', (t: string) => forge({ ...decodePart(t, 0), alg: 'none' }, decodePart(t, 1), noSignature)],
      ['with its payload changed', (t: string) => `${t.split('.')[0]}.${Buffer.from(JSON.stringify({ ...decodePart(t, 1), roles: ['admin'] })).toString('base64url')}.${t.split('.')[2]}`],
      ['with its signature cut off', (t: string) => t.split('.').slice(0, 2).join('.')],
      ['of another issuer', (t: string) => forge(decodePart(t, 0), { ...decodePart(t, 1), iss: 'https://elsewhere.example' }, serverSigner)],
      ['for another audience', (t: string) => forge(decodePart(t, 0), { ...decodePart(t, 1), aud: 'another-api' }, serverSigner)],
      ['of an older session version', (t: string) => forge(decodePart(t, 0), { ...decodePart(t, 1), ver: -1 }, serverSigner)],
      ['that is no access token (typ)', (t: string) => forge({ ...decodePart(t, 0), typ: 'JWT' }, decodePart(t, 1), serverSigner)],
    ])('for an access token %s', async (_name, bend) => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      await expectInactive(bend(tokens.access_token));
    });

    it.each([
      ['an unknown refresh token of the right shape', 'AAAAAAAAAAAAAAAAAAAAAA.' + 'B'.repeat(43)],
      ['junk', 'not-a-token'],
      ['the empty string', ''],
      ['a JWT-looking string', 'a.b.c'],
      ['text with NUL and other controls', 'abc\u0000\u0001\r\n'],
      ['non-ASCII text', 'jeton‑été😀'],
      ['SQL', "' OR 1=1 --"],
      ['4096 characters', 'x'.repeat(4096)],
    ])('for %s', async (_name, token) => {
      await expectInactive(token);
    });
  });

  describe('client authentication (HTTP Basic, RFC 7617)', () => {
    const expectInvalidClient = (res: request.Response) => {
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toBe('Basic realm="auth-server"');
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({ error: 'invalid_client', error_description: expect.any(String), code: 'invalid_client' });
    };

    it.each([
      ['no Authorization header', null],
      ['the right name with a wrong secret', basic(ORDERS.name, 'orders-api-secret-of-at-least-32-bytez')],
      ['the right name with another client’s secret', basic(ORDERS.name, BILLING.secret)],
      ['a wrong name with a right secret', basic('orders', ORDERS.secret)],
      ['the right name with an empty secret', basic(ORDERS.name, '')],
      ['the secret alone', `Basic ${Buffer.from(ORDERS.secret).toString('base64')}`],
      ['a secret not form-encoded (RFC 6749 section 2.3.1 has clients encode it)', `Basic ${Buffer.from(`${BILLING.name}:${BILLING.secret}`).toString('base64')}`],
      ['a broken percent escape', `Basic ${Buffer.from(`${ORDERS.name}:%E0%A4%A`).toString('base64')}`],
      ['the credentials in plain text', `Basic ${ORDERS.name}:${ORDERS.secret}`],
      ['Basic and nothing', 'Basic'],
      ['Basic and a space', 'Basic '],
      ['not base64', 'Basic !!!!'],
      ['a bearer token', 'Bearer abc'],
      ['another scheme', `Digest ${Buffer.from(`${ORDERS.name}:${ORDERS.secret}`).toString('base64')}`],
      ['a huge header', `Basic ${'A'.repeat(8000)}`],
    ])('answers 401 invalid_client with a Basic challenge for %s', async (_name, authorization) => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      const res = await introspect({ token: tokens.access_token }, { authorization });
      expectInvalidClient(res);
      expect(res.body).not.toHaveProperty('active');
    });

    it('checks the caller before the request: a caller without credentials learns nothing of the input rules', async () => {
      expectInvalidClient(await introspect({}, { authorization: null }));
      expectInvalidClient(await introspect({ token: 'x'.repeat(10_000) }, { authorization: basic(ORDERS.name, 'wrong') }));
    });

    it('does not take an access token of a user as credentials', async () => {
      const { tokens } = await createSession(ctx.app, ctx.db);
      expectInvalidClient(await introspect({ token: tokens.access_token }, { authorization: `Bearer ${tokens.access_token}` }));
    });
  });

  describe('off without INTROSPECTION_CLIENTS', () => {
    it('answers 404 like any unknown route, even to credentials that work elsewhere', async () => {
      const app = await appWith({ INTROSPECTION_CLIENTS: undefined });
      const { tokens } = await createSession(app, ctx.db);
      const res = await introspect({ token: tokens.access_token }, { app });
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ error: 'not_found', error_description: 'No route for POST /token/introspect.', code: 'route_not_found' });
      expect(res.headers).not.toHaveProperty('www-authenticate');
    });
  });

  describe('hostile input gets a 4xx JSON answer, never a 500', () => {
    it('answers 400 invalid_request without a token', async () => {
      for (const res of [await introspect({}), await introspect({ token_type_hint: 'access_token' }), await introspectJson({})]) {
        expect(res.status).toBe(400);
        expect(res.body).toMatchObject({ error: 'invalid_request', code: 'validation_failed', errors: [{ field: 'token', message: 'token is required' }] });
      }
    });

    it('answers 400 for a token longer than any token of ours (10 kB)', async () => {
      const res = await introspect({ token: 'x'.repeat(10_000) });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', errors: [{ field: 'token' }] });
    });

    it.each([
      ['a number', 42],
      ['an array', ['a', 'b']],
      ['an object', { $gt: '' }],
      ['null', null],
      ['true', true],
    ])('answers 400 for a token that is %s', async (_name, token) => {
      const res = await introspectJson({ token });
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', errors: [{ field: 'token', message: 'token must be a string' }] });
    });

    it('answers 400 for a token sent twice in a form, and for a lone surrogate', async () => {
      expect((await introspect('token=a&token=b')).status).toBe(400);
      expect((await introspectJson({ token: 'ab\ud800' })).status).toBe(400);
    });

    it('answers 415 for a body neither JSON nor a form, and 400 for broken JSON', async () => {
      const auth = basic(ORDERS.name, ORDERS.secret);
      const text = await request(ctx.app).post('/token/introspect').set('Authorization', auth).set('Content-Type', 'text/plain').send('token=x');
      expect(text.status).toBe(415);
      const broken = await request(ctx.app).post('/token/introspect').set('Authorization', auth).set('Content-Type', 'application/json').send('{"token": ');
      expect(broken.status).toBe(400);
      expect(broken.body.code).toBe('malformed_body');
    });

    it('answers anything else {"active": false} or a 400, never a 500 (fast-check)', async () => {
      await fc.assert(
        fc.asyncProperty(fc.oneof(fc.string({ maxLength: 80 }), fc.string({ unit: 'binary', maxLength: 80 }), fc.jsonValue({ maxDepth: 2 })), fc.jsonValue({ maxDepth: 1 }), async (token, hint) => {
          const res = await introspectJson({ token, token_type_hint: hint });
          expect([200, 400]).toContain(res.status);
          if (res.status === 200) expect(res.body).toEqual(INACTIVE);
          else expect(res.body).toMatchObject({ error: 'invalid_request' });
        }),
        { numRuns: 60 },
      );
    });
  });
});
