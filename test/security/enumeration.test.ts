import type { Express } from 'express';
import request from 'supertest';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { createUser } from '../factories/user.factory';
import { median, timed } from './support/timing';

/**
 * Nothing tells an attacker whether a username exists: /token answers an unknown
 * user exactly like a wrong password (status, body, headers, and time: the
 * unknown user pays for an argon2 verification against a dummy hash), and
 * registration says no more than the contract's 409.
 */

// Headers that differ between any two responses, whatever they are about.
const VOLATILE = new Set(['date', 'x-request-id', 'ratelimit-remaining', 'ratelimit-reset', 'ratelimit', 'connection', 'keep-alive']);
const stable = (headers: Record<string, string>) => Object.fromEntries(Object.entries(headers).filter(([name]) => !VOLATILE.has(name)));

describe.each(DIALECTS)('login: unknown username vs wrong password (%s)', (dialect) => {
  let ctx: TestContext;
  let app: Express;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
    // Limits on, so that their headers are part of the comparison too.
    app = ctx.appWith({ env: { AUTH_RATE_LIMIT: '1000', LOGIN_FAILURE_LIMIT: '1000' } });
  });
  afterAll(() => ctx.close());

  it.each([
    ['JSON', (body: object) => request(app).post('/token').send(body)],
    ['form', (body: object) => request(app).post('/token').type('form').send({ grant_type: 'password', ...body })],
  ])('answers both identically (%s): status, body and headers', async (_style, post) => {
    const known = await createUser(ctx.db);
    const wrongPassword = await post({ username: known.username, password: 'not-the-password' });
    const unknownUser = await post({ username: `${known.username}-nobody`, password: 'not-the-password' });
    // Another last letter (usernames are case-insensitive: a name ending in z is not changed by a Z).
    const unknownSameLength = await post({ username: known.username.replace(/.$/, (last) => (last.toLowerCase() === 'z' ? 'Y' : 'Z')), password: known.password });

    for (const res of [wrongPassword, unknownUser, unknownSameLength]) {
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ error: 'invalid_grant', error_description: 'The username or password is incorrect.', code: 'invalid_credentials' });
    }
    expect(unknownUser.text).toBe(wrongPassword.text);
    expect(stable(unknownUser.headers)).toEqual(stable(wrongPassword.headers));
    expect(stable(unknownSameLength.headers)).toEqual(stable(wrongPassword.headers));
    expect(wrongPassword.headers['ratelimit-limit']).toBe('1000');
  });

  it('answers a differently-cased known username like the original (no case oracle)', async () => {
    const known = await createUser(ctx.db, { username: 'CaseUser' });
    const exact = await request(app).post('/token').send({ username: 'CaseUser', password: 'wrong-password' });
    const lower = await request(app).post('/token').send({ username: 'caseuser', password: 'wrong-password' });
    expect(lower.text).toBe(exact.text);
    expect(stable(lower.headers)).toEqual(stable(exact.headers));
    expect((await request(app).post('/token').send({ username: 'caseuser', password: known.password })).status).toBe(200);
  });
});

describe.each(DIALECTS)('login timing: an unknown username pays for a real argon2 verification (%s)', (dialect) => {
  let ctx: TestContext;
  // Expensive on purpose: 16 MiB, t=2 makes one verification dwarf everything else a login does.
  const COSTLY = { ARGON2_MEMORY_KIB: '16384', ARGON2_TIME_COST: '2' };
  beforeAll(async () => {
    ctx = await createTestContext({ env: COSTLY, dialect });
  });
  afterAll(() => ctx.close());

  it('takes about as long as a wrong password, and far longer than a request without argon2', async () => {
    // Registered through the costly app, so the stored hash has the costly parameters.
    const password = 'a-long-enough-passphrase';
    expect((await request(ctx.app).post('/auth/register').send({ username: 'timed', password })).status).toBe(201);
    const wrong = () => request(ctx.app).post('/token').send({ username: 'timed', password: 'wrong-password!' });
    const unknown = () => request(ctx.app).post('/token').send({ username: 'untimed', password: 'wrong-password!' });
    const noArgon = () => request(ctx.app).post('/token').send({ username: 'timed' }); // 400 before any hashing

    await timed(unknown, 401); // the first unknown login also builds the dummy hash: not measured
    await timed(wrong, 401);
    const samples = { wrong: [] as number[], unknown: [] as number[], noArgon: [] as number[] };
    for (let i = 0; i < 5; i += 1) {
      samples.wrong.push(await timed(wrong, 401));
      samples.unknown.push(await timed(unknown, 401));
      samples.noArgon.push(await timed(noArgon, 400));
    }
    const [w, u, n] = [median(samples.wrong), median(samples.unknown), median(samples.noArgon)];
    // Generous bounds: the point is "one argon2 verification each", not a benchmark.
    expect(u / w).toBeGreaterThan(1 / 3);
    expect(u / w).toBeLessThan(3);
    expect(u).toBeGreaterThan(4 * n);
  });
});

describe.each(DIALECTS)('registration reveals no more than it must (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
  });
  afterAll(() => ctx.close());

  it('answers 201 with exactly the new user\'s public profile', async () => {
    const password = 'a-long-enough-passphrase';
    const res = await request(ctx.app).post('/auth/register').send({ username: 'newcomer', password, email: 'new@example.com' });
    expect(res.status).toBe(201);
    expect(Object.keys(res.body).sort()).toEqual(['created_at', 'email', 'email_verified', 'id', 'username']);
    expect(res.body).toMatchObject({ username: 'newcomer', email: 'new@example.com' });
    expect(res.headers.location).toBe('/users/me');
    const stored = await ctx.db.User.findOne({ where: { username: 'newcomer' }, rejectOnEmpty: true });
    expect(res.text).not.toContain(stored.passwordHash);
    expect(res.text).not.toContain(password);
    expect(res.text).not.toMatch(/argon2|hash|session_?version/i);
  });

  it('answers a taken username (any case) with a bare 409 that names nothing of the existing account', async () => {
    const existing = await createUser(ctx.db, { username: 'Taken', email: 'owner@example.com' });
    for (const username of ['Taken', 'taken', 'TAKEN']) {
      const res = await request(ctx.app).post('/auth/register').send({ username, password: 'another-long-passphrase', email: 'other@example.com' });
      expect(res.status).toBe(409);
      expect(res.body).toEqual({ error: 'conflict', error_description: 'That username is not available.', code: 'username_taken' });
      for (const secret of [existing.user.id, 'owner@example.com', existing.user.passwordHash, existing.user.createdAt.toISOString()]) {
        expect(res.text).not.toContain(secret);
      }
      expect(res.headers).not.toHaveProperty('location');
    }
    expect(await ctx.db.User.count({ where: { usernameKey: 'taken' } })).toBe(1);
  });

  it('checks input before availability: an invalid request for a taken name looks like one for a free name', async () => {
    await createUser(ctx.db, { username: 'occupied' });
    const taken = await request(ctx.app).post('/auth/register').send({ username: 'occupied', password: 'short' });
    const free = await request(ctx.app).post('/auth/register').send({ username: 'unoccupied', password: 'short' });
    expect(taken.status).toBe(400);
    expect(taken.text).toBe(free.text);
  });

  it('never shows another user\'s data on /users/me or /protected', async () => {
    const other = await createUser(ctx.db, { email: 'other@example.com' });
    const mine = await createUser(ctx.db);
    const { body } = await request(ctx.app).post('/token').send({ username: mine.username, password: mine.password });
    const me = await request(ctx.app).get('/users/me').set('Authorization', `Bearer ${body.access_token}`);
    expect(me.status).toBe(200);
    expect(Object.keys(me.body).sort()).toEqual(['created_at', 'email', 'email_verified', 'id', 'username']);
    expect(me.body.id).toBe(mine.user.id);
    expect(me.text).not.toContain(other.user.id);
    expect(me.text).not.toContain(mine.user.passwordHash);
  });
});
