import type { Express } from 'express';
import request from 'supertest';
import { APP_RESOURCES } from '../../routes/app.routes';
import { createTestContext, TestContext } from '../helpers/app';

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

/**
 * "METHOD /path/{param}" of every route on the app's routers (routers mounted at
 * '/', as apiRoutes and docsRoutes are; a router mounted under a prefix is skipped:
 * its layers do not say the prefix).
 */
function servedOperations(app: Express): string[] {
  const found: string[] = [];
  const walk = (stack: Layer[]) => {
    for (const layer of stack) {
      if (layer.route && typeof layer.route.path === 'string') {
        const path = layer.route.path.replace(/:(\w+)/g, '{$1}');
        for (const method of Object.keys(layer.route.methods)) found.push(`${method.toUpperCase()} ${path}`);
      } else if (layer.handle?.stack) walk(layer.handle.stack);
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack);
  return found;
}

describe('platform routes', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('GET /health responds 200 when the database answers', async () => {
    const res = await request(ctx.app).get('/health');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok' });
  });

  it('GET /health responds 503 JSON when the database does not', async () => {
    const other = await createTestContext();
    await other.db.sequelize.close();
    const res = await request(other.app).get('/health');
    expect(res.status).toBe(503);
    expect(res.body).toMatchObject({ error: 'service_unavailable', code: 'database_unavailable' });
  });

  it('GET /openapi.json documents every route with the bearer scheme', async () => {
    const res = await request(ctx.app).get('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toMatch(/^3\./);
    const server = ['/.well-known/jwks.json', '/.well-known/oauth-authorization-server', '/auth/logout', '/auth/password/forgot', '/auth/password/reset', '/auth/register', '/health', '/protected', '/token', '/token/refresh', '/token/revoke', '/users/me', '/users/me/password', '/users/me/email', '/auth/email/verify', '/auth/email/resend', '/admin/users', '/admin/users/{id}', '/admin/users/{id}/sessions/revoke'];
    const app = APP_RESOURCES.flatMap((resource) => Object.keys(resource.docs?.paths ?? {}));
    expect(Object.keys(res.body.paths).sort()).toEqual([...server, ...app].sort());
    expect(res.body.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(res.body.paths['/protected'].get.security).toEqual(expect.arrayContaining([{ bearerAuth: [] }]));
  });

  it.each([
    ['', undefined, {}],
    [' (introspection on)', 'orders-api:orders-api-secret-of-at-least-32-bytes', {}],
    [' (mail disabled)', undefined, { MAIL_DISABLED: 'true' }],
  ])('GET /openapi.json documents exactly the operations the app serves, the app’s own resources’ included%s', async (_on, clients, env) => {
    const app = clients || Object.keys(env).length > 0 ? ctx.appWith({ env: { ...env, ...(clients ? { INTROSPECTION_CLIENTS: clients } : {}) } }) : ctx.app;
    const { paths } = (await request(app).get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method.toUpperCase()} ${path}`));
    const served = servedOperations(app).filter((operation) => operation !== 'GET /openapi.json');
    expect(served.sort()).toEqual(documented.sort());
    expect(served.includes('POST /token/introspect')).toBe(Boolean(clients));
    expect(served.includes('POST /auth/email/verify')).toBe(!('MAIL_DISABLED' in env));
  });

  it('GET /docs serves Swagger UI', async () => {
    const res = await request(ctx.app).get('/docs/');
    expect(res.status).toBe(200);
    expect(res.text).toContain('swagger-ui');
  });

  it('answers unknown routes with 404 JSON', async () => {
    const res = await request(ctx.app).get('/nope');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'not_found', error_description: 'No route for GET /nope.', code: 'route_not_found' });
  });

  it('answers invalid JSON with 400 and no stack trace', async () => {
    const res = await request(ctx.app).post('/token').set('Content-Type', 'application/json').send('{"username": ');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request', code: 'malformed_body' });
    expect(res.text).not.toMatch(/at .*\.(js|ts):\d+/);
  });
});
