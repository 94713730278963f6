import type { Express } from 'express';
import { QueryTypes } from 'sequelize';
import request from 'supertest';
import type { Database } from '../../models';
import { createUser } from '../factories/user.factory';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { median, timed } from './support/timing';

/**
 * "Forgot password?" tells nobody whether an address belongs to an account: a
 * verified address (which gets a mail), an unverified one and an unknown one are
 * answered with the same status, body and headers, in comparable time, and so is
 * a request past the per-address limit (which sends nothing).
 */

// Headers that differ between any two responses, whatever they are about (as in enumeration.test.ts).
const VOLATILE = new Set(['date', 'x-request-id', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit', 'connection', 'keep-alive']);
const stable = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).filter(([name]) => !VOLATILE.has(name)));

let sequence = 0;
async function accountWith(db: Database, verified: boolean): Promise<string> {
  sequence += 1;
  const email = `Parity${sequence}_${Date.now().toString(36)}@example.com`;
  const { user } = await createUser(db, { email });
  await user.update({ emailKey: email.toLowerCase(), emailVerifiedAt: verified ? new Date() : null });
  return email;
}
const mailCount = async (db: Database) =>
  Number((await db.sequelize.query<{ n: number }>('SELECT COUNT(*) AS n FROM mail_outbox', { type: QueryTypes.SELECT }))[0].n);

describe.each(DIALECTS)('POST /auth/password/forgot reveals nothing about an address (%s)', (dialect) => {
  let ctx: TestContext;
  let app: Express;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
    // Limits on, so that their headers are part of the comparison too.
    app = ctx.appWith({ env: { AUTH_RATE_LIMIT: '1000', MAIL_RATE_LIMIT: '3' } });
  });
  afterAll(() => ctx.close());

  const forgot = (email: string) => request(app).post('/auth/password/forgot').send({ email });

  it('answers a verified address, an unverified one, an unknown one and one past its limit identically', async () => {
    const verified = await accountWith(ctx.db, true);
    const unverified = await accountWith(ctx.db, false);
    const limited = await accountWith(ctx.db, true);
    for (let i = 0; i < 3; i += 1) expect((await forgot(limited)).status).toBe(202);
    const mailsBefore = await mailCount(ctx.db);

    const answers = {
      verified: await forgot(verified),
      verifiedOtherCase: await forgot(verified.toUpperCase()),
      unverified: await forgot(unverified),
      unknown: await forgot(`nobody-${verified}`),
      pastLimit: await forgot(limited),
    };
    for (const [kind, res] of Object.entries(answers)) {
      expect({ kind, status: res.status, text: res.text }).toEqual({ kind, status: 202, text: '{}' });
      expect({ kind, headers: stable(res.headers) }).toEqual({ kind, headers: stable(answers.verified.headers) });
    }
    expect(answers.verified.headers['ratelimit-limit']).toBe('1000');
    // Only the two requests for the verified address wrote a mail.
    expect(await mailCount(ctx.db)).toBe(mailsBefore + 2);
  });
});

describe.each(DIALECTS)('POST /auth/password/forgot timing (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect, env: { MAIL_RATE_LIMIT: '0' } });
    // Writing a mail made expensive on purpose, as a loaded database makes it: each INSERT into the
    // outbox costs tens of milliseconds, which only a verified address pays for directly.
    if (dialect === 'postgres') {
      await ctx.db.sequelize.query(`CREATE FUNCTION slow_outbox_write() RETURNS trigger AS $$ BEGIN PERFORM pg_sleep(0.04); RETURN NEW; END $$ LANGUAGE plpgsql`);
      await ctx.db.sequelize.query('CREATE TRIGGER slow_outbox_write BEFORE INSERT ON mail_outbox FOR EACH ROW EXECUTE FUNCTION slow_outbox_write()');
    } else {
      await ctx.db.sequelize.query(
        'CREATE TRIGGER slow_outbox_write AFTER INSERT ON mail_outbox BEGIN SELECT COUNT(*) FROM sqlite_master a, sqlite_master b, sqlite_master c, sqlite_master d; END',
      );
    }
  });
  afterAll(() => ctx.close());

  it('takes about as long for an unverified or unknown address as for a verified one, which writes a mail', async () => {
    const verified = await accountWith(ctx.db, true);
    const unverified = await accountWith(ctx.db, false);
    const post = (email: string) => () => request(ctx.app).post('/auth/password/forgot').send({ email });
    const noLookup = () => request(ctx.app).post('/auth/password/forgot').send({ email: 'not an address' }); // 400 before the service

    await timed(post(verified), 202); // warms up, and gives the service its first measurement: not counted
    await timed(post(verified), 202);
    const samples = { verified: [] as number[], unverified: [] as number[], unknown: [] as number[], noLookup: [] as number[] };
    for (let i = 0; i < 7; i += 1) {
      samples.verified.push(await timed(post(verified), 202));
      samples.unverified.push(await timed(post(unverified), 202));
      samples.unknown.push(await timed(post(`nobody${i}@example.com`), 202));
      samples.noLookup.push(await timed(noLookup, 400));
    }
    const [v, u, k, n] = [median(samples.verified), median(samples.unverified), median(samples.unknown), median(samples.noLookup)];
    // The suite's tolerance (enumeration.test.ts): within a factor of 3 of each other.
    expect(u / v).toBeGreaterThan(1 / 3);
    expect(u / v).toBeLessThan(3);
    expect(k / v).toBeGreaterThan(1 / 3);
    expect(k / v).toBeLessThan(3);
    // And the write is what is measured: it dwarfs a request that never reaches the service.
    expect(v).toBeGreaterThan(4 * n);
  });
});
