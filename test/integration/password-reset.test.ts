import type { Express } from 'express';
import type { ParsedMail } from 'mailparser';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { createLogger } from '../../app/logger';
import { hashAccountToken, newAccountToken } from '../../app/mail/account-token';
import { OUTBOX_TIMING, OutboxSender, startOutboxSender } from '../../app/mail/outbox-sender';
import { createMailTransport } from '../../app/mail/transport';
import { loadConfig } from '../../config';
import type { Database } from '../../models';
import { createUser, login, TestUser } from '../factories/user.factory';
import { createTestContext, describeOnRedis, DIALECTS, TEST_ENV, TEST_REDIS_URL, TestContext } from '../helpers/app';
import { FakeClock, fakeClock } from '../helpers/clock';
import { startSmtpServer, TestSmtpServer } from '../helpers/smtp';

/**
 * Password reset by mail, end to end: the request, the mail a real SMTP server
 * receives (sent by an outbox sender running in the test), its link, and what the
 * link's token can and cannot do. Every refusal of a token is one answer.
 */
const PUBLIC_URL = 'https://auth.example.com';
const LINK = /https:\/\/auth\.example\.com\/#\/reset\?token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])/;
const MAIL_FROM = 'Auth <no-reply@auth.example.com>';
const INVALID_TOKEN = { error: 'invalid_request', code: 'invalid_token' };
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
let addresses = 0;

/** A user whose address has been verified (what the verification flow leaves behind). */
export async function verifiedUser(db: Database, fields: { email?: string; verified?: boolean } = {}): Promise<TestUser & { email: string }> {
  addresses += 1;
  const email = fields.email ?? `Reset.Person${addresses}_${Date.now().toString(36)}@Example.com`;
  const created = await createUser(db, { email });
  await created.user.update({ emailKey: email.toLowerCase(), emailVerifiedAt: fields.verified === false ? null : new Date() });
  return { ...created, email };
}

interface TokenRow {
  id: number;
  recipient: string;
  purpose: string | null;
  token_hash: string | null;
  user_id: string | null;
  expires_at: Date | string | null;
  used_at: Date | string | null;
  revoked_at: Date | string | null;
  text_body: string | null;
  html_body: string | null;
}
const outboxRows = (db: Database, recipient: string) =>
  db.sequelize.query<TokenRow>('SELECT * FROM mail_outbox WHERE lower(recipient) = :recipient ORDER BY id', {
    replacements: { recipient: recipient.toLowerCase() },
    type: QueryTypes.SELECT,
  });

describe.each(DIALECTS)('password reset by mail (%s)', (dialect) => {
  let ctx: TestContext;
  let clock: FakeClock;
  let smtp: TestSmtpServer;
  let sender: OutboxSender;
  let app: Express;

  beforeAll(async () => {
    smtp = await startSmtpServer();
    clock = fakeClock();
    ctx = await createTestContext({ dialect, clock, env: { PUBLIC_URL, MAIL_FROM } });
    app = ctx.app;
    const logger = createLogger('silent');
    // The sender reads the same clock, so a mail written "later" by the fake clock is due for it too.
    sender = startOutboxSender({
      db: ctx.db,
      transport: createMailTransport(loadConfig({ ...TEST_ENV, MAIL_FROM, SMTP_URL: smtp.url }).mail, logger),
      logger,
      clock,
      timing: { ...OUTBOX_TIMING, pollMs: 50 },
    });
    ctx.services.outbox.onQueued(() => sender.kick());
  });
  afterAll(async () => {
    await sender.stop();
    await ctx.close();
    await smtp.close();
  });

  const forgot = (email: unknown) => request(app).post('/auth/password/forgot').send({ email });
  const reset = (token: unknown, newPassword: unknown = 'a brand new passphrase') => request(app).post('/auth/password/reset').send({ token, new_password: newPassword });
  const mailTo = (email: string, subject: string, after = 0) =>
    smtp.nextMail((mail) => mail.to !== undefined && JSON.stringify(mail.to).toLowerCase().includes(email.toLowerCase()) && mail.subject === subject, { after });
  const tokenOf = (mail: ParsedMail) => LINK.exec(mail.text ?? '')![1];
  /** Asks for a link and reads its token from the mail the SMTP server received. */
  async function mailedToken(email: string): Promise<string> {
    const after = smtp.mails.length;
    expect((await forgot(email)).status).toBe(202);
    return tokenOf(await mailTo(email, 'Reset your password', after));
  }

  it('mails a verified address a link with the token in its fragment; the token is stored only as its hash', async () => {
    const { email, username, user } = await verifiedUser(ctx.db);
    const res = await forgot(email.toUpperCase());
    expect(res.status).toBe(202);
    expect(res.body).toEqual({});

    const mail = await mailTo(email, 'Reset your password');
    expect(mail.from?.text).toBe('"Auth" <no-reply@auth.example.com>');
    expect(JSON.stringify(mail.to).toLowerCase()).toContain(`"address":"${email.toLowerCase()}"`);
    const token = tokenOf(mail);
    const link = `${PUBLIC_URL}/#/reset?token=${token}&username=${username}`;
    expect(mail.text).toContain(`Hello ${username},`);
    expect(mail.text).toContain(link);
    expect(mail.text).toContain('30 minutes');
    const inHtml = link.replace('&', '&#38;');
    expect(mail.html).toContain(`<a href="${inHtml}">${inHtml}</a>`);
    expect(res.text).not.toContain(token);

    // Sent: the body (the only place the raw token was) is gone; the hash, purpose, user and expiry stay.
    let [row] = await outboxRows(ctx.db, email);
    for (const deadline = Date.now() + 5_000; row.text_body !== null && Date.now() < deadline; [row] = await outboxRows(ctx.db, email)) await new Promise(setImmediate);
    expect(row).toMatchObject({ purpose: 'password_reset', user_id: user.id, token_hash: hashAccountToken(token), text_body: null, html_body: null, used_at: null, revoked_at: null });
    expect(new Date(row.expires_at!).getTime()).toBe(clock.now().getTime() + 30 * 60_000);
    expect(JSON.stringify(await ctx.db.sequelize.query('SELECT * FROM mail_outbox', { type: QueryTypes.SELECT }))).not.toContain(token);
  });

  it('sets the new password, ends every session, mails a notice, and issues no token', async () => {
    const { email, username, password, user } = await verifiedUser(ctx.db);
    const before = await login(app, username, password);
    const token = await mailedToken(email);
    const after = smtp.mails.length;

    const res = await reset(token, 'a brand new passphrase');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({});

    expect((await request(app).post('/token').send({ username, password })).status).toBe(401);
    expect((await request(app).post('/token').send({ username, password: 'a brand new passphrase' })).status).toBe(200);
    const refreshed = await request(app).post('/token/refresh').send({ refresh_token: before.refresh_token });
    expect({ status: refreshed.status, code: refreshed.body.code }).toEqual({ status: 401, code: 'token_revoked' });
    const guarded = await request(app).get('/users/me').set(bearer(before.access_token));
    expect({ status: guarded.status, code: guarded.body.code }).toEqual({ status: 401, code: 'token_revoked' });
    const stored = await ctx.db.User.findByPk(user.id, { rejectOnEmpty: true });
    expect(stored.passwordHash).toMatch(/^\$argon2id\$/);

    const notice = await mailTo(email, 'Your password was changed', after);
    expect(notice.text).toContain(`Hello ${username},`);
    expect(notice.text).not.toMatch(/token=|https?:\/\//);
  });

  it('refuses a token a second time, with the one answer for every unusable token', async () => {
    const { email } = await verifiedUser(ctx.db);
    const token = await mailedToken(email);
    expect((await reset(token)).status).toBe(200);
    const again = await reset(token, 'yet another passphrase');
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject(INVALID_TOKEN);
    const unknown = await reset(newAccountToken().token, 'yet another passphrase');
    const garbage = await reset('not even base64url!', 'yet another passphrase');
    expect(unknown.text).toBe(again.text);
    expect(garbage.text).toBe(again.text);
  });

  it('refuses a token once RESET_TOKEN_TTL has passed, and accepts one just before', async () => {
    const { email } = await verifiedUser(ctx.db);
    const early = await mailedToken(email);
    clock.advance('29m');
    const notYet = await mailedToken(email); // this one revokes `early`: it is tried after
    clock.advance('29m');
    expect((await reset(notYet)).status).toBe(200);

    const { email: other } = await verifiedUser(ctx.db);
    const late = await mailedToken(other);
    clock.advance(30 * 60_000 + 1000);
    const expired = await reset(late);
    expect(expired.status).toBe(400);
    expect(expired.body).toMatchObject(INVALID_TOKEN);
    expect((await reset(early)).body).toMatchObject(INVALID_TOKEN);
  });

  it('invalidates the older link when a newer one is asked for', async () => {
    const { email, user } = await verifiedUser(ctx.db);
    const older = await mailedToken(email);
    const newer = await mailedToken(email);
    const refused = await reset(older);
    expect(refused.status).toBe(400);
    expect(refused.body).toMatchObject(INVALID_TOKEN);
    expect((await reset(newer)).status).toBe(200);
    const rows = (await outboxRows(ctx.db, email)).filter((row) => row.purpose === 'password_reset' && row.user_id === user.id);
    expect(rows.map((row) => [row.used_at !== null, row.revoked_at !== null])).toEqual([
      [false, true],
      [true, false],
    ]);
  });

  it('leaves exactly one live link, the newest, after several requests at once', async () => {
    for (let round = 0; round < 10; round += 1) {
      const { email, user } = await verifiedUser(ctx.db);
      // Three: MAIL_RATE_LIMIT's default for one address in an hour.
      const answers = await Promise.all(Array.from({ length: 3 }, () => forgot(email)));
      expect(answers.map((res) => res.status)).toEqual([202, 202, 202]);
      const rows = (await outboxRows(ctx.db, email)).filter((row) => row.user_id === user.id);
      expect(rows).toHaveLength(3);
      const live = rows.filter((row) => row.used_at === null && row.revoked_at === null);
      expect(live.map((row) => row.id)).toEqual([Math.max(...rows.map((row) => row.id))]);
    }
  });

  it('refuses an email-verification token, and leaves it unused', async () => {
    const { email, user } = await verifiedUser(ctx.db);
    const verification = newAccountToken();
    await ctx.services.outbox.queue({
      recipient: email,
      subject: 'Confirm your address',
      text: 'verify',
      html: '<p>verify</p>',
      token: { hash: verification.hash, purpose: 'email_verification', userId: user.id, email, expiresAt: new Date(clock.now().getTime() + 86_400_000) },
    });
    const wrongPurpose = await reset(verification.token);
    expect(wrongPurpose.status).toBe(400);
    expect(wrongPurpose.body).toMatchObject(INVALID_TOKEN);
    // Not used up by the attempt: it still verifies (its row is untouched).
    const [row] = await ctx.db.sequelize.query<TokenRow>('SELECT * FROM mail_outbox WHERE token_hash = :hash', { replacements: { hash: verification.hash }, type: QueryTypes.SELECT });
    expect(row.used_at).toBeNull();
  });

  it('revokes live reset links on a normal password change', async () => {
    const { email, username, password } = await verifiedUser(ctx.db);
    const token = await mailedToken(email);
    const session = await login(app, username, password);
    const changed = await request(app).put('/users/me/password').set(bearer(session.access_token)).send({ current_password: password, new_password: 'changed the usual way' });
    expect(changed.status).toBe(200);
    expect((await reset(token)).body).toMatchObject(INVALID_TOKEN);
    expect((await request(app).post('/token').send({ username, password: 'changed the usual way' })).status).toBe(200);
  });

  it('holds the new password to the registration policy, with per-field messages, and keeps the token', async () => {
    const { email, username } = await verifiedUser(ctx.db);
    const token = await mailedToken(email);
    const cases: Array<[unknown, string]> = [
      ['short', 'new_password must be 8 to 256 characters long'],
      ['password123', 'new_password is too common: it appears in lists of breached passwords; choose another'],
      [`my-${username.toUpperCase()}-pass`, 'new_password must not contain the username'],
      [12345678, 'new_password must be a string'],
    ];
    for (const [newPassword, message] of cases) {
      const res = await reset(token, newPassword);
      expect({ newPassword, status: res.status }).toEqual({ newPassword, status: 400 });
      expect(res.body).toMatchObject({ error: 'invalid_request', code: 'validation_failed', errors: [{ field: 'new_password', message }] });
    }
    const noToken = await request(app).post('/auth/password/reset').send({ new_password: 'a brand new passphrase' });
    expect(noToken.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'token', message: 'token is required' }] });
    const noPassword = await request(app).post('/auth/password/reset').send({ token });
    expect(noPassword.body).toMatchObject({ code: 'validation_failed', errors: [{ field: 'new_password', message: 'new_password is required' }] });
    expect((await reset(token)).status).toBe(200);
  });

  it('answers 202 and sends nothing for an unverified address or none', async () => {
    const { email } = await verifiedUser(ctx.db, { verified: false });
    const nobody = `nobody-${Date.now()}@example.com`;
    for (const address of [email, nobody]) {
      const res = await forgot(address);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({});
      // The mail, had there been one, is written before the answer.
      expect(await outboxRows(ctx.db, address)).toEqual([]);
    }
  });

  it('answers 400 with a field message for a missing or malformed address', async () => {
    for (const [email, message] of [
      [undefined, 'email is required'],
      ['not-an-address', 'email must be a valid address'],
      [['a@example.com'], 'email must be a string'],
    ] as const) {
      const res = await forgot(email);
      expect(res.status).toBe(400);
      expect(res.body).toMatchObject({ error: 'invalid_request', code: 'validation_failed', errors: [{ field: 'email', message }] });
    }
  });

  it('lets exactly one of two simultaneous resets with one token through, every time', async () => {
    const { user, email, username } = await verifiedUser(ctx.db);
    // Each query naming this round's token waits until the other request sends its own: both look the
    // token up and find it live, then both try to use it at the same moment.
    let hash = '';
    let waiting: (() => void) | null = null;
    const pairUp = (_options: { replacements?: { hash?: string } }) => {
      if (_options.replacements?.hash !== hash) return undefined;
      if (waiting) {
        waiting();
        waiting = null;
        return undefined;
      }
      return new Promise<void>((resolve) => {
        waiting = resolve;
      });
    };
    ctx.db.sequelize.addHook('beforeQuery', 'pair-up-resets', pairUp as never);
    try {
      for (let round = 0; round < 15; round += 1) {
        const { token, hash: roundHash } = newAccountToken();
        await ctx.services.outbox.queue({
          recipient: email,
          subject: 'Reset your password',
          text: 'race',
          html: '<p>race</p>',
          token: { hash: roundHash, purpose: 'password_reset', userId: user.id, email, expiresAt: new Date(clock.now().getTime() + 60_000) },
        });
        hash = roundHash;
        const passwords = [`first racer ${round} phrase`, `second racer ${round} phrase`];
        const answers = await Promise.all(passwords.map((newPassword) => reset(token, newPassword)));
        hash = '';
        expect(answers.map((res) => res.status).sort()).toEqual([200, 400]);
        const loser = answers.find((res) => res.status === 400)!;
        expect(loser.body).toMatchObject(INVALID_TOKEN);
        const winner = passwords[answers.findIndex((res) => res.status === 200)];
        const loserPassword = passwords.find((p) => p !== winner)!;
        expect((await request(app).post('/token').send({ username, password: winner })).status).toBe(200);
        expect((await request(app).post('/token').send({ username, password: loserPassword })).status).toBe(401);
      }
    } finally {
      ctx.db.sequelize.removeHook('beforeQuery', 'pair-up-resets');
    }
  });

  it('counts forgot requests per address: past MAIL_RATE_LIMIT, still 202 {} with the same headers, and nothing sent', async () => {
    const limited = ctx.appWith({ clock, env: { PUBLIC_URL, MAIL_RATE_LIMIT: '2', AUTH_RATE_LIMIT: '1000' } });
    const { email } = await verifiedUser(ctx.db);
    const answers = [];
    for (const address of [email, email.toUpperCase(), email.toLowerCase()]) answers.push(await request(limited).post('/auth/password/forgot').send({ email: address }));
    const volatile = new Set(['date', 'x-request-id', 'ratelimit', 'ratelimit-remaining', 'ratelimit-reset']);
    const stable = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).filter(([name]) => !volatile.has(name)));
    for (const res of answers) {
      expect(res.status).toBe(202);
      expect(res.text).toBe('{}');
      expect(stable(res.headers)).toEqual(stable(answers[0].headers));
    }
    expect(await outboxRows(ctx.db, email)).toHaveLength(2);
  });

  it('throttles both routes per client address with 429', async () => {
    const limited = ctx.appWith({ clock, env: { PUBLIC_URL, AUTH_RATE_LIMIT: '2' } });
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await request(limited).post('/auth/password/forgot').send({ email: 'someone@example.com' })).status);
    expect(statuses).toEqual([202, 202, 429]);
  });

  it('has no routes with MAIL_DISABLED=true', async () => {
    const off = ctx.appWith({ env: { MAIL_DISABLED: 'true' } });
    const { email } = await verifiedUser(ctx.db);
    for (const [path, body] of [
      ['/auth/password/forgot', { email }],
      ['/auth/password/reset', { token: 'x', new_password: 'a brand new passphrase' }],
    ] as const) {
      const res = await request(off).post(path).send(body);
      expect(res.status).toBe(404);
      expect(res.body.code).toBe('route_not_found');
    }
    expect(await outboxRows(ctx.db, email)).toEqual([]);
    const { paths } = (await request(off).get('/openapi.json')).body as { paths: Record<string, unknown> };
    expect(Object.keys(paths).filter((path) => path.startsWith('/auth/password'))).toEqual([]);
  });

  it('ends a session begun after the link was mailed too', async () => {
    const { email, username, password } = await verifiedUser(ctx.db);
    const token = await mailedToken(email);
    const later = await login(app, username, password);
    expect((await reset(token)).status).toBe(200);
    expect((await request(app).get('/users/me').set(bearer(later.access_token))).status).toBe(401);
  });
});

describeOnRedis('the per-address forgot limit across instances (Redis)', () => {
  it('counts one address once across instances sharing REDIS_URL', async () => {
    const ctx = await createTestContext({ env: { REDIS_URL: TEST_REDIS_URL, MAIL_RATE_LIMIT: '2' } });
    try {
      const other = ctx.appWith({ env: { MAIL_RATE_LIMIT: '2' }, redis: await ctx.connectRedis() });
      const { email } = await verifiedUser(ctx.db);
      for (const app of [ctx.app, other, ctx.app]) {
        const res = await request(app).post('/auth/password/forgot').send({ email });
        expect({ status: res.status, text: res.text }).toEqual({ status: 202, text: '{}' });
      }
      expect(await outboxRows(ctx.db, email)).toHaveLength(2);
    } finally {
      await ctx.close();
    }
  });
});
