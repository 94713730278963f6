import type { Express } from 'express';
import request from 'supertest';
import { createLogger } from '../../app/logger';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { createUser, login } from '../factories/user.factory';

interface LogEntry {
  level: number;
  msg: string;
  req?: { id: string; method: string; url: string };
  [key: string]: unknown;
}

/**
 * Every admin action that takes effect writes exactly one structured line at info:
 * who (actor_id), to whom (target_id), what (action) and how (changes), under the
 * request's id. Reads and refused attempts write none.
 */
describe.each(DIALECTS)('admin actions in the log (%s)', (dialect) => {
  let ctx: TestContext;
  let app: Express;
  const lines: string[] = [];
  const entries = (): LogEntry[] => lines.map((line) => JSON.parse(line) as LogEntry);
  const adminActions = () => entries().filter((entry) => entry.msg === 'admin action');
  let adminId: string;
  let bearer: { Authorization: string };

  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
    app = ctx.appWith({ logger: createLogger('info', { write: (chunk: string) => void lines.push(chunk) }) });
    const { user, username, password } = await createUser(ctx.db);
    await ctx.db.User.update({ role: 'admin' }, { where: { id: user.id } });
    adminId = user.id;
    bearer = { Authorization: `Bearer ${(await login(app, username, password)).access_token}` };
  });
  afterAll(() => ctx.close());
  beforeEach(() => {
    lines.length = 0;
  });

  it('logs a PATCH as one info line: actor, target, action user.update and the changes', async () => {
    const { user } = await createUser(ctx.db);
    const res = await request(app).patch(`/admin/users/${user.id}`).set(bearer).send({ role: 'admin', disabled: true });
    expect(res.status).toBe(200);
    expect(adminActions()).toEqual([
      expect.objectContaining({
        level: 30,
        actor_id: adminId,
        target_id: user.id,
        action: 'user.update',
        changes: { role: 'admin', disabled: true },
        req: expect.objectContaining({ id: res.headers['x-request-id'], method: 'PATCH', url: `/admin/users/${user.id}` }),
      }),
    ]);
  });

  it('logs only the fields sent, disabled as a boolean also when a form sent it', async () => {
    const { user } = await createUser(ctx.db);
    await request(app).patch(`/admin/users/${user.id}`).set(bearer).type('form').send({ disabled: 'false' }).expect(200);
    expect(adminActions()).toEqual([expect.objectContaining({ target_id: user.id, action: 'user.update', changes: { disabled: false } })]);
  });

  it('logs a session revocation as one info line: action user.revoke_sessions', async () => {
    const { user } = await createUser(ctx.db);
    const res = await request(app).post(`/admin/users/${user.id}/sessions/revoke`).set(bearer);
    expect(res.status).toBe(204);
    expect(adminActions()).toEqual([
      expect.objectContaining({ level: 30, actor_id: adminId, target_id: user.id, action: 'user.revoke_sessions', changes: {}, req: expect.objectContaining({ id: res.headers['x-request-id'] }) }),
    ]);
  });

  it('writes no admin-action line for reads, refusals and failures', async () => {
    const { user, username, password } = await createUser(ctx.db);
    await request(app).get('/admin/users').set(bearer).expect(200);
    await request(app).get(`/admin/users/${user.id}`).set(bearer).expect(200);
    await request(app).patch(`/admin/users/${user.id}`).set(bearer).send({ role: 'root' }).expect(400);
    await request(app).patch('/admin/users/nobody').set(bearer).send({ role: 'admin' }).expect(404);
    await request(app).patch(`/admin/users/${adminId}`).set(bearer).send({ role: 'user' }).expect(409);
    const mere = { Authorization: `Bearer ${(await login(app, username, password)).access_token}` };
    await request(app).post(`/admin/users/${adminId}/sessions/revoke`).set(mere).expect(403);
    expect(adminActions()).toEqual([]);
    // The request log still has each of them, under its whole URL (the guards run under app.use('/admin')).
    expect(entries().filter((entry) => entry.msg === 'request completed').length).toBeGreaterThanOrEqual(6);
    const refused = entries().find((entry) => (entry.res as { statusCode?: number } | undefined)?.statusCode === 403);
    expect(refused?.req?.url).toBe(`/admin/users/${adminId}/sessions/revoke`);
  });
});
