import { randomUUID } from 'node:crypto';
import { METHODS } from 'node:http';
import fc from 'fast-check';
import request from 'supertest';
import { createTestContext, TestContext } from '../helpers/app';
import { createSession } from '../factories/user.factory';
import { expect401Contract } from './support/expectations';
import { Listening, listen, rawRequest, RawRequest, RawResponse } from './support/raw-http';
import { snapshotUser } from './support/db';

/**
 * Property-based abuse (fast-check): arbitrary methods, paths, headers and bodies
 * thrown at every route: every operation in /openapi.json (so an app's own
 * documented resources are fuzzed without being named here), /openapi.json and /docs. Whatever arrives, the server answers below 500, every
 * error is JSON with an `error` and a `code`, every 401 carries a challenge, and
 * a bystander's rows (users and refresh_tokens) end exactly as they began.
 * Runs are bounded (430 requests in all) to keep the suite fast; FUZZ_SCALE=20 explores deeper by hand.
 */
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE) || 1);
describe('fuzzing every route', () => {
  let ctx: TestContext;
  let server: Listening;
  let victim: Awaited<ReturnType<typeof createSession>>;
  let attacker: Awaited<ReturnType<typeof createSession>>;
  let victimBefore: Awaited<ReturnType<typeof snapshotUser>>;
  /** The victim's note as its owner reads it: nothing thrown at /notes/{id} may change it. */
  let victimNote: { id: string };

  beforeAll(async () => {
    ctx = await createTestContext();
    server = await listen(ctx.app);
    victim = await createSession(ctx.app, ctx.db, { username: 'victim', password: 'the victim passphrase 1' });
    attacker = await createSession(ctx.app, ctx.db, { username: 'attacker', password: 'the attacker passphrase 1' });
    victimBefore = await snapshotUser(ctx.db, victim.user.id);
    victimNote = (await request(ctx.app).post('/notes').set('Authorization', `Bearer ${victim.tokens.access_token}`).send({ title: 'private', body: 'the victim’s' })).body;
    await documentedRoutes();
  });
  afterAll(async () => {
    await server.close();
    await ctx.close();
  });

  /** [method, path] of every documented operation; a path parameter becomes an unknown id or junk. */
  let ROUTES: Array<[string, string]> = [];
  /** The operations that need an access token (no anonymous `{}` in their security), and the refresh endpoint. */
  let TOKEN_ROUTES: Array<[string, string]> = [];

  async function documentedRoutes(): Promise<void> {
    const { paths } = (await request(ctx.app).get('/openapi.json')).body as { paths: Record<string, Record<string, { security?: object[] }>> };
    ROUTES = [['GET', '/openapi.json'], ['GET', '/docs/']];
    TOKEN_ROUTES = [['POST', '/token/refresh']];
    for (const [template, item] of Object.entries(paths)) {
      const concrete = template.includes('{') ? [randomUUID(), victimNote.id, 'not-an-id', "1' OR '1'='1", '\u0000'].map((id) => template.replace(/\{[^}]+\}/g, encodeURIComponent(id))) : [template];
      for (const [method, operation] of Object.entries(item)) {
        for (const path of concrete) {
          ROUTES.push([method.toUpperCase(), path]);
          if (operation.security && !operation.security.some((scheme) => Object.keys(scheme).length === 0)) TOKEN_ROUTES.push([method.toUpperCase(), path]);
        }
      }
    }
  }

  const FIELDS = ['title', 'body', 'username', 'password', 'email', 'grant_type', 'refresh_token', 'token', 'token_type_hint', 'all', 'current_password', 'new_password', 'access_token', 'role', 'disabled', '__proto__', 'constructor'];
  const prototypeNames = Object.getOwnPropertyNames(Object.prototype).sort();

  /** The generators; built once the users exist, since they draw on what an attacker holds. */
  function arbitraries() {
    // What an attacker can know or hold: the victim's name and id, their own tokens, and junk.
    // CONNECT is a tunnel, not a request, in Node's server: it never reaches Express.
    const anyMethod = fc.constantFrom(...METHODS.filter((m) => m !== 'CONNECT'));
    const knownStrings = () => [victim.username, victim.user.id, attacker.username, attacker.password, attacker.tokens.access_token, attacker.tokens.refresh_token];
    // Ordinary text with one troublemaker inside: control characters (NUL above all: C code
    // ends strings there), quotes, escapes, look-alikes, a lone surrogate.
    const nasty = fc
      .tuple(fc.string({ maxLength: 12 }), fc.constantFrom('\u0000', '\u0000', '\u0000', '\u0001', '\n', '\r\n', '\u007f', '\u202e', "'", '"', '\\', '%', '_', '\u212A', '\u0430', '\ufeff', '\ud800'), fc.string({ maxLength: 12 }))
      .map((parts) => parts.join(''));
    const text = fc.oneof(
      { arbitrary: nasty, weight: 4 },
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 40 }),
      fc.constantFrom('', ' ', '\u0000', 'null', 'true', '0', "' OR 1=1 --", '__proto__', 'a'.repeat(300), 'Bearer'),
      fc.constantFrom(...knownStrings()),
    );
    const fieldValue: fc.Arbitrary<unknown> = fc.oneof(text, fc.jsonValue({ maxDepth: 3 }), fc.boolean(), fc.integer(), fc.constant(null));

    const headerChar = fc.mapToConstant({ num: 95, build: (i) => String.fromCharCode(0x20 + i) }, { num: 128, build: (i) => String.fromCharCode(0x80 + i) });
    const headerValue = fc.oneof(fc.string({ unit: headerChar, maxLength: 60 }), text.filter((v) => typeof v === 'string' && /^[\t\x20-\x7e\x80-\xff]*$/.test(v)));
    const tokenChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.!#$%&\'*+^`|~'.split(''));
    const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade', 'te', 'trailer', 'keep-alive']);
    const headerName = fc.string({ unit: tokenChar, minLength: 1, maxLength: 20 }).filter((name) => !RESERVED_HEADERS.has(name.toLowerCase()));

    const authorization = fc.oneof(
      fc.constant(undefined),
      fc.constant(`Bearer ${attacker.tokens.access_token}`),
      fc.constant(`Bearer ${attacker.tokens.refresh_token}`),
      headerValue.map((v) => `Bearer ${v}`),
      fc.tuple(fc.constantFrom('Bearer', 'bearer', 'Basic', 'Token', ''), headerValue).map(([scheme, v]) => `${scheme} ${v}`),
      fc.tuple(fc.nat(400), fc.nat(63)).map(([at, bits]) => {
        // A valid token with one character changed.
        const token = attacker.tokens.access_token;
        const i = at % token.length;
        const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
        return `Bearer ${token.slice(0, i)}${chars[bits]}${token.slice(i + 1)}`;
      }),
    );
    const contentType = fc.oneof(
      fc.constantFrom(
        'application/json',
        'application/json; charset=utf-8',
        'application/json; charset=latin1',
        'application/x-www-form-urlencoded',
        'text/plain',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/octet-stream',
        'application/json-patch+json',
        '*/*',
        ';',
      ),
      headerValue,
    );

    const body = fc.oneof(
      fc.constant(undefined),
      fc.jsonValue({ maxDepth: 4 }).map((value) => ({ type: 'application/json', text: JSON.stringify(value) ?? 'null' })),
      fc.dictionary(fc.constantFrom(...FIELDS), fieldValue, { maxKeys: 6 }).map((value) => ({ type: 'application/json', text: JSON.stringify(value) })),
      fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 10 })), text, { maxKeys: 6 }).map((value) => ({
        type: 'application/x-www-form-urlencoded',
        text: new URLSearchParams(value).toString(),
      })),
      fc.string({ unit: 'binary', maxLength: 200 }).map((value) => ({ type: undefined, text: value })),
      fc.uint8Array({ maxLength: 200 }).map((bytes) => ({ type: undefined, text: Buffer.from(bytes) })),
    );

    const pathChar = fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-._~%/?=&+:@!$\'()*,;[]'.split(''));
    const path = fc.oneof(
      fc.constantFrom(...ROUTES.map(([, p]) => p), '/', '/docs', '/docs/swagger-ui-init.js', '/docs/../openapi.json', '/%2e%2e/etc/passwd', '/docs/%ZZ', '/protected%00', '*'),
      fc.tuple(fc.constantFrom(...ROUTES.map(([, p]) => p)), fc.string({ unit: pathChar, maxLength: 30 })).map(([p, suffix]) => `${p}${suffix}`),
      fc.string({ unit: pathChar, maxLength: 40 }).map((p) => `/${p}`),
    );
    // Bodies shaped like each open endpoint's real ones: its field names, hostile values, JSON or form.
    const grantType = fc.oneof({ arbitrary: fc.constantFrom(undefined, 'password', 'password', 'refresh_token'), weight: 4 }, text);
    const shaped: Array<[string, fc.Arbitrary<Record<string, unknown>>]> = [
      ['/token', fc.record({ grant_type: grantType, username: text, password: text, refresh_token: text }, { requiredKeys: ['username', 'password'] })],
      ['/auth/register', fc.record({ username: text, password: text, email: text }, { requiredKeys: ['username', 'password'] })],
      ['/token/refresh', fc.record({ refresh_token: text })],
      ['/token/revoke', fc.record({ token: text, token_type_hint: fc.oneof(fc.constantFrom('refresh_token', 'access_token'), text) }, { requiredKeys: ['token'] })],
    ];
    const credentials = fc.oneof(
      ...shaped.map(([route, fields]) =>
        fc.tuple(fields, fc.boolean()).map(([values, asForm]) => {
          const defined = Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<string, string>;
          const sent = asForm
            ? { type: 'application/x-www-form-urlencoded', text: new URLSearchParams(defined).toString() }
            : { type: 'application/json', text: JSON.stringify(defined) };
          return { route, ...sent };
        }),
      ),
    );
    return { anyMethod, text, authorization, contentType, body, credentials, path, headerName, headerValue };
  }

  function check(req: RawRequest, res: RawResponse): void {
    const where = `${req.method} ${req.path} -> ${res.status} ${res.text.slice(0, 200)}`;
    if (res.status >= 500) throw new Error(`5xx: ${where}`);
    if (res.status >= 400 && req.method !== 'HEAD') {
      if (!String(res.headers['content-type']).startsWith('application/json')) throw new Error(`non-JSON error: ${where}`);
      const json = res.json as { error?: unknown; code?: unknown } | undefined;
      if (typeof json?.error !== 'string' || typeof json.code !== 'string') throw new Error(`error without error/code: ${where}`);
      if (res.status === 401) expect401Contract(res);
    }
    if (!res.headers['x-request-id']) throw new Error(`no request id: ${where}`);
  }

  async function exchange(req: RawRequest): Promise<void> {
    const res = await rawRequest(server.port, req);
    check(req, res);
  }

  const withBody = (headers: Record<string, string | undefined>, sent: { type?: string; text: string | Buffer } | undefined, typeOverride?: string) => {
    const all: Record<string, string> = {};
    for (const [name, value] of Object.entries(headers)) if (value !== undefined) all[name] = value;
    const type = typeOverride ?? sent?.type;
    if (sent && type !== undefined) all['content-type'] = type;
    return { headers: all, body: sent?.text };
  };

  it('fuzzes every documented operation, and the guarded ones with tokens', () => {
    expect(ROUTES).toEqual(expect.arrayContaining([['POST', '/auth/register'], ['GET', '/protected'], ['PUT', '/users/me/password'], ['GET', '/health'], ['GET', '/docs/']]));
    expect(ROUTES).toEqual(expect.arrayContaining([['POST', '/notes'], ['GET', '/notes'], ['PATCH', `/notes/${victimNote.id}`], ['DELETE', `/notes/${victimNote.id}`]]));
    expect(TOKEN_ROUTES).toContainEqual(['DELETE', `/notes/${victimNote.id}`]);
    expect(TOKEN_ROUTES).toEqual(expect.arrayContaining([['GET', '/protected'], ['GET', '/users/me'], ['PUT', '/users/me/password'], ['POST', '/auth/logout'], ['POST', '/token/refresh']]));
    expect(TOKEN_ROUTES).not.toContainEqual(['POST', '/token']);
  });

  it('answers arbitrary requests to the routes below 500, with JSON errors', async () => {
    const { authorization, body, contentType } = arbitraries();
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...ROUTES), authorization, body, fc.option(contentType, { nil: undefined }), async ([method, route], auth, sent, type) => {
        const { headers, body: payload } = withBody({ authorization: auth }, sent, type);
        await exchange({ method, path: route, headers, body: payload });
      }),
      { numRuns: 100 * SCALE },
    );
  });

  it('answers credential-shaped bodies with hostile values at the open endpoints below 500', async () => {
    const { credentials } = arbitraries();
    await fc.assert(
      fc.asyncProperty(credentials, async (sent) => {
        await exchange({ method: 'POST', path: sent.route, headers: { 'content-type': sent.type }, body: sent.text });
      }),
      { numRuns: 150 * SCALE },
    );
  });

  it('answers note-shaped bodies and queries with hostile values, sent with a valid token, below 500', async () => {
    const { text } = arbitraries();
    const value: fc.Arbitrary<unknown> = fc.oneof(text, fc.constant(undefined), fc.jsonValue({ maxDepth: 2 }), fc.string({ maxLength: 11_000 }));
    const ids = ROUTES.filter(([, path]) => path.startsWith('/notes/')).map(([, path]) => path.slice('/notes/'.length));
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('POST', 'GET', 'PATCH', 'DELETE'),
        fc.constantFrom(...ids),
        fc.record({ title: value, body: value }, { requiredKeys: [] }),
        fc.record({ limit: text, cursor: text }, { requiredKeys: [] }),
        async (method, id, fields, query) => {
          const path = method === 'POST' || (method === 'GET' && id.length % 2 === 0) ? '/notes' : `/notes/${id}`;
          const search = new URLSearchParams(Object.entries(query).filter(([, v]) => typeof v === 'string') as Array<[string, string]>).toString();
          const body = JSON.stringify(fields);
          await exchange({ method, path: search ? `${path}?${search}` : path, headers: { authorization: `Bearer ${attacker.tokens.access_token}`, 'content-type': 'application/json' }, body });
        },
      ),
      { numRuns: 100 * SCALE },
    );
  });

  it('answers arbitrary methods, paths and headers below 500, with JSON errors', async () => {
    const { anyMethod, path, headerName, headerValue, authorization, body } = arbitraries();
    await fc.assert(
      fc.asyncProperty(
        anyMethod,
        path,
        fc.dictionary(headerName, headerValue, { maxKeys: 5 }),
        fc.record({ authorization, 'x-request-id': fc.option(headerValue, { nil: undefined }), 'x-forwarded-for': fc.option(headerValue, { nil: undefined }), cookie: fc.option(fc.oneof(headerValue, headerValue.map((v) => `refresh_token=${v}`), fc.constant('refresh_token=j:{"__proto__":{"polluted":1}}'), fc.constant(`refresh_token=${attacker.tokens.refresh_token}`)), { nil: undefined }),
          'refresh-token-delivery': fc.option(fc.oneof(fc.constantFrom('cookie', 'body'), headerValue), { nil: undefined }), origin: fc.option(headerValue, { nil: undefined }), 'content-encoding': fc.option(fc.constantFrom('gzip', 'deflate', 'br', 'identity', 'x-nope'), { nil: undefined }) }),
        body,
        async (method, target, extra, known, sent) => {
          const { headers, body: payload } = withBody({ ...extra, ...known }, sent);
          await exchange({ method, path: target, headers, body: payload });
        },
      ),
      { numRuns: 100 * SCALE },
    );
  });

  it('answers arbitrary Authorization headers and token bodies on the guarded and refresh routes with 400 or 401', async () => {
    const { authorization } = arbitraries();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...TOKEN_ROUTES),
        // Anything but the attacker's own intact tokens, in whatever case of scheme.
        authorization.filter((value) => !value?.includes(attacker.tokens.access_token) && !value?.includes(attacker.tokens.refresh_token)),
        async ([method, route], auth) => {
          const req: RawRequest = { method, path: route, headers: auth === undefined ? {} : { authorization: auth } };
          const res = await rawRequest(server.port, req);
          check(req, res);
          expect([400, 401]).toContain(res.status);
          expect(res.json).not.toHaveProperty('access_token');
        },
      ),
      { numRuns: 80 * SCALE },
    );
  });

  it('left the victim\'s rows untouched, their note and session working, and Object.prototype clean', async () => {
    expect(await snapshotUser(ctx.db, victim.user.id)).toEqual(victimBefore);
    const note = await request(ctx.app).get(`/notes/${victimNote.id}`).set('Authorization', `Bearer ${victim.tokens.access_token}`);
    expect(note.body).toEqual(victimNote);
    expect((await request(ctx.app).get('/users/me').set('Authorization', `Bearer ${victim.tokens.access_token}`)).status).toBe(200);
    expect((await request(ctx.app).post('/token/refresh').send({ refresh_token: victim.tokens.refresh_token })).status).toBe(200);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeNames);
  });
});
