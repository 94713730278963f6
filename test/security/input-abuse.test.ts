import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';
import { createSession, createUser, login } from '../factories/user.factory';
import { Listening, listen, rawRequest, RawResponse } from './support/raw-http';
import { countRows, snapshotUser } from './support/db';

/**
 * What broken and hostile clients send, endpoint by endpoint: oversized, deep,
 * invalid or mistyped bodies, prototype keys, control characters, look-alike
 * names and SQL. Every answer is a 4xx JSON error (or a normal success), never a
 * 5xx, and nobody else's data moves.
 */
describe('input abuse', () => {
  let ctx: TestContext;
  let server: Listening;
  let bystander: Awaited<ReturnType<typeof createSession>>;
  let caller: Awaited<ReturnType<typeof createSession>>;
  let bystanderBefore: Awaited<ReturnType<typeof snapshotUser>>;
  /** A note of the caller's (PATCH reads a body) and one of the bystander's (which nothing may touch). */
  let callerNote: string;
  let bystanderNote: unknown;

  beforeAll(async () => {
    ctx = await createTestContext();
    server = await listen(ctx.app);
    bystander = await createSession(ctx.app, ctx.db, { username: 'admin', password: 'the admin passphrase 1' });
    caller = await createSession(ctx.app, ctx.db);
    bystanderBefore = await snapshotUser(ctx.db, bystander.user.id);
    const bearer = (tokens: { access_token: string }) => ({ Authorization: `Bearer ${tokens.access_token}` });
    callerNote = (await request(ctx.app).post('/notes').set(bearer(caller.tokens)).send({ title: 'mine' }).expect(201)).body.id;
    bystanderNote = (await request(ctx.app).post('/notes').set(bearer(bystander.tokens)).send({ title: 'theirs', body: 'private' }).expect(201)).body;
  });
  afterAll(async () => {
    await server.close();
    await ctx.close();
  });

  // Every route that reads a body, with the headers it needs to get that far.
  const endpoints = (): Array<[string, string, Record<string, string>]> => [
    ['POST', '/auth/register', {}],
    ['POST', '/token', {}],
    ['POST', '/token/refresh', {}],
    ['POST', '/token/revoke', {}],
    ['POST', '/auth/logout', { authorization: `Bearer ${caller.tokens.access_token}` }],
    ['PUT', '/users/me/password', { authorization: `Bearer ${caller.tokens.access_token}` }],
    ['GET', '/protected', { authorization: `Bearer ${caller.tokens.access_token}` }],
    ['GET', '/health', {}],
    ['POST', '/notes', { authorization: `Bearer ${caller.tokens.access_token}` }],
    ['PATCH', `/notes/${callerNote}`, { authorization: `Bearer ${caller.tokens.access_token}` }],
    ['GET', '/notes', { authorization: `Bearer ${caller.tokens.access_token}` }],
  ];

  function expectJsonError(res: RawResponse, status: number | [number, number], where: string): void {
    const [low, high] = Array.isArray(status) ? status : [status, status];
    try {
      expect(res.status).toBeGreaterThanOrEqual(low);
      expect(res.status).toBeLessThanOrEqual(high);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json).toEqual(expect.objectContaining({ error: expect.any(String), code: expect.any(String) }));
      expect(res.text).not.toMatch(/at .+\.(js|ts):\d+/); // no stack trace
    } catch (error) {
      throw new Error(`${where}: ${res.status} ${res.text.slice(0, 300)}\n${String(error)}`);
    }
  }

  const send = (method: string, path: string, headers: Record<string, string>, body: string | Buffer) =>
    rawRequest(server.port, { method, path, headers, body });

  describe('bodies', () => {
    it('answers a body over 16 KB with 413 body_too_large on every endpoint, JSON and form', async () => {
      const big = 'x'.repeat(17 * 1024);
      for (const [method, path, headers] of endpoints()) {
        const json = await send(method, path, { ...headers, 'content-type': 'application/json' }, JSON.stringify({ username: big }));
        expectJsonError(json, 413, `${method} ${path} JSON`);
        expect(json.json).toMatchObject({ error: 'payload_too_large', code: 'body_too_large' });
        const form = await send(method, path, { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, `username=${big}`);
        expectJsonError(form, 413, `${method} ${path} form`);
      }
    });

    it('answers deeply nested JSON with a 400, not a stack overflow', async () => {
      const arrays = `${'['.repeat(7000)}${']'.repeat(7000)}`;
      const objects = `${'{"a":'.repeat(2500)}1${'}'.repeat(2500)}`;
      const inField = `{"username":${'['.repeat(5000)}${']'.repeat(5000)},"password":"a-long-enough-passphrase"}`;
      for (const [method, path, headers] of endpoints()) {
        for (const body of [arrays, objects, inField]) {
          const res = await send(method, path, { ...headers, 'content-type': 'application/json' }, body);
          // GET routes read no fields, and logout ignores fields it does not know: they may succeed.
          if (method === 'GET' && res.status === 200) continue;
          if (path === '/auth/logout' && res.status === 204) continue;
          expectJsonError(res, 400, `${method} ${path} nested`);
        }
      }
    });

    it.each([
      ['truncated', '{"username": "a'],
      ['single quotes', "{'username': 'a'}"],
      ['a trailing comma', '{"username": "a",}'],
      ['NaN', '{"username": NaN}'],
      ['a bare string (strict mode)', '"just a string"'],
      ['a bare number', '12345678'],
      ['null', 'null'],
      ['a NUL byte', '\u0000'],
      ['binary', Buffer.from([0xff, 0xfe, 0x00, 0x7b, 0x22])],
      ['a BOM and then garbage', '\ufeff{nope'],
    ])('answers invalid JSON (%s) with 400 invalid_request', async (_name, body) => {
      for (const [method, path, headers] of endpoints()) {
        if (method === 'GET') continue;
        const res = await send(method, path, { ...headers, 'content-type': 'application/json' }, body);
        expectJsonError(res, 400, `${method} ${path}`);
        expect(res.json).toMatchObject({ error: 'invalid_request' });
      }
    });

    it.each([
      ['text/plain', 'username=admin&password=x'],
      ['multipart/form-data; boundary=xyz', '--xyz\r\nContent-Disposition: form-data; name="username"\r\n\r\nadmin\r\n--xyz--\r\n'],
      ['application/xml', '<token><username>admin</username></token>'],
      ['application/octet-stream', 'binary'],
      ['application/json-patch+json', '[]'],
      ['text/html', '<script>alert(1)</script>'],
      ['', '{"username":"admin"}'],
    ])('answers a %s body with 415 unsupported_media_type', async (type, body) => {
      for (const [method, path, headers] of endpoints()) {
        const res = await send(method, path, type ? { ...headers, 'content-type': type } : headers, body);
        expectJsonError(res, 415, `${method} ${path} ${type}`);
        expect(res.json).toMatchObject({ error: 'unsupported_media_type', code: 'content_type_unsupported' });
      }
    });

    it('answers an unsupported JSON charset with 415 and accepts charset=utf-8', async () => {
      const body = JSON.stringify({ username: caller.username, password: caller.password });
      expectJsonError(await send('POST', '/token', { 'content-type': 'application/json; charset=latin1' }, body), 415, 'latin1');
      expect((await send('POST', '/token', { 'content-type': 'application/json; charset=UTF-8' }, body)).status).toBe(200);
    });

    it('accepts a bodiless POST whatever its content type says (Content-Length: 0)', async () => {
      const res = await send('POST', '/auth/logout', { authorization: `Bearer ${caller.tokens.access_token}`, 'content-type': 'text/plain' }, '');
      expect(res.status).toBe(204);
    });
  });

  describe('values of the wrong type', () => {
    const wrongTypes: unknown[] = [123, 0, -1.5, true, null, [], ['a-long-enough-passphrase'], {}, { $ne: null }, { toString: 'x' }];
    const fieldsOf: Array<[string, string, string[], (value: unknown) => object]> = [
      ['POST', '/auth/register', ['username', 'password', 'email'], () => ({ username: 'typeduser', password: 'a-long-enough-passphrase', email: 'ok@example.com' })],
      ['POST', '/token', ['username', 'password', 'grant_type'], () => ({ username: 'admin', password: 'the admin passphrase 1' })],
      ['POST', '/token/refresh', ['refresh_token'], () => ({})],
      ['POST', '/token/revoke', ['token', 'token_type_hint'], () => ({ token: 'x' })],
      ['PUT', '/users/me/password', ['current_password', 'new_password'], () => ({ current_password: 'x', new_password: 'plum tractor velvet ninety' })],
      ['POST', '/auth/logout', ['refresh_token', 'all'], () => ({})],
      ['POST', '/notes', ['title', 'body'], () => ({ title: 'a title', body: 'a body' })],
      ['PATCH', '/notes/:caller', ['title', 'body'], () => ({ title: 'a title', body: 'a body' })],
    ];

    it.each(fieldsOf.map(([method, path, fields, base]) => [`${method} ${path}`, method, path, fields, base] as const))(
      '%s answers each mistyped field with 400 naming that field',
      async (_name, method, template, fields, base) => {
        const path = template.replace(':caller', callerNote);
        const guarded = path === '/auth/logout' || path === '/users/me/password' || path.startsWith('/notes');
        const headers: Record<string, string> = guarded ? { authorization: `Bearer ${caller.tokens.access_token}` } : {};
        for (const field of fields) {
          for (const value of wrongTypes) {
            if (field === 'all' && value === true) continue; // the one right type
            const body = { ...base(value), [field]: value };
            const res = await send(method, path, { ...headers, 'content-type': 'application/json' }, JSON.stringify(body));
            expectJsonError(res, [400, 400], `${path} ${field}=${JSON.stringify(value)}`);
            const named = (res.json as { errors?: Array<{ field: string }>; code: string }).errors?.map((e) => e.field) ?? [];
            if ((res.json as { code: string }).code !== 'grant_type_unsupported') expect(named).toContain(field);
          }
        }
      },
    );

    it('refuses a form field sent twice (it would arrive as an array)', async () => {
      const res = await send('POST', '/token', { 'content-type': 'application/x-www-form-urlencoded' }, 'username=admin&username=other&password=x');
      expectJsonError(res, 400, 'repeated form field');
      expect(res.json).toMatchObject({ errors: [{ field: 'username', message: 'username must be a string' }] });
    });

    it('reads logout\'s all flag as a real boolean: "true" from a form ends every session, "yes" is refused', async () => {
      const other = await createSession(ctx.app, ctx.db);
      const yes = await send('POST', '/auth/logout', { authorization: `Bearer ${other.tokens.access_token}`, 'content-type': 'application/json' }, '{"all":"yes"}');
      expectJsonError(yes, 400, 'all=yes');
      const falsy = await send('POST', '/auth/logout', { authorization: `Bearer ${other.tokens.access_token}`, 'content-type': 'application/x-www-form-urlencoded' }, 'all=false');
      expect(falsy.status).toBe(204);
      expect((await ctx.db.User.findByPk(other.user.id, { rejectOnEmpty: true })).sessionVersion).toBe(0);
      const form = await send('POST', '/auth/logout', { authorization: `Bearer ${other.tokens.access_token}`, 'content-type': 'application/x-www-form-urlencoded' }, 'all=true');
      expect(form.status).toBe(204);
      expect((await ctx.db.User.findByPk(other.user.id, { rejectOnEmpty: true })).sessionVersion).toBe(1);
    });

    it('refuses a top-level JSON array on every endpoint', async () => {
      for (const [method, path, headers] of endpoints()) {
        if (method === 'GET') continue;
        const res = await send(method, path, { ...headers, 'content-type': 'application/json' }, '[{"all":true}]');
        expectJsonError(res, 400, `${path} array`);
        expect(res.json).toMatchObject({ code: 'malformed_body' });
      }
    });
  });

  describe('prototype pollution', () => {
    const payloads = [
      '{"__proto__":{"polluted":"yes"},"username":"protouser1","password":"a-long-enough-passphrase"}',
      '{"constructor":{"prototype":{"polluted":"yes"}},"username":"protouser2","password":"a-long-enough-passphrase"}',
      '{"username":{"__proto__":{"polluted":"yes"}},"password":{"constructor":{"prototype":{"polluted":"yes"}}}}',
      '{"prototype":{"polluted":"yes"},"__proto__":{"toString":"boom"}}',
    ];

    it('never pollutes Object.prototype, whatever the endpoint, body or query', async () => {
      for (const [method, path, headers] of endpoints()) {
        for (const body of payloads) {
          const res = await send(method, `${path}?__proto__[polluted]=yes&constructor[prototype][polluted]=yes`, { ...headers, 'content-type': 'application/json' }, body);
          expect(res.status).toBeLessThan(500);
        }
        const form = await send(method, path, { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, '__proto__[polluted]=yes&__proto__=x&constructor[prototype][polluted]=yes');
        expect(form.status).toBeLessThan(500);
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(Object.prototype.hasOwnProperty.call(Object.prototype, 'polluted')).toBe(false);
      expect(typeof ({}).toString).toBe('function');
    });

    it.each(['__proto__', 'constructor', 'prototype', 'hasOwnProperty', 'toString', 'valueOf'])(
      'treats "%s" as an ordinary username: registers, logs in, throttles, and collides with no one',
      async (username) => {
        const app = ctx.appWith({ env: { LOGIN_FAILURE_LIMIT: '2' } });
        const password = 'plum tractor velvet ninety';
        expect((await request(app).post('/auth/register').send({ username, password })).status).toBe(201);
        expect((await request(app).post('/auth/register').send({ username: username.toUpperCase(), password })).status).toBe(409);
        const tokens = await login(app, username, password);
        const me = await request(app).get('/users/me').set('Authorization', `Bearer ${tokens.access_token}`);
        expect(me.body.username).toBe(username);
        expect((await request(app).post('/token').send({ username, password: 'wrong-password' })).status).toBe(401);
        expect((await request(app).post('/token').send({ username, password: 'wrong-password' })).status).toBe(401);
        expect((await request(app).post('/token').send({ username, password })).status).toBe(429);
      },
    );
  });

  describe('control characters, long strings and SQL', () => {
    it('refuses NUL bytes and control characters in usernames and emails, and finds no one with them', async () => {
      for (const username of ['adm\u0000in', 'admin\u0000', 'ad\nmin', 'admin\r\n', '\u001badmin', 'admin\u007f', 'ad\u200bmin']) {
        const register = await request(ctx.app).post('/auth/register').send({ username, password: 'a-long-enough-passphrase' });
        expect(register.status).toBe(400);
        expect(register.body.errors).toEqual([{ field: 'username', message: expect.any(String) }]);
        const token = await request(ctx.app).post('/token').send({ username, password: 'the admin passphrase 1' });
        expect(token.status).toBe(401);
      }
      const email = await request(ctx.app).post('/auth/register').send({ username: 'ctrlmail', password: 'a-long-enough-passphrase', email: 'a\u0000@example.com' });
      expect(email.status).toBe(400);
      const refresh = await request(ctx.app).post('/token/refresh').send({ refresh_token: `${bystander.tokens.refresh_token}\u0000` });
      expect(refresh.status).toBe(401);
    });

    it('refuses very long strings in every field with a 400 naming it', async () => {
      const cases: Array<[string, string, object, string]> = [
        ['POST', '/token', { username: 'u'.repeat(5000), password: 'x' }, 'username'],
        ['POST', '/token', { username: 'admin', password: 'p'.repeat(257) }, 'password'],
        ['POST', '/auth/register', { username: 'u'.repeat(33), password: 'a-long-enough-passphrase' }, 'username'],
        ['POST', '/auth/register', { username: 'longmail', password: 'a-long-enough-passphrase', email: `${'e'.repeat(250)}@example.com` }, 'email'],
        ['POST', '/token/refresh', { refresh_token: 'r'.repeat(5000) }, 'refresh_token'],
        ['POST', '/token/revoke', { token: 't'.repeat(5000) }, 'token'],
      ];
      for (const [method, path, body, field] of cases) {
        const res = await send(method, path, { 'content-type': 'application/json' }, JSON.stringify(body));
        expectJsonError(res, 400, `${path} long ${field}`);
        expect((res.json as { errors: Array<{ field: string }> }).errors.map((e) => e.field)).toContain(field);
      }
    });

    it('treats SQL-ish strings as plain data', async () => {
      const sqlish = ["admin' OR '1'='1", "admin'--", 'admin" OR ""="', "'; DROP TABLE users; --", 'admin\\', '%', "' UNION SELECT password_hash FROM users --"];
      const usersBefore = await countRows(ctx.db, 'users');
      for (const value of sqlish) {
        expect((await request(ctx.app).post('/token').send({ username: value, password: 'the admin passphrase 1' })).status).toBe(401);
        expect((await request(ctx.app).post('/token').send({ username: 'admin', password: value })).status).toBe(401);
        expect((await request(ctx.app).post('/auth/register').send({ username: value, password: 'a-long-enough-passphrase' })).status).toBe(400);
        expect((await request(ctx.app).post('/token/refresh').send({ refresh_token: value })).status).toBe(401);
        expect((await request(ctx.app).post('/token/revoke').type('form').send({ token: value })).status).toBe(200);
        expect((await request(ctx.app).post('/auth/register').send({ username: 'sqlmail', password: 'a-long-enough-passphrase', email: `a@b.c${value}` })).status).toBe(400);
      }
      expect(await countRows(ctx.db, 'users')).toBe(usersBefore);
      for (const value of sqlish) {
        const note = await request(ctx.app).post('/notes').set('Authorization', `Bearer ${caller.tokens.access_token}`).send({ title: value, body: value });
        expect(note.status).toBe(201);
        expect(await ctx.db.Note.findByPk(note.body.id)).toMatchObject({ userId: caller.user.id, title: value, body: value });
        const id = await request(ctx.app).get(`/notes/${encodeURIComponent(value)}`).set('Authorization', `Bearer ${caller.tokens.access_token}`);
        expect(id.status).toBe(404);
      }
      // LIKE wildcards are not wildcards: "_____" is five characters, like "admin", and matches no one.
      expect((await request(ctx.app).post('/token').send({ username: '_____', password: 'the admin passphrase 1' })).status).toBe(401);
    });
  });

  describe('look-alike usernames', () => {
    it.each([
      ['Cyrillic а', '\u0430dmin'],
      ['Cyrillic а and о', 'bystander'.replace('a', '\u0430').replace('o', '\u043e')],
      ['fullwidth letters', '\uff41\uff44\uff4d\uff49\uff4e'],
      ['a Turkish dotted capital I', 'ADM\u0130N'],
      ['a trailing zero-width space', 'admin\u200b'],
      ['a combining mark', 'a\u0308dmin'],
    ])('a name with %s neither registers nor logs in as the ASCII original', async (_name, lookalike) => {
      const register = await request(ctx.app).post('/auth/register').send({ username: lookalike, password: 'a-long-enough-passphrase' });
      expect(register.status).toBe(400);
      expect(register.body.errors[0].field).toBe('username');
      const res = await request(ctx.app).post('/token').send({ username: lookalike, password: 'the admin passphrase 1' });
      expect(res.status).toBe(401);
      expect(res.body).not.toHaveProperty('access_token');
    });

    it('does not let the Kelvin sign (K, which lower-cases to "k") log in as "kelvin"', async () => {
      const kelvin = await createUser(ctx.db, { username: 'kelvin' });
      expect((await request(ctx.app).post('/token').send({ username: 'KELVIN', password: kelvin.password })).status).toBe(200);
      const res = await request(ctx.app).post('/token').send({ username: '\u212Aelvin', password: kelvin.password });
      expect(res.status).toBe(401);
      expect(res.body).not.toHaveProperty('access_token');
    });

    it('does not let the long s (ſ, which upper-cases to "S") collide at registration', async () => {
      await createUser(ctx.db, { username: 'sam' });
      expect((await request(ctx.app).post('/auth/register').send({ username: '\u017Fam', password: 'a-long-enough-passphrase' })).status).toBe(400);
    });
  });

  it('left the bystander exactly as it was, notes included, with a working session', async () => {
    expect(await snapshotUser(ctx.db, bystander.user.id)).toEqual(bystanderBefore);
    const note = await request(ctx.app).get(`/notes/${(bystanderNote as { id: string }).id}`).set('Authorization', `Bearer ${bystander.tokens.access_token}`);
    expect(note.body).toEqual(bystanderNote);
    const res = await request(ctx.app).get('/users/me').set('Authorization', `Bearer ${bystander.tokens.access_token}`);
    expect(res.status).toBe(200);
  });
});
