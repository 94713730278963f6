import type { Express } from 'express';
import request from 'supertest';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { cheapHash, createSession, createUser, login, Tokens } from '../factories/user.factory';

/**
 * Ending a session races whatever else the session is doing. Each test fires
 * the competing requests at once against a real database (SQLite, and PostgreSQL
 * with its pool of connections and READ COMMITTED), many times, and then checks
 * the one thing that matters: nothing issued by the losing side still works.
 */
const PAIRS = 30;
const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });
const refresh = (app: Express, token: string) => request(app).post('/token/refresh').send({ refresh_token: token });

/** Every token pair that came back 200 is dead: its access token refused, its refresh token refused. */
async function expectDead(app: Express, issued: Tokens[]): Promise<void> {
  for (const tokens of issued) {
    const guarded = await request(app).get('/protected').set(bearer(tokens.access_token));
    expect({ status: guarded.status, code: guarded.body.code }).toEqual({ status: 401, code: 'token_revoked' });
    const again = await refresh(app, tokens.refresh_token);
    expect(again.status).toBe(401);
  }
}

describe.each(DIALECTS)('session end under concurrency (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
  });
  afterAll(() => ctx.close());

  it('leaves no live token from refreshes racing logout-all', async () => {
    const sessions = await Promise.all(Array.from({ length: PAIRS }, () => createSession(ctx.app, ctx.db)));
    const results = await Promise.all(
      sessions.map(async ({ tokens }) => {
        // Several tabs refreshing one token (the first rotates, the others replay inside the grace interval).
        const [, ...rotated] = await Promise.all([
          request(ctx.app).post('/auth/logout').set(bearer(tokens.access_token)).send({ all: true }).expect(204),
          ...Array.from({ length: 4 }, () => refresh(ctx.app, tokens.refresh_token)),
        ]);
        return rotated;
      }),
    );
    await expectDead(ctx.app, results.flat().filter((r) => r.status === 200).map((r) => r.body as Tokens));
  });

  it('leaves no live token from a refresh racing the revocation of its session', async () => {
    const sessions = await Promise.all(Array.from({ length: PAIRS }, () => createSession(ctx.app, ctx.db)));
    const results = await Promise.all(
      sessions.map(async ({ tokens }) => {
        const [rotated] = await Promise.all([
          refresh(ctx.app, tokens.refresh_token),
          request(ctx.app).post('/token/revoke').type('form').send({ token: tokens.refresh_token }).expect(200),
        ]);
        return rotated;
      }),
    );
    for (const res of results.filter((r) => r.status === 200)) expect((await refresh(ctx.app, res.body.refresh_token)).status).toBe(401);
  });

  it('leaves no live session from a login with the old password racing a password change', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: PAIRS }, async () => {
        const { username, password, tokens } = await createSession(ctx.app, ctx.db);
        const [loggedIn, changed] = await Promise.all([
          request(ctx.app).post('/token').send({ username, password }),
          request(ctx.app).put('/users/me/password').set(bearer(tokens.access_token)).send({ current_password: password, new_password: `${password}-renewed` }),
        ]);
        expect(changed.status).toBe(200);
        return loggedIn;
      }),
    );
    await expectDead(ctx.app, outcomes.filter((r) => r.status === 200).map((r) => r.body as Tokens));
  });

  it('refuses a refresh that lands between logout-all ending the sessions and marking them revoked', async () => {
    const { user, tokens } = await createSession(ctx.app, ctx.db);
    let between: request.Response | undefined;
    // Sequelize awaits this hook after the session-version bump and before the revocation that follows it.
    const hook = async (options: { where?: unknown }) => {
      if ((options.where as { id?: unknown } | undefined)?.id === user.id) between ??= await refresh(ctx.app, tokens.refresh_token);
    };
    ctx.db.User.addHook('afterBulkUpdate', 'refresh-in-between', hook);
    try {
      await request(ctx.app).post('/auth/logout').set(bearer(tokens.access_token)).send({ all: true }).expect(204);
    } finally {
      ctx.db.User.removeHook('afterBulkUpdate', 'refresh-in-between');
    }
    expect(between?.status).toBe(401);
    expect(between?.body.code).toBe('token_revoked');
  });
});

describe.each(DIALECTS)('password rehash on login under concurrency (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    // Stored hashes (the factory's: 1 MiB, t=1) are weaker than this config: every login rehashes.
    ctx = await createTestContext({ dialect, env: { ARGON2_MEMORY_KIB: '2048', ARGON2_TIME_COST: '2' } });
  });
  afterAll(() => ctx.close());

  it('never brings an old password back over a password change made while it hashed', async () => {
    const outcomes = await Promise.all(
      Array.from({ length: PAIRS }, async () => {
        const { username, password } = await createUser(ctx.db);
        const tokens = await login(ctx.app, username, password); // rehashes; make the stored hash weak again:
        await ctx.db.User.update({ passwordHash: await cheapHash(password) }, { where: { usernameKey: username.toLowerCase() }, hooks: false });
        const renewed = `${password}-renewed`;
        const [, changed] = await Promise.all([
          request(ctx.app).post('/token').send({ username, password }),
          request(ctx.app).put('/users/me/password').set(bearer(tokens.access_token)).send({ current_password: password, new_password: renewed }),
        ]);
        return { username, password, renewed, changed: changed.status };
      }),
    );
    for (const { username, password, renewed, changed } of outcomes) {
      expect(changed).toBe(200);
      expect((await request(ctx.app).post('/token').send({ username, password })).status).toBe(401);
      expect((await request(ctx.app).post('/token').send({ username, password: renewed })).status).toBe(200);
    }
  });
});
