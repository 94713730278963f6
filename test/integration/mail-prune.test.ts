import { QueryTypes } from 'sequelize';
import { MAIL_RETENTION_SECONDS, pruneDoneMail } from '../../app/services/mail-prune.service';
import { giveUpMail, insertMail, markMailSent } from '../../models/mail-outbox.queries';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { fakeClock, FakeClock } from '../helpers/clock';
import { createUser } from '../factories/user.factory';

/**
 * The prune keeps the outbox from growing for ever: sent or given-up mail older than
 * the retention goes once its link cannot be used; everything else stays.
 */
describe.each(DIALECTS)('pruning the mail outbox (%s)', (dialect) => {
  let ctx: TestContext;
  let clock: FakeClock;
  beforeEach(async () => {
    clock = fakeClock(new Date('2030-01-01T00:00:00Z'));
    ctx = await createTestContext({ dialect, clock });
  });
  afterEach(() => ctx.close());

  const subjects = async () =>
    (await ctx.db.sequelize.query<{ subject: string }>('SELECT subject FROM mail_outbox ORDER BY id', { type: QueryTypes.SELECT })).map((row) => row.subject);

  it('deletes old sent and given-up mail whose link is done, and keeps pending mail and live links', async () => {
    const { user } = await createUser(ctx.db);
    const now = clock.now();
    const mail = (subject: string, token?: { expiresAt: Date }) =>
      insertMail(ctx.db, {
        recipient: 'a@example.com',
        subject,
        text: 't',
        html: 'h',
        createdAt: now,
        token: token && { hash: subject.padEnd(64, '0'), purpose: 'email_verification', userId: user.id, email: 'a@example.com', expiresAt: token.expiresAt },
      });
    const later = new Date(now.getTime() + 30 * 86400_000);
    const notice = await mail('sent notice');
    const failed = await mail('failed notice');
    const expired = await mail('sent expired link', { expiresAt: new Date(now.getTime() + 3600_000) });
    const live = await mail('sent live link', { expiresAt: later });
    await mail('pending notice');
    await markMailSent(ctx.db, notice, now);
    await giveUpMail(ctx.db, failed, 'refused');
    await markMailSent(ctx.db, expired, now);
    await markMailSent(ctx.db, live, now);

    clock.advance(MAIL_RETENTION_SECONDS * 1000 - 1000);
    expect(await pruneDoneMail(ctx.db, clock)).toBe(0);
    clock.advance(2000);
    expect(await pruneDoneMail(ctx.db, clock, { batchSize: 1 })).toBe(3);
    expect(await subjects()).toEqual(['sent live link', 'pending notice']);
  });
});
