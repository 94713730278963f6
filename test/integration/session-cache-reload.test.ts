import request from 'supertest';
import { createApp, createServices } from '../../app';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { fakeClock } from '../helpers/clock';
import { createUser, login } from '../factories/user.factory';

/**
 * The access-token guard answers from an in-memory copy of each user's state, kept
 * exact by this process's own writes. A write from elsewhere (the users CLI; here
 * raw SQL, which runs no model hook) is only seen once the copy is read again. The
 * guard reads it again before refusing a token issued after the copy was read, and
 * only then: a refused old token costs no query however often it comes back.
 * On PostgreSQL a booted server also hears such writes by NOTIFY (app/boot.ts);
 * the test context listens to nothing, so both dialects run the path where no
 * notice reaches.
 */
describe.each(DIALECTS)('access-token guard and writes from another process (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
  });
  afterAll(() => ctx.close());

  it('accepts a token newer than a stale copy after one read, and refuses an older one from memory', async () => {
    const clock = fakeClock(new Date(Date.now() - 30_000));
    const config = ctx.config;
    const services = createServices({ config, db: ctx.db, clock });
    const app = createApp({ config, db: ctx.db, clock, services });
    const { user, username, password } = await createUser(ctx.db);

    const old = await login(app, username, password);
    expect((await request(app).get('/users/me').set('Authorization', `Bearer ${old.access_token}`)).status).toBe(200); // the copy is in memory now
    // Another process ends every session (the users CLI does this through its own services).
    await ctx.db.sequelize.query('UPDATE users SET session_version = session_version + 1 WHERE id = :id', { replacements: { id: user.id } });

    clock.set(new Date(Date.now() + 5_000));
    const fresh = await login(app, username, password);
    const reads = jest.spyOn(ctx.db.User, 'findByPk');
    try {
      expect((await request(app).get('/protected').set('Authorization', `Bearer ${fresh.access_token}`)).status).toBe(200);
      const readsForFresh = reads.mock.calls.filter(([id]) => id === user.id).length;
      expect(readsForFresh).toBeGreaterThanOrEqual(1);

      reads.mockClear();
      for (let i = 0; i < 5; i += 1) {
        const res = await request(app).get('/protected').set('Authorization', `Bearer ${old.access_token}`);
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 401, code: 'token_revoked' });
      }
      expect(reads).not.toHaveBeenCalled();
    } finally {
      reads.mockRestore();
    }
  });
});
