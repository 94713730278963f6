import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';
import { createSession, createUser, login } from '../factories/user.factory';
import { Listening, listen, rawRequest, RawRequest, RawResponse } from './support/raw-http';
import { snapshotUser } from './support/db';

/**
 * The admin routes with an admin's own valid token, so arbitrary input gets past
 * the guards (test/security/fuzz.property.test.ts throws it at them without one):
 * query strings, ids and bodies of any shape. Whatever arrives, the answer is
 * below 500 and every error is JSON with `error` and `code`; a user no request
 * named ends exactly as they began, and the admin stays an enabled admin.
 * FUZZ_SCALE=20 explores deeper by hand.
 */
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE) || 1);

describe('fuzzing the admin routes as an admin', () => {
  let ctx: TestContext;
  let server: Listening;
  let admin: { id: string; access: string };
  let bystander: Awaited<ReturnType<typeof createSession>>;
  let bystanderBefore: Awaited<ReturnType<typeof snapshotUser>>;
  const targets: string[] = [];
  let cursor: string;

  beforeAll(async () => {
    ctx = await createTestContext();
    server = await listen(ctx.app);
    const { user, username, password } = await createUser(ctx.db, { username: 'fuzz_admin' });
    await ctx.db.User.update({ role: 'admin' }, { where: { id: user.id } });
    admin = { id: user.id, access: (await login(ctx.app, username, password)).access_token };
    bystander = await createSession(ctx.app, ctx.db, { username: 'zz_bystander', password: 'the bystander passphrase 1' });
    bystanderBefore = await snapshotUser(ctx.db, bystander.user.id);
    for (let i = 0; i < 4; i += 1) targets.push((await createUser(ctx.db, { username: `target_${i}` })).user.id);
    const page = await request(ctx.app).get('/admin/users?limit=1').set('Authorization', `Bearer ${admin.access}`);
    cursor = page.body.next_cursor;
  });
  afterAll(async () => {
    await server.close();
    await ctx.close();
  });

  function check(req: RawRequest, res: RawResponse): void {
    const where = `${req.method} ${req.path} ${String(req.body ?? '').slice(0, 100)} -> ${res.status} ${res.text.slice(0, 200)}`;
    if (res.status >= 500) throw new Error(`5xx: ${where}`);
    if (res.status >= 400 && req.method !== 'HEAD') {
      if (!String(res.headers['content-type']).startsWith('application/json')) throw new Error(`non-JSON error: ${where}`);
      const json = res.json as { error?: unknown; code?: unknown } | undefined;
      if (typeof json?.error !== 'string' || typeof json.code !== 'string') throw new Error(`error without error/code: ${where}`);
    }
  }

  function arbitraries() {
    const nasty = fc
      .tuple(fc.string({ maxLength: 12 }), fc.constantFrom('\u0000', '\u0001', '\n', '\u007f', '\u202e', "'", '"', '\\', '%', '_', '!', '\u212A', '\u0430', '\ufeff', '\ud800'), fc.string({ maxLength: 12 }))
      .map((parts) => parts.join(''));
    const text = fc.oneof(
      { arbitrary: nasty, weight: 3 },
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('', '0', '1', '50', '200', '201', '-1', '1e2', 'null', 'true', "' OR 1=1 --", '__proto__', 'a'.repeat(300), 'target_', 'TARGET', 'fuzz'),
    );
    // Encoded the way a browser would, or raw bytes the way a hostile client might (lone %, bytes that are no UTF-8).
    const queryValue = fc.oneof(
      text.map((value) => {
        try {
          return encodeURIComponent(value);
        } catch {
          return '%ED%A0%80';
        }
      }),
      fc.constantFrom('%', '%ZZ', '%FF', '%00', '%ED%A0%80', '+', '&', '=', cursor, `${cursor}x`, cursor.slice(1), cursor.toUpperCase()),
    );
    const param = fc.tuple(fc.constantFrom('limit', 'cursor', 'q', 'limit[]', 'q[x]', '__proto__', 'cursor'), queryValue).map(([name, value]) => `${name}=${value}`);
    const query = fc.array(param, { maxLength: 4 }).map((params) => (params.length > 0 ? `?${params.join('&')}` : ''));

    const id = fc.oneof(
      fc.constantFrom(...targets, randomUUID(), targets[0].toUpperCase(), `${targets[0]}x`, '%00', '%ZZ', '..', '%2e%2e', 'null', "1'%20OR%20'1'='1"),
      fc.string({ unit: fc.constantFrom(...'abcdef0123456789-'.split('')), maxLength: 40 }),
      text.map((value) => {
        try {
          return encodeURIComponent(value) || 'x';
        } catch {
          return 'x';
        }
      }),
    );
    const fieldValue: fc.Arbitrary<unknown> = fc.oneof(text, fc.constantFrom('user', 'admin', 'true', 'false', true, false), fc.jsonValue({ maxDepth: 3 }), fc.integer(), fc.constant(null));
    const body = fc.oneof(
      fc.constant(undefined),
      fc.dictionary(fc.constantFrom('role', 'disabled', 'email', 'username', 'password', 'id', '__proto__', 'constructor'), fieldValue, { maxKeys: 4 }).map((value) => ({ type: 'application/json', text: JSON.stringify(value) })),
      fc.dictionary(fc.constantFrom('role', 'disabled', 'role[]', 'disabled[x]', '__proto__'), text, { maxKeys: 4 }).map((value) => ({ type: 'application/x-www-form-urlencoded', text: new URLSearchParams(value).toString() })),
      fc.jsonValue({ maxDepth: 3 }).map((value) => ({ type: 'application/json', text: JSON.stringify(value) ?? 'null' })),
      fc.string({ unit: 'binary', maxLength: 100 }).map((value) => ({ type: 'application/json', text: value })),
    );
    return { query, id, body };
  }

  const send = (req: RawRequest) => rawRequest(server.port, { ...req, headers: { authorization: `Bearer ${admin.access}`, ...req.headers } });

  it('answers arbitrary listing queries below 500, with JSON errors', async () => {
    const { query } = arbitraries();
    await fc.assert(
      fc.asyncProperty(query, async (search) => {
        const req = { method: 'GET', path: `/admin/users${search}` };
        const res = await send(req);
        check(req, res);
        if (res.status !== 200) return expect(res.status).toBe(400);
        const page = res.json as { users: unknown; next_cursor: unknown };
        expect(Array.isArray(page.users) && (page.next_cursor === null || typeof page.next_cursor === 'string')).toBe(true);
      }),
      { numRuns: 150 * SCALE },
    );
  });

  it('answers arbitrary ids and bodies on every admin route below 500, with JSON errors', async () => {
    const { id, body } = arbitraries();
    const routes = fc.constantFrom<[string, (id: string) => string]>(
      ['GET', (target) => `/admin/users/${target}`],
      ['HEAD', (target) => `/admin/users/${target}`],
      ['PATCH', (target) => `/admin/users/${target}`],
      ['POST', (target) => `/admin/users/${target}/sessions/revoke`],
    );
    await fc.assert(
      fc.asyncProperty(routes, id, body, async ([method, path], target, sent) => {
        const req: RawRequest = { method, path: path(target), headers: sent ? { 'content-type': sent.type } : {}, body: sent?.text };
        check(req, await send(req));
      }),
      { numRuns: 200 * SCALE },
    );
  });

  it('left the bystander untouched and the admin an enabled admin', async () => {
    expect(await snapshotUser(ctx.db, bystander.user.id)).toEqual(bystanderBefore);
    expect(await ctx.db.User.findByPk(admin.id)).toMatchObject({ role: 'admin', disabledAt: null });
    expect((await request(ctx.app).get('/admin/users').set('Authorization', `Bearer ${admin.access}`)).status).toBe(200);
  });
});
