import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createTestContext, TEST_SECRET, TestContext } from '../helpers/app';
import { createSession, createUser } from '../factories/user.factory';
import { asymmetric, attackerKeys, b64url, decodePart, encodeJson, forge, hmac, noSignature } from './support/jwt-forge';
import { expectAccessRefused, expectRefreshRefused } from './support/expectations';
import { Listening, listen } from './support/raw-http';
import { snapshotUser } from './support/db';
import { liveTokenCount } from '../helpers/sessions';

/**
 * RFC 8725 in practice: every way of forging or bending an access JWT that
 * attackers actually try, against every guarded route and every refresh
 * endpoint. Each forged token differs from a token the server would accept in
 * exactly one respect; the control case below proves the forger itself is right.
 */
describe('forged and misused access tokens', () => {
  let ctx: TestContext;
  let victim: Awaited<ReturnType<typeof createSession>>;
  // Where a jku or x5u header can point: a host serving the attacker's key set (a verifier
  // that fetched it would accept the attacker's signature), and a host that accepts
  // connections and never answers (a verifier that waited for it would never answer).
  let keyHost: Listening;
  let silentHost: Listening;
  const keys = attackerKeys();
  const NEW_PASSWORD = 'a-completely-new-passphrase-42';

  beforeAll(async () => {
    ctx = await createTestContext();
    victim = await createSession(ctx.app, ctx.db);
    keyHost = await listen((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: [{ ...keys.rsaPublicJwk, kid: 'attacker', alg: 'RS256', use: 'sig' }] }));
    });
    silentHost = await listen(() => undefined);
  });
  afterAll(async () => {
    await keyHost.close();
    await silentHost.close();
    await ctx.close();
  });

  const nowSeconds = () => Math.floor(Date.now() / 1000);
  const HEADER = { alg: 'HS256', typ: 'at+jwt' };
  const claims = (overrides: Record<string, unknown> = {}): Record<string, unknown> => {
    const iat = nowSeconds();
    const base: Record<string, unknown> = {
      sub: victim.user.id,
      ver: 0,
      roles: ['user'],
      iat,
      exp: iat + 600,
      jti: randomUUID(),
      iss: ctx.config.jwt.issuer,
      aud: ctx.config.jwt.audience,
    };
    for (const [key, value] of Object.entries(overrides)) {
      if (value === undefined) delete base[key];
      else base[key] = value;
    }
    return base;
  };
  const withServerKey = (header: Record<string, unknown>, payload: Record<string, unknown>) => forge(header, payload, hmac('sha256', TEST_SECRET));
  const keyHostUrl = (path: string, host: Listening = keyHost) => `http://127.0.0.1:${host.port}${path}`;

  /** The guarded routes, each called so that it would change the victim's data if the token were accepted. */
  const guarded: Array<[string, (token: string) => request.Test]> = [
    ['GET /protected', (t) => request(ctx.app).get('/protected').set('Authorization', `Bearer ${t}`)],
    ['GET /users/me', (t) => request(ctx.app).get('/users/me').set('Authorization', `Bearer ${t}`)],
    [
      'PUT /users/me/password',
      (t) => request(ctx.app).put('/users/me/password').set('Authorization', `Bearer ${t}`).send({ current_password: victim.password, new_password: NEW_PASSWORD }),
    ],
    ['POST /auth/logout', (t) => request(ctx.app).post('/auth/logout').set('Authorization', `Bearer ${t}`).send({ all: true })],
  ];

  it('accepts the control: a token forged with the server key and exactly the right header and claims', async () => {
    // Without this, every refusal below could be the forger's fault rather than the server's check.
    const res = await request(ctx.app).get('/protected').set('Authorization', `Bearer ${withServerKey(HEADER, claims())}`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: victim.user.id, username: victim.username });
  });

  // name, token factory, codes the refusal may carry
  type Case = [string, () => string, string[]?];
  const rawCases: Case[] = [
    // Unsigned tokens, in every spelling a case-insensitive library might accept.
    ...['none', 'None', 'NONE', 'nOnE'].map((alg): Case => [`alg "${alg}" without signature`, () => forge({ ...HEADER, alg }, claims(), noSignature)]),
    ['alg "none" carrying a valid HS256 signature', () => forge({ ...HEADER, alg: 'none' }, claims(), hmac('sha256', TEST_SECRET))],
    ['no alg at all', () => forge({ typ: 'at+jwt' }, claims(), hmac('sha256', TEST_SECRET))],
    ['an HS256 header with the signature stripped', () => withServerKey(HEADER, claims()).replace(/\.[^.]+$/, '.')],
    // Another algorithm than the one configured, with the same secret.
    ['HS384 with the server secret', () => forge({ ...HEADER, alg: 'HS384' }, claims(), hmac('sha384', TEST_SECRET))],
    ['HS512 with the server secret', () => forge({ ...HEADER, alg: 'HS512' }, claims(), hmac('sha512', TEST_SECRET))],
    // Asymmetric algorithms with the attacker's own keys.
    ['RS256 with an attacker key', () => forge({ ...HEADER, alg: 'RS256' }, claims(), asymmetric(keys.rsaPrivate))],
    ['PS256 with an attacker key', () => forge({ ...HEADER, alg: 'PS256' }, claims(), asymmetric(keys.rsaPrivate, { padding: 6, saltLength: 32 }))],
    ['ES256 with an attacker key', () => forge({ ...HEADER, alg: 'ES256' }, claims(), asymmetric(keys.ec.privateKey, { dsaEncoding: 'ieee-p1363' }))],
    // The HS/RS confusion class: an HMAC keyed with a public key's PEM text.
    ['HS256 keyed with an RSA public key PEM', () => forge(HEADER, claims(), hmac('sha256', keys.rsaPublicPem))],
    ['RS256 header with an HMAC keyed by the public key PEM', () => forge({ ...HEADER, alg: 'RS256' }, claims(), hmac('sha256', keys.rsaPublicPem))],
    ['HS256 signed with another secret', () => forge(HEADER, claims(), hmac('sha256', 'another-secret-that-is-at-least-32-bytes!'))],
    // Tampering with a token the server really signed.
    ['a payload swapped under a valid signature', () => {
      const real = withServerKey(HEADER, claims({ sub: randomUUID() }));
      const [h, , s] = real.split('.');
      return `${h}.${encodeJson(claims())}.${s}`;
    }],
    ['a header swapped under a valid signature', () => {
      const [, p, s] = withServerKey(HEADER, claims()).split('.');
      return `${encodeJson({ alg: 'HS256', typ: 'at+jwt', cty: 'x' })}.${p}.${s}`;
    }],
    ['one signature byte flipped', () => {
      const [h, p, s] = withServerKey(HEADER, claims()).split('.');
      const sig = Buffer.from(s, 'base64url');
      sig[0] ^= 0x01;
      return `${h}.${p}.${b64url(sig)}`;
    }],
    ['a truncated signature', () => withServerKey(HEADER, claims()).slice(0, -4)],
    ['an extra segment', () => `${withServerKey(HEADER, claims())}.${b64url('x')}`],
    ['two segments only', () => withServerKey(HEADER, claims()).split('.').slice(0, 2).join('.')],
    ['a header that is not JSON', () => `${b64url('not json')}.${encodeJson(claims())}.${b64url('sig')}`],
    ['a payload that is a JSON string', () => forge(HEADER, 'a string' as unknown as Record<string, unknown>, hmac('sha256', TEST_SECRET))],
    // Claims the server must check even under its own signature.
    ['a wrong issuer', () => withServerKey(HEADER, claims({ iss: 'https://evil.example' }))],
    ['no issuer', () => withServerKey(HEADER, claims({ iss: undefined }))],
    ['a wrong audience', () => withServerKey(HEADER, claims({ aud: 'another-api' }))],
    ['an audience list without ours', () => withServerKey(HEADER, claims({ aud: ['another-api', 'third-api'] }))],
    ['no audience', () => withServerKey(HEADER, claims({ aud: undefined }))],
    ['no expiry', () => withServerKey(HEADER, claims({ exp: undefined }))],
    ['an expiry that is a string', () => withServerKey(HEADER, claims({ exp: String(nowSeconds() + 600) }))],
    ['an expired token', () => withServerKey(HEADER, claims({ iat: nowSeconds() - 1000, exp: nowSeconds() - 100 })), ['token_expired']],
    ['a token not valid before a future time', () => withServerKey(HEADER, claims({ nbf: nowSeconds() + 3600 }))],
    ['no issued-at', () => withServerKey(HEADER, claims({ iat: undefined }))],
    ['a numeric subject', () => withServerKey(HEADER, claims({ sub: 1 }))],
    ['no session version', () => withServerKey(HEADER, claims({ ver: undefined }))],
    ['a stale session version', () => withServerKey(HEADER, claims({ ver: -1 })), ['token_revoked']],
    ['no jti', () => withServerKey(HEADER, claims({ jti: undefined }))],
    ['the subject of a user that never existed', () => withServerKey(HEADER, claims({ sub: randomUUID() })), ['token_revoked']],
    // Explicit typing (RFC 8725 section 3.11): only at+jwt is an access token.
    ['typ "JWT"', () => withServerKey({ ...HEADER, typ: 'JWT' }, claims())],
    ['no typ', () => withServerKey({ alg: 'HS256' }, claims())],
    ['typ "rt+jwt"', () => withServerKey({ ...HEADER, typ: 'rt+jwt' }, claims())],
    // Header parameters that try to choose the key (RFC 8725 sections 2.1 and 3.10).
    ['a kid under the server key', () => withServerKey({ ...HEADER, kid: 'primary' }, claims())],
    ['a path-traversal kid with an empty-key HMAC', () => forge({ ...HEADER, kid: '../../../../dev/null' }, claims(), hmac('sha256', ''))],
    ['a kid that is SQL', () => forge({ ...HEADER, kid: "x' UNION SELECT 'key" }, claims(), hmac('sha256', 'key'))],
    ['a jku pointing at the attacker key set', () => forge({ ...HEADER, alg: 'RS256', jku: keyHostUrl('/jwks.json'), kid: 'attacker' }, claims(), asymmetric(keys.rsaPrivate))],
    ['an x5u pointing at the attacker', () => forge({ ...HEADER, alg: 'RS256', x5u: keyHostUrl('/cert.pem') }, claims(), asymmetric(keys.rsaPrivate))],
    ['an embedded attacker jwk', () => forge({ ...HEADER, alg: 'RS256', jwk: keys.rsaPublicJwk }, claims(), asymmetric(keys.rsaPrivate))],
    ['an embedded jwk of type oct holding the HMAC key', () => forge({ ...HEADER, jwk: { kty: 'oct', k: b64url('attacker') } }, claims(), hmac('sha256', 'attacker'))],
    ['a crit header', () => withServerKey({ ...HEADER, crit: ['exp'] }, claims())],
    // Tokens of another kind.
    ['a refresh token', () => victim.tokens.refresh_token],
    ['a random opaque string', () => b64url(Buffer.alloc(32, 7))],
  ];
  // Every row gets its codes, so jest.each never mistakes a short row for a done-callback test.
  const cases = rawCases.map(([name, token, codes]) => [name, token, codes ?? ['token_invalid']] as [string, () => string, string[]]);

  describe.each(guarded)('%s', (_route, call) => {
    it.each(cases)('refuses %s with 401 and a challenge', async (_name, token, codes) => {
      const res = await call(token());
      expectAccessRefused(res, codes);
    });
  });

  /**
   * RFC 8725 section 3.10: nothing a header names is fetched, whatever it names. The
   * refusal is the behaviour that matters; the connection counts make the "no fetch"
   * part checkable without waiting: a verifier that used the URL would have connected
   * before it could answer, so once the refusal has arrived, a host with no connection
   * was not asked (and the silent one would have kept the refusal from arriving).
   */
  describe('a jku or x5u header, whatever it points at', () => {
    const targets: Array<[string, () => string, () => Listening | null]> = [
      ["the attacker's key set", () => keyHostUrl('/jwks.json'), () => keyHost],
      ['a host that never answers', () => keyHostUrl('/jwks.json', silentHost), () => silentHost],
      ['a port nobody listens on', () => 'http://127.0.0.1:1/jwks.json', () => null],
      ['the cloud metadata address', () => 'http://169.254.169.254/latest/meta-data/', () => null],
    ];
    const parameters = [
      ['a jku', 'jku'],
      ['an x5u', 'x5u'],
    ];
    const rows = parameters.flatMap(([label, parameter]) => targets.map(([name, url, host]) => [label, name, parameter, url, host] as const));

    it.each(rows)('refuses %s naming %s with 401 token_invalid, and no host was connected to before the answer', async (_label, _name, parameter, url, host) => {
      const token = forge({ ...HEADER, alg: 'RS256', kid: 'attacker', [parameter]: url() }, claims(), asymmetric(keys.rsaPrivate));
      expectAccessRefused(await request(ctx.app).get('/protected').set('Authorization', `Bearer ${token}`), ['token_invalid']);
      expect(host()?.connections() ?? 0).toBe(0);
      // Nor by any earlier token in this file: the key host has been named by every jku and x5u row above.
      expect({ keyHost: keyHost.connections(), silentHost: silentHost.connections() }).toEqual({ keyHost: 0, silentHost: 0 });
    });

    it('counts connections, so the checks above can fail: a direct request to the key host is seen', async () => {
      expect((await request(keyHostUrl('')).get('/probe')).status).toBe(200);
      expect(keyHost.connections()).toBe(1);
    });
  });

  describe('refresh endpoints', () => {
    it.each([
      ['the victim\'s own access token', () => victim.tokens.access_token],
      ...cases.slice(0, 12).map(([name, token]) => [name, token] as [string, () => string]),
    ])('POST /token/refresh refuses %s in the header and in the body', async (_name, token) => {
      expectRefreshRefused(await request(ctx.app).post('/token/refresh').set('Authorization', `Bearer ${token()}`));
      expectRefreshRefused(await request(ctx.app).post('/token/refresh').send({ refresh_token: token() }));
      expectRefreshRefused(await request(ctx.app).post('/token/refresh').type('form').send({ refresh_token: token() }));
    });

    it('POST /token grant_type=refresh_token refuses an access token, as form and as JSON', async () => {
      const form = await request(ctx.app).post('/token').type('form').send({ grant_type: 'refresh_token', refresh_token: victim.tokens.access_token });
      expectRefreshRefused(form);
      const json = await request(ctx.app).post('/token').send({ grant_type: 'refresh_token', refresh_token: victim.tokens.access_token });
      expectRefreshRefused(json);
    });

    it('POST /token/revoke answers 200 {} for an access token and revokes nothing', async () => {
      const before = await snapshotUser(ctx.db, victim.user.id);
      for (const token of [victim.tokens.access_token, withServerKey({ ...HEADER, alg: 'none' }, claims())]) {
        const res = await request(ctx.app).post('/token/revoke').type('form').send({ token, token_type_hint: 'access_token' });
        expect(res.status).toBe(200);
        expect(res.body).toEqual({});
      }
      expect(await snapshotUser(ctx.db, victim.user.id)).toEqual(before);
    });
  });

  describe('after every refusal', () => {
    it('left the victim untouched and their real session working', async () => {
      const stored = await ctx.db.User.findByPk(victim.user.id, { rejectOnEmpty: true });
      expect(stored.sessionVersion).toBe(0);
      expect(stored.passwordHash).toBe(victim.user.passwordHash);
      expect(await liveTokenCount(ctx.db, victim.user.id)).toBe(1);
      const me = await request(ctx.app).get('/users/me').set('Authorization', `Bearer ${victim.tokens.access_token}`);
      expect(me.status).toBe(200);
      const refreshed = await request(ctx.app).post('/token/refresh').send({ refresh_token: victim.tokens.refresh_token });
      expect(refreshed.status).toBe(200);
    });
  });
});

describe('tokens of a deleted user', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('refuses the access token (token_revoked) and the refresh token at once', async () => {
    const session = await createSession(ctx.app, ctx.db);
    // Warm the session cache, so the refusal below proves the cache forgets deleted users.
    expect((await request(ctx.app).get('/protected').set('Authorization', `Bearer ${session.tokens.access_token}`)).status).toBe(200);
    await session.user.destroy();

    for (const path of ['/protected', '/users/me']) {
      expectAccessRefused(await request(ctx.app).get(path).set('Authorization', `Bearer ${session.tokens.access_token}`), ['token_revoked']);
    }
    expectRefreshRefused(await request(ctx.app).post('/token/refresh').send({ refresh_token: session.tokens.refresh_token }), ['token_invalid', 'token_revoked']);
    expect(await ctx.db.RefreshToken.count({ where: { userId: session.user.id } })).toBe(0);
  });

  it('refuses a user deleted behind the app\'s back (raw SQL) on /users/me with a proper challenge', async () => {
    const session = await createSession(ctx.app, ctx.db);
    expect((await request(ctx.app).get('/users/me').set('Authorization', `Bearer ${session.tokens.access_token}`)).status).toBe(200);
    // Raw SQL skips the model hooks: the session cache still believes in the user.
    await ctx.db.sequelize.query('DELETE FROM users WHERE id = :id', { replacements: { id: session.user.id } });
    expectAccessRefused(await request(ctx.app).get('/users/me').set('Authorization', `Bearer ${session.tokens.access_token}`), ['token_revoked']);
    const change = await request(ctx.app)
      .put('/users/me/password')
      .set('Authorization', `Bearer ${session.tokens.access_token}`)
      .send({ current_password: session.password, new_password: 'a-completely-new-passphrase-42' });
    expectAccessRefused(change, ['token_revoked']);
  });

  it('does not let a new user with a reused name inherit the old tokens', async () => {
    const first = await createSession(ctx.app, ctx.db, { username: 'reborn' });
    await first.user.destroy();
    const second = await createUser(ctx.db, { username: 'reborn' });
    expect(second.user.id).not.toBe(first.user.id);
    expectAccessRefused(await request(ctx.app).get('/protected').set('Authorization', `Bearer ${first.tokens.access_token}`), ['token_revoked']);
    expect(decodePart(first.tokens.access_token, 1).sub).toBe(first.user.id);
  });
});
