import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { createUser, login, Tokens } from '../factories/user.factory';

const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const ADMIN_VIEW_KEYS = ['created_at', 'disabled', 'email', 'id', 'role', 'updated_at', 'username'];

/**
 * The admin API (issue 10): list, read and change users, end their sessions. Every
 * route wants an access token (401) of a role with users:manage (403), on SQLite
 * and PostgreSQL alike.
 */
describe.each(DIALECTS)('admin API (%s)', (dialect) => {
  let ctx: TestContext;
  let admin: { id: string; tokens: Tokens };

  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
    admin = await newAdmin();
  });
  afterAll(() => ctx.close());

  /** A fresh user with the admin role, logged in after the promotion (so the token carries it). */
  async function newAdmin(prefix = 'admin') {
    const { user, username, password } = await createUser(ctx.db, { username: `${prefix}_${randomUUID().slice(0, 8)}` });
    await ctx.db.User.update({ role: 'admin' }, { where: { id: user.id } });
    return { id: user.id, username, password, tokens: await login(ctx.app, username, password) };
  }

  const asAdmin = () => bearer(admin.tokens.access_token);

  describe('guards', () => {
    const routes = (id: string): Array<[string, string]> => [
      ['get', '/admin/users'],
      ['get', `/admin/users/${id}`],
      ['patch', `/admin/users/${id}`],
      ['post', `/admin/users/${id}/sessions/revoke`],
    ];

    it('answers every admin route 401 token_missing without an access token', async () => {
      for (const [method, path] of routes(admin.id)) {
        const res = await request(ctx.app)[method as 'get'](path).send(method === 'patch' ? { role: 'user' } : undefined);
        expect({ path, status: res.status, code: res.body.code }).toEqual({ path, status: 401, code: 'token_missing' });
        expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="auth-server"/);
      }
    });

    it('answers every admin route 403 insufficient_scope to a user without users:manage, and changes nothing', async () => {
      const { user, username, password } = await createUser(ctx.db);
      const tokens = await login(ctx.app, username, password);
      for (const [method, path] of routes(admin.id)) {
        const res = await request(ctx.app)[method as 'get'](path).set(bearer(tokens.access_token)).send(method === 'patch' ? { role: 'user' } : undefined);
        expect({ path, status: res.status, error: res.body.error, code: res.body.code }).toEqual({ path, status: 403, error: 'insufficient_scope', code: 'forbidden' });
        expect(res.headers['www-authenticate']).toMatch(/error="insufficient_scope".*scope="users:manage"/);
      }
      expect(await ctx.db.User.findByPk(admin.id)).toMatchObject({ role: 'admin', disabledAt: null });
      expect((await ctx.db.User.findByPk(user.id))!.role).toBe('user');
      expect((await request(ctx.app).get('/users/me').set(asAdmin())).status).toBe(200);
    });
  });

  describe('an id whose percent-encoding cannot be decoded', () => {
    // Express refuses such a path parameter before any handler of the route runs; it is still just an id that names nobody.
    const paths: Array<[string, string]> = [
      ['get', '/admin/users/%ZZ'],
      ['get', '/admin/users/%E0%A4%A'],
      ['patch', '/admin/users/%'],
      ['post', '/admin/users/%ZZ/sessions/revoke'],
    ];

    it('is 404 user_not_found to an admin, after the same guards: 401 without a token, 403 for a user', async () => {
      const { username, password } = await createUser(ctx.db);
      const mere = await login(ctx.app, username, password);
      for (const [method, path] of paths) {
        const send = () => request(ctx.app)[method as 'get'](path).send(method === 'patch' ? { role: 'user' } : undefined);
        const anonymous = await send();
        expect({ path, status: anonymous.status, code: anonymous.body.code }).toEqual({ path, status: 401, code: 'token_missing' });
        const user = await send().set(bearer(mere.access_token));
        expect({ path, status: user.status, code: user.body.code }).toEqual({ path, status: 403, code: 'forbidden' });
        const asAdminRes = await send().set(asAdmin());
        expect({ path, status: asAdminRes.status, body: asAdminRes.body }).toEqual({ path, status: 404, body: { error: 'not_found', error_description: expect.any(String), code: 'user_not_found' } });
      }
    });
  });

  describe('GET /admin/users', () => {
    it('lists users as the admin API shows them: id, username, email, role, disabled, dates; never a hash', async () => {
      const { user, username } = await createUser(ctx.db, { username: `shown_${randomUUID().slice(0, 6)}`, email: 'shown@example.com' });
      const res = await request(ctx.app).get('/admin/users').query({ q: username }).set(asAdmin());
      expect(res.status).toBe(200);
      expect(res.headers['cache-control']).toMatch(/no-store/);
      expect(res.body).toEqual({ users: [expect.any(Object)], next_cursor: null });
      const [shown] = res.body.users;
      expect(Object.keys(shown).sort()).toEqual(ADMIN_VIEW_KEYS);
      expect(shown).toEqual({
        id: user.id,
        username,
        email: 'shown@example.com',
        role: 'user',
        disabled: false,
        created_at: user.createdAt.toISOString(),
        updated_at: user.updatedAt.toISOString(),
      });
      const all = await request(ctx.app).get('/admin/users').query({ limit: 200 }).set(asAdmin());
      expect(all.text).not.toMatch(/argon2|password|session_version/i);
    });

    it('walks every user exactly once, in username order, a page at a time, with next_cursor null on the last page', async () => {
      const tag = `pg${randomUUID().slice(0, 6)}`;
      const names = ['Delta', 'alpha', 'charlie', 'Bravo', 'echo', 'foxtrot', 'golf'].map((name) => `${tag}_${name}`);
      for (const username of names) await createUser(ctx.db, { username });
      // The order is the database's on username_key (its collation decides where "_" goes); one big page shows it.
      const whole = await request(ctx.app).get('/admin/users').query({ q: tag, limit: 200 }).set(asAdmin());
      const expected: string[] = whole.body.users.map((u: { username: string }) => u.username);
      expect([...expected].sort()).toEqual([...names].sort());
      expect(expected.indexOf(`${tag}_alpha`)).toBeLessThan(expected.indexOf(`${tag}_Bravo`));

      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const res: request.Response = await request(ctx.app)
          .get('/admin/users')
          .query({ q: tag, limit: 2, ...(cursor ? { cursor } : {}) })
          .set(asAdmin());
        expect(res.status).toBe(200);
        expect(res.body.users.length).toBeLessThanOrEqual(2);
        seen.push(...res.body.users.map((u: { username: string }) => u.username));
        cursor = res.body.next_cursor;
        pages += 1;
        if (pages === 2) {
          // A user who sorts before the cursor arrives mid-walk: nothing after it shifts, repeats or goes missing.
          await createUser(ctx.db, { username: `${tag}_0_early` });
        }
      } while (cursor !== null && pages < 10);
      expect(seen).toEqual(expected);
      expect(pages).toBe(4);
    });

    it('answers an exactly full last page with a cursor whose page is empty', async () => {
      const tag = `full${randomUUID().slice(0, 6)}`;
      for (const name of ['a', 'b']) await createUser(ctx.db, { username: `${tag}_${name}` });
      const first = await request(ctx.app).get('/admin/users').query({ q: tag, limit: 2 }).set(asAdmin());
      expect(first.body.users).toHaveLength(2);
      // Fetching one row more than asked tells a full last page from a page with more behind it.
      expect(first.body.next_cursor).toBeNull();
    });

    it('pages 50 users by default and up to 200 when asked', async () => {
      const tag = `many${randomUUID().slice(0, 6)}`;
      for (let i = 0; i < 51; i += 1) await createUser(ctx.db, { username: `${tag}_${String(i).padStart(2, '0')}` });
      const byDefault = await request(ctx.app).get('/admin/users').query({ q: tag }).set(asAdmin());
      expect(byDefault.body.users).toHaveLength(50);
      expect(byDefault.body.next_cursor).toEqual(expect.any(String));
      const rest = await request(ctx.app).get('/admin/users').query({ q: tag, cursor: byDefault.body.next_cursor }).set(asAdmin());
      expect(rest.body.users.map((u: { username: string }) => u.username)).toEqual([`${tag}_50`]);
      const big = await request(ctx.app).get('/admin/users').query({ q: tag, limit: 200 }).set(asAdmin());
      expect(big.body.users).toHaveLength(51);
      expect(big.body.next_cursor).toBeNull();
      expect((await request(ctx.app).get('/admin/users').query({ q: tag, limit: 1 }).set(asAdmin())).body.users).toHaveLength(1);
    });

    it.each([['0'], ['201'], ['-1'], ['1.5'], ['abc'], [''], ['1e2'], [' 5'], ['0x10']])('answers limit=%p with 400 naming the field', async (limit) => {
      const res = await request(ctx.app).get(`/admin/users?limit=${encodeURIComponent(limit)}`).set(asAdmin());
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', code: 'validation_failed', errors: [{ field: 'limit', message: 'limit must be a whole number from 1 to 200' }] });
    });

    it('answers a repeated limit or q, and an unreadable cursor, with 400 naming the field', async () => {
      const twice = await request(ctx.app).get('/admin/users?limit=2&limit=3').set(asAdmin());
      expect(twice.body.errors).toEqual([{ field: 'limit', message: expect.any(String) }]);
      const qs = await request(ctx.app).get('/admin/users?q=a&q=b').set(asAdmin());
      expect({ status: qs.status, errors: qs.body.errors }).toEqual({ status: 400, errors: [{ field: 'q', message: 'q must be a string' }] });
      for (const cursor of ['not-a-cursor!', 'Zm9v', '%00', 'x'.repeat(600), '']) {
        const res = await request(ctx.app).get(`/admin/users?cursor=${encodeURIComponent(cursor)}`).set(asAdmin());
        expect({ cursor, status: res.status, errors: res.body.errors }).toEqual({ cursor, status: 400, errors: [{ field: 'cursor', message: 'cursor is not one this server handed out' }] });
      }
    });

    it('filters by a case-insensitive username prefix in which % _ and \\ match only themselves', async () => {
      const tag = `q${randomUUID().slice(0, 6)}`;
      for (const name of ['Ab_c', 'abXc', 'ab-c', 'ABCD', 'zz']) await createUser(ctx.db, { username: `${tag}${name}` });
      const names = async (q: string) => {
        const res = await request(ctx.app).get('/admin/users').query({ q, limit: 200 }).set(asAdmin());
        expect(res.status).toBe(200);
        return res.body.users.map((u: { username: string }) => u.username).sort();
      };
      expect(await names(`${tag.toUpperCase()}ab`)).toEqual([`${tag}ab-c`, `${tag}Ab_c`, `${tag}ABCD`, `${tag}abXc`].sort());
      expect(await names(`${tag}ab_`)).toEqual([`${tag}Ab_c`]); // "_" is no wildcard
      expect(await names(`${tag}ab%`)).toEqual([]); // nor is "%"
      expect(await names(`${tag}%`)).toEqual([]);
      expect(await names(`${tag}ab\\`)).toEqual([]);
      expect(await names(`${tag}zz`)).toEqual([`${tag}zz`]);
    });

    it('finds nobody (never a 5xx) for a q no username could start with', async () => {
      const raw = ['%ED%A0%80', '%FF', '%', '%%', '%C0%AF']; // a lone surrogate's bytes, bytes that are no UTF-8, a bare %
      const texts = ['%', '_%', '\\', "' OR 1=1 --", 'a\u0000b', '\u0000', 'é', '\u212Aelvin', 'ａ', 'x'.repeat(33), 'x'.repeat(3000), 'a b', '"', '*'];
      for (const q of [...texts.map(encodeURIComponent), ...raw]) {
        const res = await request(ctx.app).get(`/admin/users?q=${q}`).set(asAdmin());
        expect({ q, status: res.status, body: res.body }).toEqual({ q, status: 200, body: { users: [], next_cursor: null } });
      }
    });

    it('treats an empty q as no filter', async () => {
      const res = await request(ctx.app).get('/admin/users?q=').set(asAdmin());
      expect(res.status).toBe(200);
      expect(res.body.users.length).toBeGreaterThan(1);
    });
  });

  describe('GET /admin/users/:id', () => {
    it('shows one user', async () => {
      const { user, username } = await createUser(ctx.db);
      const res = await request(ctx.app).get(`/admin/users/${user.id}`).set(asAdmin());
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: user.id, username, role: 'user', disabled: false, email: null });
      expect(Object.keys(res.body).sort()).toEqual(ADMIN_VIEW_KEYS);
    });

    it('answers 404 user_not_found for an unknown or malformed id, never a 400 or 5xx', async () => {
      for (const id of [randomUUID(), 'nope', "1' OR '1'='1", '%00', 'x'.repeat(300), `${admin.id}x`, '%E2%80%AE', '00000000-0000-0000-0000-00000000000g']) {
        const res = await request(ctx.app).get(`/admin/users/${id}`).set(asAdmin());
        expect({ id, status: res.status, body: res.body }).toEqual({ id, status: 404, body: { error: 'not_found', error_description: expect.any(String), code: 'user_not_found' } });
      }
    });
  });

  describe('PATCH /admin/users/:id', () => {
    it('changes the role (JSON) and answers with the user; their earlier tokens are stale', async () => {
      const { user, username, password } = await createUser(ctx.db);
      const before = await login(ctx.app, username, password);
      const res = await request(ctx.app).patch(`/admin/users/${user.id}`).set(asAdmin()).send({ role: 'admin' });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ id: user.id, username, role: 'admin', disabled: false });
      expect(Object.keys(res.body).sort()).toEqual(ADMIN_VIEW_KEYS);
      expect((await ctx.db.User.findByPk(user.id))!.role).toBe('admin');
      expect((await request(ctx.app).get('/protected').set(bearer(before.access_token))).body.code).toBe('token_stale');
      const promoted = await login(ctx.app, username, password);
      expect((await request(ctx.app).get('/admin/users').set(bearer(promoted.access_token))).status).toBe(200);
    });

    it('disables and enables an account from a form ("true"/"false"); disabling ends every session', async () => {
      const { user, username, password } = await createUser(ctx.db);
      const tokens = await login(ctx.app, username, password);
      const off = await request(ctx.app).patch(`/admin/users/${user.id}`).set(asAdmin()).type('form').send({ disabled: 'true' });
      expect({ status: off.status, disabled: off.body.disabled }).toEqual({ status: 200, disabled: true });
      expect((await ctx.db.User.findByPk(user.id))!.disabledAt).toBeInstanceOf(Date);
      expect((await request(ctx.app).get('/protected').set(bearer(tokens.access_token))).body.code).toBe('account_disabled');
      expect((await request(ctx.app).post('/token/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(401);
      expect((await request(ctx.app).post('/token').send({ username, password })).status).toBe(403);

      const on = await request(ctx.app).patch(`/admin/users/${user.id}`).set(asAdmin()).type('form').send({ disabled: 'false' });
      expect({ status: on.status, disabled: on.body.disabled }).toEqual({ status: 200, disabled: false });
      expect((await request(ctx.app).post('/token').send({ username, password })).status).toBe(200);
    });

    it('takes role and disabled together', async () => {
      const { user } = await createUser(ctx.db);
      const res = await request(ctx.app).patch(`/admin/users/${user.id}`).set(asAdmin()).send({ role: 'admin', disabled: true });
      expect(res.body).toMatchObject({ role: 'admin', disabled: true });
    });

    it.each([
      [{}, 'body', 'send role, disabled or both'],
      [{ email: 'x@example.com' }, 'body', 'send role, disabled or both'],
      [{ role: 'root' }, 'role', 'role must be one of: user, admin'],
      [{ role: 'Admin' }, 'role', 'role must be one of: user, admin'],
      [{ role: ['admin'] }, 'role', 'role must be one of: user, admin'],
      [{ role: null }, 'role', 'role must be one of: user, admin'],
      [{ disabled: 'yes' }, 'disabled', 'disabled must be true or false'],
      [{ disabled: 1 }, 'disabled', 'disabled must be true or false'],
      [{ disabled: null }, 'disabled', 'disabled must be true or false'],
    ])('answers %j with 400 naming the field, changing nothing', async (body, field, message) => {
      const { user } = await createUser(ctx.db);
      const res = await request(ctx.app).patch(`/admin/users/${user.id}`).set(asAdmin()).send(body);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', code: 'validation_failed', errors: [{ field, message }] });
      expect(await ctx.db.User.findByPk(user.id)).toMatchObject({ role: 'user', disabledAt: null });
    });

    it('answers a request without a body with 400', async () => {
      const { user } = await createUser(ctx.db);
      const res = await request(ctx.app).patch(`/admin/users/${user.id}`).set(asAdmin());
      expect({ status: res.status, errors: res.body.errors }).toEqual({ status: 400, errors: [{ field: 'body', message: 'send role, disabled or both' }] });
    });

    it('answers 404 user_not_found for an unknown or malformed id', async () => {
      for (const id of [randomUUID(), 'nope', "1' OR '1'='1"]) {
        const res = await request(ctx.app).patch(`/admin/users/${encodeURIComponent(id)}`).set(asAdmin()).send({ role: 'admin' });
        expect({ id, status: res.status, code: res.body.code }).toEqual({ id, status: 404, code: 'user_not_found' });
      }
    });

    it('refuses with 409 last_admin to demote or disable the last enabled admin', async () => {
      const last = await newAdmin('last');
      await ctx.db.User.update({ role: 'user' }, { where: { role: 'admin' } });
      await ctx.db.User.update({ role: 'admin' }, { where: { id: last.id } });
      const tokens = await login(ctx.app, last.username, last.password);
      for (const change of [{ role: 'user' }, { disabled: true }, { role: 'user', disabled: true }]) {
        const res = await request(ctx.app).patch(`/admin/users/${last.id}`).set(bearer(tokens.access_token)).send(change);
        expect({ change, status: res.status, error: res.body.error, code: res.body.code }).toEqual({ change, status: 409, error: 'conflict', code: 'last_admin' });
      }
      expect(await ctx.db.User.findByPk(last.id)).toMatchObject({ role: 'admin', disabledAt: null });
      // The others were demoted behind the suite's back: make the suite's admin an admin again.
      await ctx.db.User.update({ role: 'admin' }, { where: { id: admin.id } });
    });
  });

  describe('POST /admin/users/:id/sessions/revoke', () => {
    it('ends every session of the user with 204; they can log in again', async () => {
      const { user, username, password } = await createUser(ctx.db);
      const first = await login(ctx.app, username, password);
      const second = await login(ctx.app, username, password);
      const res = await request(ctx.app).post(`/admin/users/${user.id}/sessions/revoke`).set(asAdmin());
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      for (const tokens of [first, second]) {
        expect((await request(ctx.app).get('/protected').set(bearer(tokens.access_token))).body.code).toBe('token_revoked');
        expect((await request(ctx.app).post('/token/refresh').send({ refresh_token: tokens.refresh_token })).status).toBe(401);
      }
      expect((await request(ctx.app).post('/token').send({ username, password })).status).toBe(200);
    });

    it('answers 404 user_not_found for an unknown or malformed id', async () => {
      for (const id of [randomUUID(), 'nope']) {
        const res = await request(ctx.app).post(`/admin/users/${id}/sessions/revoke`).set(asAdmin());
        expect({ id, status: res.status, code: res.body.code }).toEqual({ id, status: 404, code: 'user_not_found' });
      }
    });
  });
});
