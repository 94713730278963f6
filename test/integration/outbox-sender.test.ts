import { QueryTypes } from 'sequelize';
import { createLogger } from '../../app/logger';
import { startOutboxSender, OUTBOX_TIMING, retryDelayMs } from '../../app/mail/outbox-sender';
import { createOutbox } from '../../app/mail/outbox';
import { createMailTransport } from '../../app/mail/transport';
import { systemClock } from '../../app/clock';
import { loadConfig } from '../../config';
import { createTestContext, DIALECTS, TEST_ENV, TestContext } from '../helpers/app';
import { startSmtpServer, TestSmtpServer } from '../helpers/smtp';

const mailRows = (ctx: TestContext) =>
  ctx.db.sequelize.query<{ id: number; state: string; text_body: string | null; html_body: string | null; attempts: number }>(
    'SELECT id, state, text_body, html_body, attempts FROM mail_outbox ORDER BY id',
    { type: QueryTypes.SELECT },
  );

/**
 * The outbox sender against a real SMTP server: what is written is sent once,
 * bodies cleared after; an SMTP server that is down loses nothing and, once back,
 * gets each mail exactly once; several senders never send one mail twice.
 */
describe.each(DIALECTS)('the mail outbox sender (%s)', (dialect) => {
  let ctx: TestContext;
  let smtp: TestSmtpServer;
  const logger = createLogger('silent');
  const fast = { ...OUTBOX_TIMING, pollMs: 50, firstRetryMs: 200, maxRetryMs: 400 };

  beforeEach(async () => {
    smtp = await startSmtpServer();
    ctx = await createTestContext({ dialect });
  });
  afterEach(async () => {
    await ctx.close();
    await smtp.close();
  });

  const transport = () => createMailTransport(loadConfig({ ...TEST_ENV, SMTP_URL: smtp.url }).mail, logger);
  const queue = (n: number, outbox = createOutbox(ctx.db, systemClock)) =>
    Promise.all(Array.from({ length: n }, (_, i) => outbox.queue({ recipient: `user${i}@example.com`, subject: `Mail ${i}`, text: `secret-link-${i}`, html: `<p>secret-link-${i}</p>` })));

  it('sends a queued mail with its text and HTML, then keeps no body', async () => {
    const outbox = createOutbox(ctx.db, systemClock);
    const sender = startOutboxSender({ db: ctx.db, transport: transport(), logger, timing: fast });
    outbox.onQueued(() => sender.kick());
    await queue(1, outbox);
    const mail = await smtp.nextMail();
    expect(mail.subject).toBe('Mail 0');
    expect(mail.text?.trim()).toBe('secret-link-0');
    expect(mail.html).toContain('<p>secret-link-0</p>');
    expect(mail.messageId).toMatch(/^<outbox-\d+@127\.0\.0\.1>$/);
    await sender.stop();
    expect(await mailRows(ctx)).toEqual([expect.objectContaining({ state: 'sent', text_body: null, html_body: null, attempts: 1 })]);
  });

  it('keeps mail while the SMTP server is down and sends each exactly once when it is back', async () => {
    await smtp.stop();
    const sender = startOutboxSender({ db: ctx.db, transport: transport(), logger, timing: fast });
    await queue(3);
    // Observable: every mail has failed at least once (the sender has tried while SMTP was down).
    for (let rows = await mailRows(ctx); !rows.every((row) => row.attempts >= 1); rows = await mailRows(ctx)) await new Promise((resolve) => setImmediate(resolve));
    expect((await mailRows(ctx)).every((row) => row.state === 'pending' && row.text_body !== null)).toBe(true);
    await smtp.start();
    for (const subject of ['Mail 0', 'Mail 1', 'Mail 2']) await smtp.nextMail((mail) => mail.subject === subject);
    await sender.stop();
    expect(smtp.mails.map((mail) => mail.subject).sort()).toEqual(['Mail 0', 'Mail 1', 'Mail 2']);
    expect((await mailRows(ctx)).map((row) => row.state)).toEqual(['sent', 'sent', 'sent']);
  });

  it('never sends one mail twice with several senders at once', async () => {
    const senders = Array.from({ length: 4 }, () => startOutboxSender({ db: ctx.db, transport: transport(), logger, timing: fast }));
    await queue(20);
    await smtp.nextMail(() => smtp.mails.length >= 20, { timeoutMs: 30_000 });
    await Promise.all(senders.map((sender) => sender.stop()));
    const subjects = smtp.mails.map((mail) => mail.subject);
    expect(subjects).toHaveLength(20);
    expect(new Set(subjects).size).toBe(20);
  });
});

describe('retry delays', () => {
  it('retry within 5 s, doubling, at most 5 minutes apart', () => {
    expect([1, 2, 3, 4, 7, 8, 20].map((attempts) => retryDelayMs(attempts))).toEqual([5_000, 10_000, 20_000, 40_000, 300_000, 300_000, 300_000]);
  });
});
