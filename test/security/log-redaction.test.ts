import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { simpleParser } from 'mailparser';
import type { DestinationStream } from 'pino';
import request from 'supertest';
import { createLogger } from '../../app/logger';
import { newAccountToken } from '../../app/mail/account-token';
import { OUTBOX_TIMING, startOutboxSender } from '../../app/mail/outbox-sender';
import { createMailTransport } from '../../app/mail/transport';
import { loadConfig } from '../../config';
import { createUser } from '../factories/user.factory';
import { createTestContext, DIALECTS, TEST_ENV, TestContext } from '../helpers/app';
import { describeOnPostgres } from '../helpers/postgres';
import { startSmtpServer } from '../helpers/smtp';

/**
 * Logs are structured JSON (pino) and never hold a secret: passwords,
 * access and refresh tokens, cookies and Authorization are redacted wherever
 * they would be printed (headers, query strings, error details). The app writes
 * into a buffer here, at the most verbose level, and the buffer is searched.
 */
function captured(): { stream: DestinationStream; lines: string[]; text: () => string } {
  const lines: string[] = [];
  return {
    stream: { write: (chunk: string) => void lines.push(chunk) },
    lines,
    text: () => lines.join(''),
  };
}

describe('log redaction', () => {
  let ctx: TestContext;
  const log = captured();
  const secrets: string[] = [];
  const requestIds: string[] = [];
  const keep = <T extends request.Response>(res: T): T => {
    requestIds.push(res.headers['x-request-id']);
    return res;
  };

  beforeAll(async () => {
    ctx = await createTestContext({ logger: createLogger('trace', log.stream) });
  });
  afterAll(() => ctx.close());

  it('logs a whole session of secret-laden requests without a single secret', async () => {
    const app = ctx.app;
    const password = 'first plum tractor velvet';
    const newPassword = 'second plum tractor velvet';
    secrets.push(password, newPassword);

    expect(keep(await request(app).post('/auth/register').send({ username: 'logged', password })).status).toBe(201);
    const form = keep(await request(app).post('/token').type('form').send({ username: 'logged', password }));
    expect(form.status).toBe(200);
    const json = keep(await request(app).post('/token').send({ username: 'logged', password }));
    secrets.push(form.body.access_token, form.body.refresh_token, json.body.access_token, json.body.refresh_token);
    const basic = Buffer.from(`logged:${password}`).toString('base64');
    secrets.push(basic);
    keep(await request(app).post('/token').set('Authorization', `Basic ${basic}`).type('form').send({ username: 'logged', password: 'a wrong guess 123' }));
    secrets.push('a wrong guess 123');

    const byHeader = keep(await request(app).post('/token/refresh').set('Authorization', `Bearer ${form.body.refresh_token}`));
    expect(byHeader.status).toBe(200);
    const byBody = keep(await request(app).post('/token/refresh').send({ refresh_token: json.body.refresh_token }));
    const byGrant = keep(await request(app).post('/token').type('form').send({ grant_type: 'refresh_token', refresh_token: byBody.body.refresh_token }));
    secrets.push(byHeader.body.access_token, byHeader.body.refresh_token, byBody.body.access_token, byBody.body.refresh_token, byGrant.body.refresh_token, byGrant.body.access_token);

    const access = byHeader.body.access_token as string;
    keep(await request(app).get('/protected').set('Authorization', `Bearer ${access}`));
    keep(await request(app).get(`/protected?access_token=${access}`));
    keep(await request(app).get(`/users/me?access_token=${access}&password=${encodeURIComponent(password)}`).set('Authorization', `Bearer ${access}`));
    keep(await request(app).post(`/token/refresh?refresh_token=${byHeader.body.refresh_token}`));
    keep(await request(app).post(`/token?username=logged&password=${encodeURIComponent(password)}`));

    const cookieValue = 'cookie-held-refresh-token-value-1234567890';
    const csrf = 'csrf-token-value-0987654321';
    const proxy = 'proxy-credential-value-5555';
    secrets.push(cookieValue, csrf, proxy);
    keep(
      await request(app)
        .get('/users/me')
        .set('Authorization', `Bearer ${access}`)
        .set('Cookie', `refresh_token=${cookieValue}; other=${cookieValue}`)
        .set('X-CSRF-Token', csrf)
        .set('Proxy-Authorization', `Basic ${proxy}`),
    );

    // The refresh token as an HttpOnly cookie (Set-Cookie out, Cookie back in) for a listed origin.
    const browser = ctx.appWith({ env: { CORS_ORIGINS: 'https://app.example.com' }, logger: createLogger('trace', log.stream) });
    const cookieLogin = keep(
      await request(browser).post('/token').set('Origin', 'https://app.example.com').set('Refresh-Token-Delivery', 'cookie').send({ username: 'logged', password }),
    );
    expect(cookieLogin.status).toBe(200);
    const setCookie = ([] as string[]).concat(cookieLogin.headers['set-cookie'] ?? []);
    const cookieToken = /refresh_token=([^;]+)/.exec(setCookie[0] ?? '')![1];
    secrets.push(cookieToken, cookieLogin.body.access_token);
    const cookieRefresh = keep(await request(browser).post('/token/refresh').set('Origin', 'https://app.example.com').set('Cookie', `refresh_token=${cookieToken}`));
    expect(cookieRefresh.status).toBe(200);
    secrets.push(/refresh_token=([^;]+)/.exec(([] as string[]).concat(cookieRefresh.headers['set-cookie'])[0])![1], cookieRefresh.body.access_token);

    const changed = keep(
      await request(app).put('/users/me/password').set('Authorization', `Bearer ${access}`).send({ current_password: password, new_password: newPassword }),
    );
    expect(changed.status).toBe(200);
    secrets.push(changed.body.access_token, changed.body.refresh_token);
    keep(await request(app).post('/auth/logout').set('Authorization', `Bearer ${changed.body.access_token}`).send({ refresh_token: changed.body.refresh_token }));
    keep(await request(app).post('/token/revoke').type('form').send({ token: byGrant.body.refresh_token, token_type_hint: 'refresh_token' }));
    // Failures log too, at warn: a 400 that echoes nothing, a 413, a 415.
    keep(await request(app).post('/token').send({ username: 'logged', password: { secret: password } }));
    keep(await request(app).post('/token').send({ username: 'logged', password: `${password}${'x'.repeat(20_000)}` }));
    keep(await request(app).post('/token').set('Content-Type', 'text/plain').send(`username=logged&password=${password}`));

    const output = log.text();
    expect(output.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect({ secret, found: output.includes(secret) }).toEqual({ secret, found: false });
    }
    // Nor the signature or payload of any JWT on its own.
    for (const part of access.split('.').slice(1)) expect(output.includes(part)).toBe(false);
    expect(output).toContain('[REDACTED]');
  });

  it('writes one JSON object per line, each request under its own id', () => {
    const entries = log.text().trim().split('\n').map((line) => JSON.parse(line) as { level: number; time: number; msg: string; req?: { id: string; url: string } });
    for (const entry of entries) {
      expect(entry).toEqual(expect.objectContaining({ level: expect.any(Number), time: expect.any(Number), msg: expect.any(String) }));
    }
    const loggedIds = new Set(entries.map((entry) => entry.req?.id));
    for (const id of requestIds) expect(loggedIds).toContain(id);
    // The query-string request is still recognisable, only its secret values are gone.
    const queried = entries.find((entry) => entry.req?.url.startsWith('/protected?'));
    expect(queried?.req?.url).toBe('/protected?access_token=[REDACTED]');
  });
});

/**
 * A reset link's token is a credential: it travels in the mail, and back in one
 * request body, and no log line of the request, the sender or an error may hold it.
 */
describe.each(DIALECTS)('log redaction: password reset by mail (%s)', (dialect) => {
  it('logs forgot, reset and their failures without a token or the new password', async () => {
    const log = captured();
    const logger = createLogger('trace', log.stream);
    const ctx = await createTestContext({ dialect, logger, env: { PUBLIC_URL: 'https://auth.example.com' } });
    const smtp = await startSmtpServer();
    const sender = startOutboxSender({ db: ctx.db, transport: createMailTransport(loadConfig({ ...TEST_ENV, SMTP_URL: smtp.url }).mail, logger), logger, timing: { ...OUTBOX_TIMING, pollMs: 50 } });
    ctx.services.outbox.onQueued(() => sender.kick());
    try {
      const email = 'logged.reset@example.com';
      const { user } = await createUser(ctx.db, { email });
      await user.update({ emailKey: email, emailVerifiedAt: new Date() });
      const forgot = (body: object, query = '') => request(ctx.app).post(`/auth/password/forgot${query}`).send(body);
      const reset = (body: object, query = '') => request(ctx.app).post(`/auth/password/reset${query}`).send(body);

      expect((await forgot({ email })).status).toBe(202);
      expect((await forgot({ email: 'nobody@example.com' })).status).toBe(202);
      const mail = await smtp.nextMail((m) => m.subject === 'Reset your password');
      const token = /#\/reset\?token=([A-Za-z0-9_-]+)/.exec(mail.text ?? '')![1];
      const verification = newAccountToken();
      await ctx.services.outbox.queue({
        recipient: email,
        subject: 'Confirm your address',
        text: 'x',
        html: 'x',
        token: { hash: verification.hash, purpose: 'email_verification', userId: user.id, email, expiresAt: new Date(Date.now() + 60_000) },
      });
      const newPassword = 'fifth plum tractor velvet';
      const secrets = [token, verification.token, newPassword];

      expect((await reset({ token: verification.token, new_password: newPassword })).status).toBe(400);
      expect((await reset({ token, new_password: 'short' })).status).toBe(400);
      // A confused client that puts the token in the query string as well.
      expect((await reset({ token, new_password: newPassword }, `?token=${token}`)).status).toBe(200);
      expect((await reset({ token, new_password: newPassword })).status).toBe(400);
      await smtp.nextMail((m) => m.subject === 'Your password was changed');

      const output = log.text();
      expect(output).toContain('/auth/password/reset');
      for (const secret of secrets) expect({ secret, found: output.includes(secret) }).toEqual({ secret, found: false });
    } finally {
      await sender.stop();
      await ctx.close();
      await smtp.close();
    }
  });
});

/**
 * The token of a mailed link is a credential: it is in the mail and nowhere else.
 * The mail goes out as an .eml file here (no SMTP_URL, as in development), whose
 * log line names the file; the whole flow is logged at trace and searched.
 */
describe('log redaction: verification links', () => {
  let ctx: TestContext;
  let outboxDir: string;
  const log = captured();

  beforeAll(async () => {
    outboxDir = await mkdtemp(path.join(tmpdir(), 'outbox-'));
    ctx = await createTestContext({ logger: createLogger('trace', log.stream), env: { MAIL_OUTBOX_DIR: outboxDir } });
  });
  afterAll(async () => {
    await ctx.close();
    await rm(outboxDir, { recursive: true, force: true });
  });

  /** The token of the `n`th mail written to the outbox folder, waiting for it. */
  async function tokenOfMail(n: number): Promise<string> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const files = (await readdir(outboxDir)).sort();
      if (files.length >= n) {
        const mail = await simpleParser(await readFile(path.join(outboxDir, files[n - 1])));
        return /#\/verify\?token=([A-Za-z0-9_-]{43})/.exec(mail.text ?? '')![1];
      }
      if (Date.now() > deadline) throw new Error(`no mail ${n} in ${outboxDir} after 10 s`);
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('logs registration, resend, verification and its refusals without a token', async () => {
    const logger = createLogger('trace', log.stream);
    const sender = startOutboxSender({ db: ctx.db, transport: createMailTransport(ctx.config.mail, logger), logger, timing: { ...OUTBOX_TIMING, pollMs: 50 } });
    ctx.services.outbox.onQueued(() => sender.kick());
    try {
      const password = 'fifth plum tractor velvet';
      expect((await request(ctx.app).post('/auth/register').send({ username: 'mailed', password, email: 'mailed@example.com' })).status).toBe(201);
      const first = await tokenOfMail(1);
      const access = (await request(ctx.app).post('/token').send({ username: 'mailed', password })).body.access_token as string;
      expect((await request(ctx.app).post('/auth/email/resend').set('Authorization', `Bearer ${access}`)).status).toBe(202);
      const second = await tokenOfMail(2);
      expect((await request(ctx.app).post('/auth/email/verify').send({ token: first })).status).toBe(400);
      expect((await request(ctx.app).post('/auth/email/verify').send({ token: second })).status).toBe(200);
      expect((await request(ctx.app).post('/auth/email/verify').send({ token: second })).status).toBe(400);
      await request(ctx.app).post(`/auth/email/verify?token=${second}`).send({ token: [second] });

      const lines = log.text().trim().split('\n');
      expect(lines.some((line) => line.includes('mail written to the outbox folder'))).toBe(true);
      for (const token of [first, second]) {
        expect({ token, lines: lines.filter((line) => line.includes(token)) }).toEqual({ token, lines: [] });
      }
    } finally {
      await sender.stop();
    }
  });
});

describe('LOG_LEVEL', () => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext();
  });
  afterAll(() => ctx.close());

  it('logs successes at info, client errors at warn, and nothing below the level', async () => {
    const warn = captured();
    const app = ctx.appWith({ logger: createLogger('warn', warn.stream) });
    await request(app).get('/health');
    expect(warn.lines).toEqual([]);
    const missing = await request(app).get('/nowhere');
    expect(warn.lines).toHaveLength(1);
    expect(JSON.parse(warn.lines[0])).toMatchObject({ level: 40, req: { id: missing.headers['x-request-id'], method: 'GET', url: '/nowhere' }, res: { statusCode: 404 } });

    const info = captured();
    await request(ctx.appWith({ logger: createLogger('info', info.stream) })).get('/health');
    expect(JSON.parse(info.lines[0])).toMatchObject({ level: 30, res: { statusCode: 200 } });

    const silent = captured();
    const quiet = ctx.appWith({ logger: createLogger('silent', silent.stream) });
    await request(quiet).get('/nowhere');
    expect(silent.lines).toEqual([]);
  });

  it('refuses an unknown LOG_LEVEL, naming the variable', () => {
    expect(() => ctx.appWith({ env: { LOG_LEVEL: 'verbose' } })).toThrow(/LOG_LEVEL/);
  });
});

/**
 * A statement that fails on PostgreSQL. Sequelize's error carries the statement
 * (`sql`) and its bound `parameters`, the argon2 hash among them, on itself and on
 * `original`/`parent`; node-postgres adds the failing row (`detail`: "Failing row
 * contains (…, $argon2id$…)") and, for a value of the wrong type, quotes the value
 * in the message itself. The log keeps the class, the SQLSTATE and the constraint's
 * name, and none of the values.
 */
describeOnPostgres('log redaction: database errors on PostgreSQL', () => {
  let ctx: TestContext;
  const log = captured();
  beforeAll(async () => {
    ctx = await createTestContext({ dialect: 'postgres', logger: createLogger('trace', log.stream) });
  });
  afterAll(() => ctx?.close());

  const failures = () =>
    log
      .text()
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { msg: string; err?: Record<string, unknown> })
      .filter((entry) => entry.msg === 'request failed');

  it('logs a failed registration and password change by SQLSTATE, without the password, the hash or a token', async () => {
    const app = ctx.app;
    const password = 'third plum tractor velvet';
    const newPassword = 'fourth plum tractor velvet';
    expect((await request(app).post('/auth/register').send({ username: 'pgvictim', password })).status).toBe(201);
    const session = await request(app).post('/token').send({ username: 'pgvictim', password });
    expect(session.status).toBe(200);
    const secrets = [password, newPassword, session.body.access_token, session.body.refresh_token, ...session.body.access_token.split('.').slice(1)];

    // From here on no row of users can be written: every INSERT and UPDATE fails the check (23514).
    await ctx.db.sequelize.query('ALTER TABLE users ADD CONSTRAINT no_writes CHECK (false) NOT VALID');
    const registered = await request(app).post('/auth/register').send({ username: 'pgother', password });
    expect(registered.status).toBe(500);
    expect(registered.body).toEqual({ error: 'server_error', error_description: 'Internal server error.', code: 'internal_error' });
    const changed = await request(app)
      .put('/users/me/password')
      .set('Authorization', `Bearer ${session.body.access_token}`)
      .send({ current_password: password, new_password: newPassword });
    expect(changed.status).toBe(500);

    // A hash where the column now wants an integer: PostgreSQL quotes the value in its message (22P02).
    await ctx.db.sequelize.query('ALTER TABLE users DROP CONSTRAINT no_writes');
    await ctx.db.sequelize.query('ALTER TABLE users ALTER COLUMN password_hash TYPE integer USING 0');
    expect((await request(app).post('/auth/register').send({ username: 'pgthird', password: newPassword })).status).toBe(500);
    expect(await ctx.db.User.count()).toBe(1);

    // Each failure was logged once, with what an operator needs and nothing from the request.
    const logged = failures().map((entry) => entry.err);
    expect(logged).toEqual([
      expect.objectContaining({ type: 'DatabaseError', code: '23514', constraint: 'no_writes', table: 'users', message: 'new row for relation "users" violates check constraint "no_writes"' }),
      expect.objectContaining({ type: 'DatabaseError', code: '23514', constraint: 'no_writes', table: 'users' }),
      expect.objectContaining({ type: 'DatabaseError', code: '22P02', message: 'invalid input syntax for type integer: "[REDACTED]"' }),
    ]);
    for (const err of logged) {
      expect(err).not.toHaveProperty('sql');
      expect(err).not.toHaveProperty('parameters');
      expect(err).not.toHaveProperty('original');
      expect(err).not.toHaveProperty('parent');
      expect(err).not.toHaveProperty('detail');
      expect(err!.stack).toEqual(expect.stringContaining('\n    at '));
    }
    const output = log.text();
    expect(output).not.toContain('$argon2');
    for (const secret of secrets) {
      expect({ secret, found: output.includes(secret) }).toEqual({ secret, found: false });
    }
  });
});
