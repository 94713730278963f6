import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import request from 'supertest';
import { createHttpServer } from '../../app/http-server';
import type { AppResource } from '../../routes';
import { createTestContext, TestContext } from '../helpers/app';
import { createSession } from '../factories/user.factory';

/**
 * server.ts serves through createHttpServer: the same app, on request and response
 * objects that are born with every property the app sets on them. A property
 * added later costs every request a new hidden class (app/http-server.ts); this
 * test names any that a new middleware or dependency starts to add, the app's
 * own resources included: every operation in /openapi.json is called, so a route
 * an app adds (and documents) is driven here without being named.
 */
interface Watched {
  base: string;
  /** Every property added to a request or response after it was born, with the request that added it. */
  added: Set<string>;
  close(): Promise<void>;
}

async function watch(app: Express): Promise<Watched> {
  const added = new Set<string>();
  const server: Server = createHttpServer(app);
  server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const born = { req: new Set(Object.keys(req)), res: new Set(Object.keys(res)) };
    res.once('finish', () => {
      for (const name of Object.keys(req)) if (!born.req.has(name)) added.add(`req.${name} (${req.method} ${req.url})`);
      for (const name of Object.keys(res)) if (!born.res.has(name)) added.add(`res.${name} (${req.method} ${req.url})`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    added,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

describe('createHttpServer', () => {
  let ctx: TestContext;
  let watched: Watched;

  beforeAll(async () => {
    ctx = await createTestContext({ env: { CORS_ORIGINS: 'https://app.example.com', AUTH_RATE_LIMIT: '100', LOGIN_FAILURE_LIMIT: '100' } });
    watched = await watch(ctx.app);
  });
  afterAll(async () => {
    await watched.close();
    await ctx.close();
  });

  it('gives requests and responses every property before Express sees them, on every kind of request', async () => {
    const { base } = watched;
    const { tokens } = await createSession(base, ctx.db);
    const origin = { Origin: 'https://app.example.com' };
    await request(base).get('/protected').set('Authorization', `Bearer ${tokens.access_token}`).expect(200);
    await request(base).get('/protected').set('Authorization', 'Bearer not.a.jwt').expect(401);
    await request(base).get('/protected').expect(401);
    await request(base).get('/users/me').set('Authorization', `Bearer ${tokens.access_token}`).expect(200);
    const rotated = await request(base).post('/token/refresh').set(origin).set('Authorization', `Bearer ${tokens.refresh_token}`).expect(200);
    await request(base).post('/token/refresh').set('Cookie', 'refresh_token=stale').set(origin).expect(401);
    await request(base).post('/token').type('form').send({ username: 'nobody_here', password: 'wrong password 1' }).expect(401);
    await request(base).post('/token').set('Content-Type', 'application/json').send('{').expect(400);
    await request(base).post('/token/revoke').send({ token: rotated.body.refresh_token }).expect(200);
    await request(base).options('/token').set(origin).set('Access-Control-Request-Method', 'POST');
    await request(base).get('/health').expect(200);
    await request(base).get('/nowhere').expect(404);
    await request(base).get('/').expect(200);
    await request(base).get('/openapi.json').expect(200);
    expect([...watched.added]).toEqual([]);
  });

  it('does so on every documented operation, the app’s own resources’ included, with and without a token', async () => {
    const { base } = watched;
    const { tokens } = await createSession(base, ctx.db);
    const { paths } = (await request(base).get('/openapi.json').expect(200)).body as { paths: Record<string, Record<string, unknown>> };
    let calls = 0;
    for (const [template, item] of Object.entries(paths)) {
      const path = template.replace(/\{[^}]+\}/g, randomUUID());
      for (const method of METHODS.filter((m) => m in item)) {
        await request(base)[method](path).set('Authorization', `Bearer ${tokens.access_token}`).send({});
        await request(base)[method](path);
        calls += 2;
      }
    }
    expect(calls).toBeGreaterThanOrEqual(2 * 9); // the server's own nine operations, at least
    expect([...watched.added]).toEqual([]);
  });

  describe('an app resource whose middleware sets a property of its own (req.tenant)', () => {
    const tenantResource = (requestFields?: string[]): AppResource => ({
      routes: (router) =>
        router.get(
          '/tenant',
          function findTenant(req, _res, next) {
            (req as unknown as { tenant: string }).tenant = 'acme';
            next();
          },
          (req, res) => void res.json({ tenant: (req as unknown as { tenant: string }).tenant }),
        ),
      requestFields,
    });

    async function addedBy(resource: AppResource): Promise<string[]> {
      const app = ctx.appWith({ resources: [resource] });
      const tenantWatch = await watch(app);
      try {
        await request(tenantWatch.base).get('/tenant').expect(200, { tenant: 'acme' });
        return [...tenantWatch.added];
      } finally {
        await tenantWatch.close();
      }
    }

    it('is named when the resource does not declare it', async () => {
      expect(await addedBy(tenantResource())).toEqual(['req.tenant (GET /tenant)']);
    });

    it('is born with every request once the resource lists it in requestFields', async () => {
      expect(await addedBy(tenantResource(['tenant']))).toEqual([]);
    });
  });
});
