import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';
import { createSession, createUser } from '../factories/user.factory';

/**
 * The headers every response owes a hostile world: helmet's set (with a CSP
 * that still lets /docs run), no X-Powered-By, no caching of anything that
 * carries a token (RFC 6749 section 5.1), CORS closed unless CORS_ORIGINS opens
 * it to named origins, and a request id on every response.
 */
describe('HTTP hygiene', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  describe('helmet headers', () => {
    const expectHelmet = (res: request.Response) => {
      expect(res.headers['content-security-policy']).toContain("default-src 'self'");
      expect(res.headers['content-security-policy']).toContain("script-src 'self'");
      expect(res.headers['content-security-policy']).toContain("object-src 'none'");
      expect(res.headers['content-security-policy']).toContain("frame-ancestors 'self'");
      expect(res.headers['x-content-type-options']).toBe('nosniff');
      expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
      expect(res.headers['referrer-policy']).toBe('no-referrer');
      expect(res.headers['strict-transport-security']).toMatch(/max-age=\d+/);
      expect(res.headers['cross-origin-opener-policy']).toBe('same-origin');
      expect(res.headers).not.toHaveProperty('x-powered-by');
    };

    it.each([
      ['a success', (app: TestContext['app']) => request(app).get('/health')],
      ['a 404', (app: TestContext['app']) => request(app).get('/nowhere')],
      ['a 401', (app: TestContext['app']) => request(app).get('/protected')],
      ['a 400', (app: TestContext['app']) => request(app).post('/token').send({})],
      ['the OpenAPI document', (app: TestContext['app']) => request(app).get('/openapi.json')],
      ['the Swagger UI page', (app: TestContext['app']) => request(app).get('/docs/')],
      ['a Swagger UI script', (app: TestContext['app']) => request(app).get('/docs/swagger-ui-init.js')],
    ])('are on %s, without X-Powered-By', async (_name, send) => {
      expectHelmet(await send(ctx.app));
    });

    it('leave out upgrade-insecure-requests outside production and keep it in production', async () => {
      expect((await request(ctx.app).get('/health')).headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      const development = ctx.appWith({ env: { NODE_ENV: 'development', JWT_SECRET: 'a-development-secret-of-at-least-32-bytes', ARGON2_MEMORY_KIB: undefined, ARGON2_TIME_COST: undefined } });
      expect((await request(development).get('/health')).headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
      const production = ctx.appWith({
        env: { NODE_ENV: 'production', MAIL_DISABLED: 'true', JWT_SECRET: 'a-production-secret-of-at-least-32-bytes!', ARGON2_MEMORY_KIB: undefined, ARGON2_TIME_COST: undefined, SEED_DEMO_USER: 'false' },
      });
      expect((await request(production).get('/health')).headers['content-security-policy']).toContain('upgrade-insecure-requests');
    });

    it('serve Swagger UI with no inline script: every <script> is a same-origin file', async () => {
      const page = await request(ctx.app).get('/docs/');
      expect(page.status).toBe(200);
      const scripts = [...page.text.matchAll(/<script([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThanOrEqual(3);
      for (const [, attributes, body] of scripts) {
        expect(attributes).toMatch(/src="\.\/[\w.-]+\.js"/);
        expect(body.trim()).toBe('');
      }
      expect(page.text).not.toMatch(/\son\w+=/); // no inline event handlers (script-src-attr 'none')
      const init = await request(ctx.app).get('/docs/swagger-ui-init.js');
      expect(init.status).toBe(200);
      expect(init.headers['content-type']).toMatch(/javascript/);
    });
  });

  describe('no caching of tokens', () => {
    const expectNoStore = (res: request.Response) => {
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.headers.pragma).toBe('no-cache');
    };

    it('on every response that carries a token, and on their errors', async () => {
      const { username, password } = await createUser(ctx.db);
      const login = await request(ctx.app).post('/token').type('form').send({ username, password });
      expect(login.status).toBe(200);
      expectNoStore(login);
      const json = await request(ctx.app).post('/token').send({ username, password });
      expectNoStore(json);
      const grant = await request(ctx.app).post('/token').type('form').send({ grant_type: 'refresh_token', refresh_token: json.body.refresh_token });
      expect(grant.status).toBe(200);
      expectNoStore(grant);
      const refreshed = await request(ctx.app).post('/token/refresh').set('Authorization', `Bearer ${login.body.refresh_token}`);
      expect(refreshed.status).toBe(200);
      expectNoStore(refreshed);
      const changed = await request(ctx.app)
        .put('/users/me/password')
        .set('Authorization', `Bearer ${refreshed.body.access_token}`)
        .send({ current_password: password, new_password: 'plum tractor velvet ninety' });
      expect(changed.status).toBe(200);
      expect(changed.body.access_token).toEqual(expect.any(String));
      expectNoStore(changed);

      expectNoStore(await request(ctx.app).post('/token').send({ username, password: 'wrong-password' }));
      expectNoStore(await request(ctx.app).post('/token/refresh').send({ refresh_token: 'nope' }));
      expectNoStore(await request(ctx.app).post('/token/revoke').type('form').send({ token: 'nope' }));
      expectNoStore(await request(ctx.app).get('/users/me').set('Authorization', `Bearer ${changed.body.access_token}`));
      expectNoStore(await request(ctx.app).post('/auth/register').send({ username: 'nostore', password: 'plum tractor velvet ninety' }));
    });
  });

  describe('CORS', () => {
    const ORIGINS = 'https://app.example.com,http://localhost:5173';

    it('is off by default: no Access-Control-Allow-Origin for any origin, preflight included', async () => {
      for (const origin of ['https://app.example.com', 'https://evil.example', 'null', 'http://localhost:3000']) {
        const simple = await request(ctx.app).get('/health').set('Origin', origin);
        expect(simple.headers).not.toHaveProperty('access-control-allow-origin');
        expect(simple.headers).not.toHaveProperty('access-control-allow-credentials');
        const preflight = await request(ctx.app)
          .options('/token')
          .set('Origin', origin)
          .set('Access-Control-Request-Method', 'POST')
          .set('Access-Control-Request-Headers', 'content-type,authorization');
        expect(preflight.headers).not.toHaveProperty('access-control-allow-origin');
        expect(preflight.headers).not.toHaveProperty('access-control-allow-methods');
      }
    });

    it('answers a listed origin with ACAO, credentials and Vary: Origin, on successes and errors', async () => {
      const app = ctx.appWith({ env: { CORS_ORIGINS: ORIGINS } });
      const session = await createSession(app, ctx.db);
      for (const [origin, send] of [
        ['https://app.example.com', () => request(app).get('/protected').set('Authorization', `Bearer ${session.tokens.access_token}`)],
        ['http://localhost:5173', () => request(app).post('/token').send({ username: session.username, password: 'wrong-password' })],
      ] as const) {
        const res = await send().set('Origin', origin);
        expect(res.status).toBeLessThan(500);
        expect(res.headers['access-control-allow-origin']).toBe(origin);
        expect(res.headers['access-control-allow-credentials']).toBe('true');
        expect(res.headers.vary).toMatch(/Origin/);
      }
    });

    it('answers a listed origin\'s preflight so a browser may send Authorization and JSON', async () => {
      const app = ctx.appWith({ env: { CORS_ORIGINS: ORIGINS } });
      const res = await request(app)
        .options('/users/me/password')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'PUT')
        .set('Access-Control-Request-Headers', 'authorization,content-type');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      expect(res.headers['access-control-allow-credentials']).toBe('true');
      expect(res.headers['access-control-allow-methods']).toMatch(/PUT/);
      expect(res.headers['access-control-allow-headers']).toMatch(/authorization/i);
      expect(res.headers['access-control-allow-headers']).toMatch(/content-type/i);
      expect(res.headers['access-control-max-age']).toBe('600');
    });

    it('gives unlisted and almost-listed origins nothing', async () => {
      const app = ctx.appWith({ env: { CORS_ORIGINS: ORIGINS } });
      for (const origin of [
        'https://evil.example',
        'http://app.example.com',
        'https://app.example.com.evil.example',
        'https://evil-app.example.com',
        'https://app.example.co',
        'https://APP.example.com:443',
        'http://localhost:5174',
        'null',
      ]) {
        const simple = await request(app).get('/health').set('Origin', origin);
        expect(simple.headers).not.toHaveProperty('access-control-allow-origin');
        expect(simple.headers).not.toHaveProperty('access-control-allow-credentials');
        const preflight = await request(app).options('/token').set('Origin', origin).set('Access-Control-Request-Method', 'POST');
        expect(preflight.headers).not.toHaveProperty('access-control-allow-origin');
      }
    });

    it('refuses a CORS_ORIGINS entry that is not an origin, naming the variable', async () => {
      expect(() => ctx.appWith({ env: { CORS_ORIGINS: '*' } })).toThrow(/CORS_ORIGINS/);
      expect(() => ctx.appWith({ env: { CORS_ORIGINS: 'https://app.example.com/path' } })).toThrow(/CORS_ORIGINS/);
    });
  });

  describe('X-Request-Id', () => {
    it('is on every response, a fresh UUID when none was offered', async () => {
      const responses = await Promise.all([
        request(ctx.app).get('/health'),
        request(ctx.app).get('/nowhere'),
        request(ctx.app).get('/protected'),
        request(ctx.app).post('/token').send({}),
        request(ctx.app).post('/token').set('Content-Type', 'text/plain').send('x'),
        request(ctx.app).post('/token').send({ username: 'x'.repeat(20_000) }),
        request(ctx.app).get('/docs/'),
        request(ctx.app).get('/openapi.json'),
      ]);
      const ids = responses.map((res) => res.headers['x-request-id']);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(new Set(ids).size).toBe(ids.length);
    });

    it('echoes a safe incoming id', async () => {
      for (const id of ['abc-123', 'trace_01.HG7', 'a'.repeat(64)]) {
        expect((await request(ctx.app).get('/health').set('X-Request-Id', id)).headers['x-request-id']).toBe(id);
      }
    });

    it('replaces an unsafe incoming id', async () => {
      for (const id of ['', 'has space', 'a'.repeat(65), '<script>', 'id"quote', 'semi;colon', 'caf\u00e9', 'x,y']) {
        const res = await request(ctx.app).get('/health').set('X-Request-Id', id);
        expect(res.headers['x-request-id']).not.toBe(id);
        expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      }
    });
  });
});
