import { createLocalJWKSet, jwtVerify } from 'jose';
import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';
import { createUser, login } from '../factories/user.factory';
import { decodePart } from '../security/support/jwt-forge';
import { serverKeys } from '../security/support/server-keys';

/**
 * What other services read without credentials: the key set (RFC 7517) and the
 * server metadata (RFC 8414), public and cacheable, every URL in them built from PUBLIC_URL.
 */
const CLIENTS = 'orders-api:orders-api-secret-of-at-least-32-bytes';
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k', 'oth'];

describe('well-known documents', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ env: { PUBLIC_URL: 'https://auth.example.com/base/' } });
  });
  afterAll(() => ctx.close());

  describe('GET /.well-known/jwks.json', () => {
    it('publishes the verification keys as public JSON, cacheable for JWKS_MAX_AGE; in HS256 mode there are none', async () => {
      const res = await request(ctx.app).get('/.well-known/jwks.json');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['cache-control']).toBe('public, max-age=600');
      expect(res.headers).not.toHaveProperty('pragma');
      expect(res.body).toEqual({ keys: [] });
      expect(res.text).not.toContain(ctx.config.jwt.secret);
    });

    it('takes its max-age from JWKS_MAX_AGE', async () => {
      const app = ctx.appWith({ env: { JWKS_MAX_AGE: '5m' } });
      expect((await request(app).get('/.well-known/jwks.json')).headers['cache-control']).toBe('public, max-age=300');
    });

    it('answers HEAD, and nothing but GET and HEAD', async () => {
      expect((await request(ctx.app).head('/.well-known/jwks.json')).status).toBe(200);
      const post = await request(ctx.app).post('/.well-known/jwks.json');
      expect(post.status).toBe(404);
      expect(post.body.code).toBe('route_not_found');
    });
  });

  describe('GET /.well-known/oauth-authorization-server', () => {
    const metadataOf = async (app: TestContext['app']) => {
      const res = await request(app).get('/.well-known/oauth-authorization-server');
      expect(res.status).toBe(200);
      return res;
    };

    it('describes the server from PUBLIC_URL, publicly cacheable for an hour; without introspection clients, no introspection endpoint', async () => {
      const res = await metadataOf(ctx.app);
      expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(res.headers['cache-control']).toBe('public, max-age=3600');
      expect(res.headers).not.toHaveProperty('pragma');
      expect(res.body).toEqual({
        issuer: 'https://auth.example.com/base',
        token_endpoint: 'https://auth.example.com/base/token',
        jwks_uri: 'https://auth.example.com/base/.well-known/jwks.json',
        revocation_endpoint: 'https://auth.example.com/base/token/revoke',
        grant_types_supported: ['password', 'refresh_token'],
        response_types_supported: [],
        token_endpoint_auth_methods_supported: ['none'],
        revocation_endpoint_auth_methods_supported: ['none'],
        service_documentation: 'https://auth.example.com/base/docs',
      });
    });

    it('adds the introspection endpoint and its Basic authentication when INTROSPECTION_CLIENTS names a client', async () => {
      const { body } = await metadataOf(ctx.appWith({ env: { INTROSPECTION_CLIENTS: CLIENTS } }));
      expect(body).toMatchObject({
        introspection_endpoint: 'https://auth.example.com/base/token/introspect',
        introspection_endpoint_auth_methods_supported: ['client_secret_basic'],
      });
    });

    it('names as issuer the `iss` of the tokens the server signs, JWT_ISSUER included', async () => {
      const { username, password } = await createUser(ctx.db);
      const tokens = await login(ctx.app, username, password);
      expect((await metadataOf(ctx.app)).body.issuer).toBe(decodePart(tokens.access_token, 1).iss);

      const app = ctx.appWith({ env: { JWT_ISSUER: 'https://issuer.example.com' } });
      const { body } = await metadataOf(app);
      expect(body.issuer).toBe('https://issuer.example.com');
      expect(body.token_endpoint).toBe('https://auth.example.com/base/token');
      expect(decodePart((await login(app, username, password)).access_token, 1).iss).toBe(body.issuer);
    });

    it('builds its URLs on http://localhost:PORT without PUBLIC_URL, and keeps the tokens’ issuer (auth-server)', async () => {
      const app = ctx.appWith({ env: { PUBLIC_URL: undefined, PORT: '4100' } });
      const { body } = await metadataOf(app);
      expect(body.issuer).toBe('auth-server');
      expect(body.jwks_uri).toBe('http://localhost:4100/.well-known/jwks.json');
      expect(body.token_endpoint).toBe('http://localhost:4100/token');
    });

    it('names endpoints this server serves', async () => {
      const app = ctx.appWith({ env: { INTROSPECTION_CLIENTS: CLIENTS } });
      const { body } = await metadataOf(app);
      const path = (url: string) => new URL(url).pathname.replace(/^\/base/, '');
      const { username, password } = await createUser(ctx.db);
      const tokens = await request(app).post(path(body.token_endpoint)).type('form').send({ grant_type: 'password', username, password });
      expect(tokens.status).toBe(200);
      expect((await request(app).get(path(body.jwks_uri))).status).toBe(200);
      const basic = `Basic ${Buffer.from(CLIENTS).toString('base64')}`;
      expect((await request(app).post(path(body.introspection_endpoint)).set('Authorization', basic).type('form').send({ token: tokens.body.refresh_token })).body.active).toBe(true);
      expect((await request(app).post(path(body.revocation_endpoint)).type('form').send({ token: tokens.body.refresh_token })).status).toBe(200);
      expect((await request(app).get(path(body.service_documentation) + '/')).status).toBe(200);
    });
  });

  describe('in the OpenAPI document', () => {
    type Operation = { security?: unknown[]; responses: Record<string, unknown> };
    const documentOf = async (app: TestContext['app']) =>
      (await request(app).get('/openapi.json').expect(200)).body as { paths: Record<string, Record<string, Operation>>; components: { securitySchemes: Record<string, unknown> } };

    it('documents both documents as public, and introspection with the basicAuth scheme only when it is on', async () => {
      const off = await documentOf(ctx.app);
      expect(Object.keys(off.paths['/.well-known/jwks.json'].get.responses)).toEqual(['200']);
      expect(Object.keys(off.paths['/.well-known/oauth-authorization-server'].get.responses)).toEqual(['200']);
      expect(off.paths).not.toHaveProperty('/token/introspect');
      expect(off.components.securitySchemes).not.toHaveProperty('basicAuth');

      const on = await documentOf(ctx.appWith({ env: { INTROSPECTION_CLIENTS: CLIENTS } }));
      const introspect = on.paths['/token/introspect'].post;
      expect(introspect.security).toEqual([{ basicAuth: [] }]);
      expect(Object.keys(introspect.responses).sort()).toEqual(['200', '400', '401']);
      expect(on.components.securitySchemes.basicAuth).toEqual({ type: 'http', scheme: 'basic', description: expect.any(String) });
    });
  });
});

/**
 * The key set in an asymmetric mode: the public halves of the keys in the database,
 * each saying what it is for, and enough for another service to verify a real token
 * with nothing but this document (jose, as a resource server would use it).
 */
const KEY_TYPES = { ES256: { kty: 'EC', crv: 'P-256' }, EdDSA: { kty: 'OKP', crv: 'Ed25519' }, RS256: { kty: 'RSA' } } as const;

describe.each(['ES256', 'EdDSA', 'RS256'] as const)('GET /.well-known/jwks.json (JWT_ALGORITHM=%s)', (algorithm) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ env: { JWT_ALGORITHM: algorithm, PUBLIC_URL: 'https://auth.example.com' } });
  });
  afterAll(() => ctx.close());

  it('publishes the current and next keys, public members only, each for verifying signatures of its algorithm', async () => {
    const res = await request(ctx.app).get('/.well-known/jwks.json');
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=600');
    const { keys } = res.body as { keys: Array<Record<string, unknown>> };
    const stored = await serverKeys(ctx.db, ctx.config);
    expect(keys.map((key) => key.kid).sort()).toEqual([stored.current.kid, stored.next.kid].sort());
    for (const key of keys) {
      expect(key).toMatchObject({ ...KEY_TYPES[algorithm], alg: algorithm, use: 'sig', key_ops: ['verify'], kid: expect.any(String) });
      for (const member of PRIVATE_MEMBERS) expect(key).not.toHaveProperty(member);
    }
  });

  it('is all another service needs to verify a token of the server', async () => {
    const { username, password } = await createUser(ctx.db);
    const tokens = await login(ctx.app, username, password);
    const jwks = createLocalJWKSet((await request(ctx.app).get('/.well-known/jwks.json')).body);
    const metadata = (await request(ctx.app).get('/.well-known/oauth-authorization-server')).body;
    const { payload, protectedHeader } = await jwtVerify(tokens.access_token, jwks, { issuer: metadata.issuer, audience: ctx.config.jwt.audience, algorithms: [algorithm], typ: 'at+jwt' });
    expect(protectedHeader.kid).toBe((await serverKeys(ctx.db, ctx.config)).current.kid);
    expect(payload.iss).toBe('https://auth.example.com');
  });
});
