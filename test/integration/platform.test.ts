import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';

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
    expect(Object.keys(res.body.paths).sort()).toEqual(
      [
        '/auth/logout',
        '/auth/register',
        '/health',
        '/protected',
        '/token',
        '/token/refresh',
        '/token/revoke',
        '/users/me',
        '/users/me/password',
        '/admin/users',
        '/admin/users/{id}',
        '/admin/users/{id}/sessions/revoke',
      ].sort(),
    );
    expect(res.body.components.securitySchemes.bearerAuth).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(res.body.paths['/protected'].get.security).toEqual(expect.arrayContaining([{ bearerAuth: [] }]));
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
