import request from 'supertest';
import { createServices } from '../../app';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { fakeClock } from '../helpers/clock';
import { createUser, login } from '../factories/user.factory';

const DAY = 86_400_000;
const refresh = (app: Parameters<typeof request>[0], token: string) => request(app).post('/token/refresh').send({ refresh_token: token });

describe.each(DIALECTS)('SESSION_MAX_LIFETIME (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
  });
  afterAll(() => ctx.close());

  it('ends a session at its login plus the lifetime, however often it was refreshed', async () => {
    const clock = fakeClock();
    const app = ctx.appWith({ clock, env: { SESSION_MAX_LIFETIME: '90d', REFRESH_TOKEN_TTL: '30d' } });
    const { username, password } = await createUser(ctx.db);
    let tokens = await login(app, username, password);
    for (let day = 20; day < 90; day += 20) {
      clock.advance(20 * DAY);
      const res = await refresh(app, tokens.refresh_token);
      expect(res.status).toBe(200);
      // Never promised past the session's end: at day 80 the token has 10 days, not 30.
      expect(res.body.refresh_token_expires_in).toBe(Math.min(30, 90 - day) * 86_400);
      tokens = res.body;
    }
    clock.advance(10 * DAY); // day 90
    const over = await refresh(app, tokens.refresh_token);
    expect(over.status).toBe(401);
    expect(over.body).toMatchObject({ error: 'invalid_grant', code: 'token_expired' });
  });

  it('never ends a session by age with 0', async () => {
    const clock = fakeClock();
    const app = ctx.appWith({ clock, env: { SESSION_MAX_LIFETIME: '0', REFRESH_TOKEN_TTL: '30d' } });
    const { username, password } = await createUser(ctx.db);
    let tokens = await login(app, username, password);
    for (let i = 0; i < 8; i += 1) {
      clock.advance(20 * DAY);
      const res = await refresh(app, tokens.refresh_token);
      expect(res.status).toBe(200);
      expect(res.body.refresh_token_expires_in).toBe(30 * 86_400);
      tokens = res.body;
    }
  });

  it('gives a login no refresh token longer than the session', async () => {
    const app = ctx.appWith({ env: { SESSION_MAX_LIFETIME: '1d', REFRESH_TOKEN_TTL: '30d' } });
    const { username, password } = await createUser(ctx.db);
    const tokens = (await login(app, username, password)) as Awaited<ReturnType<typeof login>> & { refresh_token_expires_in: number };
    expect(tokens.refresh_token_expires_in).toBe(86_400);
  });
});

describe.each(DIALECTS)('logout-all (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
  });
  afterAll(() => ctx.close());

  it('revokes only the sessions that could still be used, whatever the rotations made', async () => {
    const clock = fakeClock();
    const services = createServices({ config: ctx.config, db: ctx.db, clock });
    const { user } = await createUser(ctx.db);
    const loginAt = clock.now();
    await services.tokens.issueFor(user); // over by age (SESSION_MAX_LIFETIME, 90 days by default)
    clock.advance(91 * DAY);
    let live = await services.tokens.issueFor(user);
    for (let i = 0; i < 40; i += 1) live = await services.tokens.refresh(live.refresh_token);
    await services.tokens.issueFor(user); // a second live session
    const ended = await services.tokens.issueFor(user);
    await services.refreshTokens.revokeChainOf(ended.refresh_token); // already over

    expect(await services.refreshTokens.revokeAllOf(user.id)).toBe(2);
    // The session over by age is left as it was: nothing could use it.
    const untouched = await ctx.db.Session.findAll({ where: { userId: user.id, revokedAt: null } });
    expect(untouched.map((session) => session.createdAt.getTime())).toEqual([loginAt.getTime()]);
  });
});
