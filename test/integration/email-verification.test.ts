import type { Express } from 'express';
import type { ParsedMail } from 'mailparser';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import { createLogger } from '../../app/logger';
import { hashAccountToken, newAccountToken } from '../../app/mail/account-token';
import { OUTBOX_TIMING, OutboxSender, startOutboxSender } from '../../app/mail/outbox-sender';
import { createMailTransport } from '../../app/mail/transport';
import { loadConfig } from '../../config';
import { createTestContext, DIALECTS, TEST_ENV, TestContext } from '../helpers/app';
import { fakeClock, FakeClock } from '../helpers/clock';
import { startSmtpServer, TestSmtpServer } from '../helpers/smtp';

const PUBLIC_URL = 'https://auth.example.com';
const PASSWORD = 'violet kettle harbour';
const LINK = new RegExp(`${PUBLIC_URL.replace(/[.]/g, '\\.')}/#/verify\\?token=([A-Za-z0-9_-]{43})(?![A-Za-z0-9_-])`);
const INVALID_TOKEN = { error: 'invalid_request', error_description: expect.any(String), code: 'invalid_token' };

interface OutboxRow {
  id: number;
  recipient: string;
  state: string;
  text_body: string | null;
  html_body: string | null;
  token_hash: string | null;
  purpose: string | null;
  email: string | null;
}

// Lower-cased: nodemailer writes an address's domain in lower case (the local part as given).
const recipients = (mail: ParsedMail): string => [mail.to ?? []].flat().map((to) => to.text.toLowerCase()).join(', ');
const tokenIn = (mail: ParsedMail): string => LINK.exec(mail.text ?? '')![1];

/**
 * Verified email against a real SMTP server: registration mails a link
 * (PUBLIC_URL/#/verify?token=…) that verifies the address once, within
 * EMAIL_VERIFY_TTL, and only while the address is still the account's; one
 * refusal for every bad token; addresses unique case-insensitively, also between
 * requests at once; a change of address mails the new address a link and the old
 * one a notice; resends are limited per user; MAIL_DISABLED takes the mail routes away.
 */
describe.each(DIALECTS)('verified email (%s)', (dialect) => {
  let ctx: TestContext;
  let smtp: TestSmtpServer;
  let sender: OutboxSender;
  let clock: FakeClock;
  const logger = createLogger('silent');

  beforeEach(async () => {
    smtp = await startSmtpServer();
    clock = fakeClock();
    ctx = await createTestContext({ dialect, clock, env: { PUBLIC_URL } });
    const transport = createMailTransport(loadConfig({ ...TEST_ENV, SMTP_URL: smtp.url }).mail, logger);
    // The outbox's clock is the app's: a mail is due at once, and the sender sees it due.
    sender = startOutboxSender({ db: ctx.db, transport, logger, clock, timing: { ...OUTBOX_TIMING, pollMs: 50 } });
    ctx.services.outbox.onQueued(() => sender.kick());
  });
  afterEach(async () => {
    await sender.stop();
    await ctx.close();
    await smtp.close();
  });

  const register = (username: string, email?: string, app: Express = ctx.app) => request(app).post('/auth/register').send({ username, password: PASSWORD, ...(email ? { email } : {}) });
  const login = async (username: string, app: Express = ctx.app): Promise<string> => {
    const res = await request(app).post('/token').send({ username, password: PASSWORD });
    expect(res.status).toBe(200);
    return res.body.access_token as string;
  };
  const verify = (token: unknown, app: Express = ctx.app) => request(app).post('/auth/email/verify').send({ token });
  const resend = (access: string, app: Express = ctx.app) => request(app).post('/auth/email/resend').set('Authorization', `Bearer ${access}`);
  const changeEmail = (access: string, body: object, app: Express = ctx.app) => request(app).put('/users/me/email').set('Authorization', `Bearer ${access}`).send(body);
  const profile = async (access: string) => (await request(ctx.app).get('/users/me').set('Authorization', `Bearer ${access}`)).body;
  const mailTo = (address: string, subject: string) => smtp.nextMail((mail) => recipients(mail).includes(address.toLowerCase()) && mail.subject === subject);
  const verificationTo = async (address: string, after = 0) =>
    tokenIn(await smtp.nextMail((mail) => recipients(mail).includes(address.toLowerCase()) && mail.subject === 'Confirm your email address', { after }));
  const rows = () => ctx.db.sequelize.query<OutboxRow>('SELECT * FROM mail_outbox ORDER BY id', { type: QueryTypes.SELECT });
  const userId = async (username: string) => (await ctx.db.User.findOne({ where: { username } }))!.id;
  /** A token written straight into the outbox (as a mail no one sends): what the service would have written, of any purpose and address. */
  const plantToken = async (username: string, purpose: string, email: string): Promise<string> => {
    const { token, hash } = newAccountToken();
    await ctx.services.outbox.queue({
      recipient: email,
      subject: 'planted',
      text: 'x',
      html: 'x',
      token: { hash, purpose, userId: await userId(username), email, expiresAt: new Date(clock.now().getTime() + 3_600_000) },
    });
    return token;
  };
  const untilAllSent = async () => {
    const deadline = Date.now() + 10_000;
    while (!(await rows()).every((row) => row.state === 'sent')) {
      if (Date.now() > deadline) throw new Error('mail still unsent after 10 s');
      await new Promise((resolve) => setImmediate(resolve));
    }
  };

  describe('POST /auth/register with an email, then POST /auth/email/verify', () => {
    it('stores the address as given, mails it a link, and the link verifies it once', async () => {
      const res = await register('alice', 'Alice@Example.com');
      expect(res.status).toBe(201);
      expect(res.body).toEqual(expect.objectContaining({ username: 'alice', email: 'Alice@Example.com', email_verified: false }));
      // Written before the 201: the mail row is there, with its token's hash.
      const [written] = await rows();
      expect(written).toEqual(expect.objectContaining({ recipient: 'Alice@Example.com', purpose: 'email_verification', email: 'Alice@Example.com' }));
      const user = await ctx.db.User.findOne({ where: { username: 'alice' } });
      expect({ email: user!.email, emailKey: user!.emailKey, verified: user!.emailVerifiedAt }).toEqual({ email: 'Alice@Example.com', emailKey: 'alice@example.com', verified: null });

      const mail = await mailTo('Alice@Example.com', 'Confirm your email address');
      const token = tokenIn(mail);
      expect(mail.text).toContain(`${PUBLIC_URL}/#/verify?token=${token}`);
      expect(mail.html).toContain(`<a href="${PUBLIC_URL}/#/verify?token=${token}">`);
      expect(mail.text).toContain('24 hours');

      // The database holds the hash only, and once sent no body at all.
      await untilAllSent();
      const [sent] = await rows();
      expect(sent).toEqual(expect.objectContaining({ state: 'sent', text_body: null, html_body: null, token_hash: hashAccountToken(token) }));
      expect(JSON.stringify(await rows())).not.toContain(token);

      const verified = await verify(token);
      expect(verified.status).toBe(200);
      expect(verified.body).toEqual({ email_verified: true });
      const access = await login('alice');
      expect(await profile(access)).toEqual(expect.objectContaining({ email: 'Alice@Example.com', email_verified: true }));

      const again = await verify(token);
      expect(again.status).toBe(400);
      expect(again.body).toEqual(INVALID_TOKEN);
    });

    it('refuses unknown, expired and password-reset tokens with one answer, and verifies until the last second', async () => {
      expect((await register('early', 'early@example.com')).status).toBe(201);
      expect((await register('late', 'late@example.com')).status).toBe(201);
      const early = await verificationTo('early@example.com');
      const late = await verificationTo('late@example.com');
      const reset = await plantToken('early', 'password_reset', 'early@example.com');

      const answers = [await verify(newAccountToken().token), await verify('not-a-token'), await verify(reset)];
      clock.advance(86_400_000 - 1_000);
      expect((await verify(early)).status).toBe(200);
      clock.advance(1_000);
      answers.push(await verify(late));
      for (const answer of answers) {
        expect(answer.status).toBe(400);
        expect(answer.body).toEqual(INVALID_TOKEN);
      }
      expect(new Set(answers.map((answer) => JSON.stringify(answer.body))).size).toBe(1);
      const users = await ctx.db.User.findAll({ order: [['username', 'ASC']] });
      expect(users.map((user) => [user.username, user.emailVerifiedAt !== null])).toEqual([
        ['early', true],
        ['late', false],
      ]);
    });

    it('answers 400 with field messages when the token is missing or not a string', async () => {
      for (const body of [{}, { token: 42 }, { token: ['a'] }, { token: '' }]) {
        const res = await request(ctx.app).post('/auth/email/verify').send(body);
        expect(res.status).toBe(400);
        expect(res.body).toEqual(expect.objectContaining({ error: 'invalid_request', code: 'validation_failed', errors: [{ field: 'token', message: expect.any(String) }] }));
      }
    });

    it('lets exactly one of two simultaneous uses of a token verify', async () => {
      expect((await register('racer', 'racer@example.com')).status).toBe(201);
      for (let round = 0; round < 10; round += 1) {
        const token = await plantToken('racer', 'email_verification', 'racer@example.com');
        const statuses = (await Promise.all([verify(token), verify(token)])).map((res) => res.status).sort();
        expect(statuses).toEqual([200, 400]);
      }
    });
  });

  describe('unique addresses', () => {
    it('refuses an address another account has, whatever its capitals, with 409 email_taken', async () => {
      expect((await register('carol', 'Carol@Example.com')).status).toBe(201);
      const taken = await register('carol2', 'carol@EXAMPLE.com');
      expect(taken.status).toBe(409);
      expect(taken.body).toEqual({ error: 'conflict', error_description: expect.any(String), code: 'email_taken' });
      expect(await ctx.db.User.count()).toBe(1);
    });

    it('lets exactly one of two registrations of one address at once succeed', async () => {
      for (let round = 0; round < 10; round += 1) {
        const [a, b] = await Promise.all([register(`first${round}`, `Race${round}@Example.com`), register(`second${round}`, `race${round}@example.COM`)]);
        expect([a.status, b.status].sort()).toEqual([201, 409]);
        expect([a, b].find((res) => res.status === 409)!.body.code).toBe('email_taken');
        expect(await ctx.db.User.count({ where: { emailKey: `race${round}@example.com` } })).toBe(1);
      }
    });
  });

  describe('PUT /users/me/email', () => {
    it('makes the new address unverified, mails it a link and the old one a notice, and kills the old links', async () => {
      expect((await register('dave', 'dave@old.example')).status).toBe(201);
      expect((await verify(await verificationTo('dave@old.example'))).status).toBe(200);
      const access = await login('dave');
      const pending = await plantToken('dave', 'email_verification', 'dave@old.example');
      const before = smtp.mails.length;

      const res = await changeEmail(access, { email: 'Dave@New.example', current_password: PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ username: 'dave', email: 'Dave@New.example', email_verified: false }));
      expect(await profile(access)).toEqual(expect.objectContaining({ email: 'Dave@New.example', email_verified: false }));

      const token = await verificationTo('Dave@New.example', before);
      const notice = await mailTo('dave@old.example', 'Your email address was changed');
      expect(notice.text).toContain('D***@New.example');
      expect(notice.text).not.toContain('Dave@New.example');
      for (const body of [notice.text ?? '', notice.html || '']) expect(body).not.toMatch(/token|https?:/);

      // A link to the old address: revoked by the change (the pending one), or for an address no longer the account's (one written since).
      expect((await verify(pending)).body).toEqual(INVALID_TOKEN);
      expect((await verify(await plantToken('dave', 'email_verification', 'dave@old.example'))).body).toEqual(INVALID_TOKEN);
      expect((await verify(token)).status).toBe(200);
      expect(await profile(access)).toEqual(expect.objectContaining({ email: 'Dave@New.example', email_verified: true }));
    });

    it('keeps a new spelling of the same address verified and mails nothing', async () => {
      expect((await register('frank', 'frank@example.com')).status).toBe(201);
      expect((await verify(await verificationTo('frank@example.com'))).status).toBe(200);
      const written = (await rows()).length;
      const res = await changeEmail(await login('frank'), { email: 'Frank@Example.com', current_password: PASSWORD });
      expect(res.status).toBe(200);
      expect(res.body).toEqual(expect.objectContaining({ email: 'Frank@Example.com', email_verified: true }));
      expect(await rows()).toHaveLength(written);
    });

    it('mails only the new address when the account had none', async () => {
      expect((await register('nomail')).status).toBe(201);
      expect(await rows()).toHaveLength(0);
      const res = await changeEmail(await login('nomail'), { email: 'nomail@example.com', current_password: PASSWORD });
      expect(res.status).toBe(200);
      expect((await verify(await verificationTo('nomail@example.com'))).status).toBe(200);
      expect((await rows()).map((row) => row.recipient)).toEqual(['nomail@example.com']);
    });

    it('refuses a taken address (409), bad input (400), no token (401), and a wrong password (403, counted with failed logins)', async () => {
      const app = ctx.appWith({ env: { PUBLIC_URL, LOGIN_FAILURE_LIMIT: '2' } });
      expect((await register('erin', 'erin@example.com', app)).status).toBe(201);
      expect((await register('eve', 'eve@example.com', app)).status).toBe(201);
      const access = await login('eve', app);

      const taken = await changeEmail(access, { email: 'ERIN@example.com', current_password: PASSWORD }, app);
      expect(taken.status).toBe(409);
      expect(taken.body.code).toBe('email_taken');
      const bad = await changeEmail(access, { email: 'not an address', current_password: PASSWORD }, app);
      expect(bad.status).toBe(400);
      expect(bad.body.errors).toEqual([{ field: 'email', message: 'email must be a valid address' }]);
      expect((await request(app).put('/users/me/email').send({ email: 'x@example.com', current_password: PASSWORD })).status).toBe(401);

      for (let i = 0; i < 2; i += 1) {
        const wrong = await changeEmail(access, { email: 'eve2@example.com', current_password: 'not the password' }, app);
        expect(wrong.status).toBe(403);
        expect(wrong.body.code).toBe('password_incorrect');
      }
      expect((await changeEmail(access, { email: 'eve2@example.com', current_password: PASSWORD }, app)).status).toBe(429);
      expect((await request(app).post('/token').send({ username: 'eve', password: PASSWORD })).status).toBe(429);
      expect((await ctx.db.User.findOne({ where: { username: 'eve' } }))!.email).toBe('eve@example.com');
    });
  });

  describe('POST /auth/email/resend', () => {
    it('answers 202 and mails a new link that replaces the old one; 409 once verified or without an address', async () => {
      expect((await register('gina', 'gina@example.com')).status).toBe(201);
      const first = await verificationTo('gina@example.com');
      const access = await login('gina');
      const before = smtp.mails.length;
      const res = await resend(access);
      expect(res.status).toBe(202);
      expect(res.body).toEqual({});
      const second = await verificationTo('gina@example.com', before);
      expect(second).not.toBe(first);

      expect((await verify(first)).body).toEqual(INVALID_TOKEN);
      expect((await verify(second)).status).toBe(200);
      const verified = await resend(access);
      expect(verified.status).toBe(409);
      expect(verified.body).toEqual({ error: 'conflict', error_description: expect.any(String), code: 'email_already_verified' });

      expect((await register('hank')).status).toBe(201);
      const none = await resend(await login('hank'));
      expect(none.status).toBe(409);
      expect(none.body.code).toBe('no_email');
      expect((await request(ctx.app).post('/auth/email/resend')).status).toBe(401);
    });

    it('answers 429 past MAIL_RATE_LIMIT an hour per user, also for requests at once', async () => {
      const app = ctx.appWith({ env: { PUBLIC_URL, MAIL_RATE_LIMIT: '2' } });
      for (const name of ['ivan', 'judy', 'kim']) expect((await register(name, `${name}@example.com`, app)).status).toBe(201);
      const ivan = await login('ivan', app);
      expect((await resend(ivan, app)).status).toBe(202);
      expect((await resend(ivan, app)).status).toBe(202);
      const over = await resend(ivan, app);
      expect(over.status).toBe(429);
      expect(over.body.code).toBe('too_many_requests');
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(3_000);
      // Another user's budget is their own.
      expect((await resend(await login('judy', app), app)).status).toBe(202);

      const kim = await login('kim', app);
      const statuses = (await Promise.all(Array.from({ length: 6 }, () => resend(kim, app)))).map((res) => res.status).sort();
      expect(statuses).toEqual([202, 202, 429, 429, 429, 429]);
      const kimsLive = await ctx.db.sequelize.query<{ n: number }>(
        "SELECT count(*) AS n FROM mail_outbox WHERE email = 'kim@example.com' AND used_at IS NULL AND revoked_at IS NULL",
        { type: QueryTypes.SELECT },
      );
      expect(Number(kimsLive[0].n)).toBe(1);
    });
  });

  describe('MAIL_DISABLED=true', () => {
    it('takes the verify and resend routes away, and keeps addresses without writing mail', async () => {
      const app = ctx.appWith({ env: { PUBLIC_URL, MAIL_DISABLED: 'true' } });
      const res = await register('liam', 'Liam@example.com', app);
      expect(res.status).toBe(201);
      expect(res.body).toEqual(expect.objectContaining({ email: 'Liam@example.com', email_verified: false }));
      const access = await login('liam', app);
      expect((await verify(newAccountToken().token, app)).status).toBe(404);
      expect((await resend(access, app)).status).toBe(404);
      const changed = await changeEmail(access, { email: 'liam@elsewhere.example', current_password: PASSWORD }, app);
      expect(changed.status).toBe(200);
      expect(changed.body.email).toBe('liam@elsewhere.example');
      expect(await rows()).toEqual([]);
    });
  });
});
