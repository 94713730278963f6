import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { createHttpServer } from '../../app/http-server';
import { createTestContext, TestContext } from '../helpers/app';
import { createSession } from '../factories/user.factory';

/**
 * server.ts serves through createHttpServer: the same app, on request and response
 * objects that are born with every property the app sets on them. A property
 * added later costs every request a new hidden class (app/http-server.ts); this
 * test names any that a new middleware or dependency starts to add.
 */
describe('createHttpServer', () => {
  let ctx: TestContext;
  let server: Server;
  let base: string;
  const added = new Set<string>();

  beforeAll(async () => {
    ctx = await createTestContext({ env: { CORS_ORIGINS: 'https://app.example.com', AUTH_RATE_LIMIT: '100', LOGIN_FAILURE_LIMIT: '100' } });
    server = createHttpServer(ctx.app);
    server.prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
      const born = { req: new Set(Object.keys(req)), res: new Set(Object.keys(res)) };
      res.once('finish', () => {
        for (const name of Object.keys(req)) if (!born.req.has(name)) added.add(`req.${name} (${req.method} ${req.url})`);
        for (const name of Object.keys(res)) if (!born.res.has(name)) added.add(`res.${name} (${req.method} ${req.url})`);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    await ctx.close();
  });

  it('gives requests and responses every property before Express sees them, on every kind of request', async () => {
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
    expect([...added]).toEqual([]);
  });
});
