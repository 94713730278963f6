import express, { Router } from 'express';
import request from 'supertest';
import { requireAccessToken, requirePermission } from '../../app/auth/guards';
import { NotFound } from '../../app/services/errors';
import { createApp } from '../../app';
import type { AppResource } from '../../routes/types';
import { createTestContext, TestContext } from '../helpers/app';
import { fakeClock } from '../helpers/clock';
import { createUser, login } from '../factories/user.factory';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

/** A resource as an app author writes one: a router factory that imports its guards, and its docs beside it. */
const widgets: AppResource = {
  routes: (router, { clock, db }) =>
    router
      .get('/widgets', requireAccessToken, function listWidgets(req, res) {
        res.json({ user: req.user!.id, at: clock.now().toISOString() });
      })
      .get('/widgets/secret', requireAccessToken, requirePermission('users:manage'), function secret(_req, res) {
        res.json({ secret: true });
      })
      .get('/widgets/:id', requireAccessToken, function showWidget() {
        throw new NotFound('widget_not_found', 'No widget has that id.');
      })
      .get('/widget-census', async function census(_req, res) {
        res.json({ users: await db.User.count() });
      })
      .use('/mounted', Router().get('/inside', requireAccessToken, (req, res) => void res.json({ user: req.user!.id }))),
  docs: {
    tags: [{ name: 'widgets', description: 'A test resource' }],
    paths: {
      '/widgets': {
        get: { tags: ['widgets'], summary: 'The caller', responses: { 200: { description: 'OK', content: { 'application/json': { schema: { $ref: '#/components/schemas/Widget' } } } } } },
      },
    },
    schemas: { Widget: { type: 'object', properties: { user: { type: 'string' } } } },
  },
};

describe('an app’s own resources (routes/app.routes.ts)', () => {
  const clock = fakeClock(new Date('2031-02-03T04:05:06Z'));
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ clock, resources: [widgets] });
  });
  afterAll(() => ctx.close());

  it('are mounted before the 404 and error handlers, and get the app’s database', async () => {
    await createUser(ctx.db);
    const res = await request(ctx.app).get('/widget-census');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ users: await ctx.db.User.count() });
    const missing = await request(ctx.app).get('/widgets-nowhere');
    expect({ status: missing.status, code: missing.body.code }).toEqual({ status: 404, code: 'route_not_found' });
  });

  describe('requireAccessToken, imported by a route file', () => {
    it('responds 401 token_missing with a bare Bearer challenge when no token is sent', async () => {
      const res = await request(ctx.app).get('/widgets');
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'unauthorized', code: 'token_missing' });
      expect(res.headers['www-authenticate']).toBe('Bearer realm="auth-server"');
    });

    it('responds 401 token_invalid to a bad token', async () => {
      const res = await request(ctx.app).get('/widgets').set(bearer('not.a.jwt'));
      expect(res.status).toBe(401);
      expect(res.body).toMatchObject({ error: 'invalid_token', code: 'token_invalid' });
    });

    it('lets a valid token through with req.user, and the route sees the app’s clock', async () => {
      const { user, username, password } = await createUser(ctx.db);
      const tokens = await login(ctx.app, username, password);
      const res = await request(ctx.app).get('/widgets').set(bearer(tokens.access_token));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: user.id, at: '2031-02-03T04:05:06.000Z' });
    });

    it('works in a router the resource mounts', async () => {
      const { user, username, password } = await createUser(ctx.db);
      const tokens = await login(ctx.app, username, password);
      expect((await request(ctx.app).get('/mounted/inside')).status).toBe(401);
      const res = await request(ctx.app).get('/mounted/inside').set(bearer(tokens.access_token));
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ user: user.id });
    });

    it('uses the Passport of the app serving the request: a token of another app (another secret) is refused', async () => {
      const other = await createTestContext({ env: { JWT_SECRET: 'another-test-secret-that-is-32-bytes-or-more' }, resources: [widgets] });
      try {
        const { username, password } = await createUser(other.db);
        const foreign = await login(other.app, username, password);
        expect((await request(other.app).get('/widgets').set(bearer(foreign.access_token))).status).toBe(200);
        const res = await request(ctx.app).get('/widgets').set(bearer(foreign.access_token));
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'token_invalid' });
      } finally {
        await other.close();
      }
    });

    it('refuses to run in an app that createApp did not build (it would have no strategy to check with)', async () => {
      const bare = express().get('/x', requireAccessToken, (_req, res) => void res.json({}));
      let seen: unknown;
      bare.use((err: unknown, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
        seen = err;
        res.status(500).end();
      });
      expect((await request(bare).get('/x')).status).toBe(500);
      expect(String(seen)).toMatch(/createApp/);
    });
  });

  describe('requirePermission, imported by a route file', () => {
    it('responds 403 insufficient_scope to a role without the permission and lets one with it through', async () => {
      const plain = await createUser(ctx.db);
      const refused = await request(ctx.app).get('/widgets/secret').set(bearer((await login(ctx.app, plain.username, plain.password)).access_token));
      expect(refused.status).toBe(403);
      expect(refused.body).toMatchObject({ error: 'insufficient_scope', code: 'forbidden' });

      const admin = await createUser(ctx.db);
      await ctx.db.User.update({ role: 'admin' }, { where: { id: admin.user.id } });
      const allowed = await request(ctx.app).get('/widgets/secret').set(bearer((await login(ctx.app, admin.username, admin.password)).access_token));
      expect(allowed.status).toBe(200);
    });
  });

  it('have their services’ NotFound said as a 404 with the resource’s own code', async () => {
    const { username, password } = await createUser(ctx.db);
    const tokens = await login(ctx.app, username, password);
    const res = await request(ctx.app).get('/widgets/42').set(bearer(tokens.access_token));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: 'not_found', error_description: 'No widget has that id.', code: 'widget_not_found' });
  });

  describe('docs beside the routes', () => {
    it('are merged into /openapi.json with the server’s own', async () => {
      const res = await request(ctx.app).get('/openapi.json');
      expect(res.status).toBe(200);
      expect(res.body.paths['/widgets'].get.summary).toBe('The caller');
      expect(res.body.paths['/token']).toBeDefined();
      expect(res.body.components.schemas.Widget).toEqual(widgets.docs!.schemas!.Widget);
      expect(res.body.components.schemas.Error).toBeDefined();
      expect(res.body.tags).toEqual(expect.arrayContaining([{ name: 'widgets', description: 'A test resource' }]));
    });

    it.each([
      ['a path the server documents', { paths: { '/token': { get: { responses: {} } } } }, /\/token/],
      ['a schema name the server uses', { paths: {}, schemas: { Error: { type: 'object' } } }, /Error/],
      ['a $ref to a schema nobody defines', { paths: { '/gadgets': { get: { responses: { 200: { description: 'x', content: { 'application/json': { schema: { $ref: '#/components/schemas/Gadget' } } } } } } } } }, /Gadget/],
    ])('stop createApp when they name %s', (_label, docs, message) => {
      const clash: AppResource = { routes: (router: Router) => router, docs };
      expect(() => createApp({ config: ctx.config, db: ctx.db, resources: [clash] })).toThrow(message);
    });
  });
});
