import type { Express } from 'express';
import request from 'supertest';
import { createTestContext, DIALECTS, TestContext } from '../helpers/app';
import { createUser, login } from '../factories/user.factory';
import { countRows, snapshotUser } from './support/db';

/**
 * Throttling (express-rate-limit): AUTH_RATE_LIMIT requests per minute per client
 * IP, shared by logins at /token and /auth/register (refreshes are counted per
 * session instead: test/integration/rate-limit-refresh.test.ts); LOGIN_FAILURE_LIMIT
 * failed password checks per account per 15 minutes, at /token and at
 * PUT /users/me/password together. Every app built here has its own limiter
 * stores, so each test starts from zero.
 */
describe.each(DIALECTS)('brute-force throttling (%s)', (dialect) => {
  let ctx: TestContext;
  beforeAll(async () => {
    ctx = await createTestContext({ dialect });
  });
  afterAll(() => ctx.close());

  const appWith = (env: Record<string, string>) => ctx.appWith({ env });

  function expect429(res: request.Response, limit: number, windowSeconds: number): void {
    expect(res.status).toBe(429);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toEqual({ error: 'rate_limited', error_description: expect.stringMatching(/try again in \d+ seconds/), code: 'too_many_requests' });
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(windowSeconds);
    expect(res.headers['ratelimit-limit']).toBe(String(limit));
    expect(res.headers['ratelimit-remaining']).toBe('0');
    expect(Number(res.headers['ratelimit-reset'])).toBeGreaterThan(0);
    expect(res.headers['ratelimit-policy']).toBe(`${limit};w=${windowSeconds}`);
    expect(res.body).not.toHaveProperty('access_token');
  }

  describe('AUTH_RATE_LIMIT (per IP)', () => {
    it('counts /auth/register and logins at /token together and answers 429 past the limit', async () => {
      const app = appWith({ AUTH_RATE_LIMIT: '3' });
      const register = await request(app).post('/auth/register').send({ username: 'iplimited', password: 'a-long-enough-passphrase' });
      expect(register.status).toBe(201);
      expect(register.headers['ratelimit-remaining']).toBe('2');
      const tokens = await request(app).post('/token').send({ username: 'iplimited', password: 'a-long-enough-passphrase' });
      expect(tokens.status).toBe(200);
      expect((await request(app).post('/token').send({ username: 'iplimited', password: 'a-long-enough-passphrase' })).status).toBe(200);

      const usersBefore = await countRows(ctx.db, 'users');
      const tokensBefore = await countRows(ctx.db, 'refresh_tokens');
      expect429(await request(app).post('/token').send({ username: 'iplimited', password: 'a-long-enough-passphrase' }), 3, 60);
      expect429(await request(app).post('/auth/register').send({ username: 'iplimited2', password: 'a-long-enough-passphrase' }), 3, 60);
      expect(await countRows(ctx.db, 'users')).toBe(usersBefore);
      expect(await countRows(ctx.db, 'refresh_tokens')).toBe(tokensBefore);
      // A refresh is counted against its session, not the address.
      expect((await request(app).post('/token/refresh').send({ refresh_token: tokens.body.refresh_token })).status).toBe(200);
    });

    it('does not throttle guarded routes', async () => {
      const app = appWith({ AUTH_RATE_LIMIT: '1' });
      const { username, password } = await createUser(ctx.db);
      const { access_token: token } = await login(app, username, password);
      for (let i = 0; i < 5; i += 1) {
        expect((await request(app).get('/protected').set('Authorization', `Bearer ${token}`)).status).toBe(200);
      }
    });

    it('is off with AUTH_RATE_LIMIT=0: no 429 and no RateLimit headers', async () => {
      const app = appWith({ AUTH_RATE_LIMIT: '0' });
      for (let i = 0; i < 40; i += 1) {
        const res = await request(app).post('/token').send({ username: 'nobody', password: 'wrong-password' });
        expect(res.status).toBe(401);
        expect(res.headers).not.toHaveProperty('ratelimit-limit');
      }
    });

    it('defaults to 30 per minute', async () => {
      const app = ctx.appWith({ env: { AUTH_RATE_LIMIT: undefined } });
      const res = await request(app).post('/token').send({ username: 'nobody', password: 'wrong-password' });
      expect(res.headers['ratelimit-limit']).toBe('30');
    });

    it('ignores X-Forwarded-For without TRUST_PROXY: a spoofed address does not escape the limit', async () => {
      const app = appWith({ AUTH_RATE_LIMIT: '2' });
      const attempt = (ip: string) => request(app).post('/token').set('X-Forwarded-For', ip).send({ username: 'nobody', password: 'wrong-password' });
      expect((await attempt('203.0.113.1')).status).toBe(401);
      expect((await attempt('203.0.113.2')).status).toBe(401);
      expect429(await attempt('203.0.113.3'), 2, 60);
      expect429(await attempt('198.51.100.77, 203.0.113.4'), 2, 60);
    });

    it('honours X-Forwarded-For from a trusted proxy (TRUST_PROXY=loopback): one bucket per client', async () => {
      const app = appWith({ AUTH_RATE_LIMIT: '2', TRUST_PROXY: 'loopback' });
      const attempt = (ip: string) => request(app).post('/token').set('X-Forwarded-For', ip).send({ username: 'nobody', password: 'wrong-password' });
      expect((await attempt('203.0.113.1')).status).toBe(401);
      expect((await attempt('203.0.113.1')).status).toBe(401);
      expect429(await attempt('203.0.113.1'), 2, 60);
      // Another client behind the same proxy has its own allowance.
      expect((await attempt('203.0.113.2')).status).toBe(401);
      // The proxy appends the address it saw; only the rightmost untrusted one counts.
      expect429(await attempt('198.51.100.9, 203.0.113.1'), 2, 60);
    });
  });

  describe('LOGIN_FAILURE_LIMIT (per username)', () => {
    const attempt = (app: Express, username: string, password: string, ip = '203.0.113.1') =>
      request(app).post('/token').set('X-Forwarded-For', ip).send({ username, password });

    it('answers 429 after the limit of failures, even for the right password, whatever the address', async () => {
      const app = appWith({ LOGIN_FAILURE_LIMIT: '3', TRUST_PROXY: 'loopback' });
      const { username, password } = await createUser(ctx.db);
      for (let i = 1; i <= 3; i += 1) expect((await attempt(app, username, 'wrong-password', `203.0.113.${i}`)).status).toBe(401);
      const tokensBefore = await countRows(ctx.db, 'refresh_tokens');
      expect429(await attempt(app, username, password, '203.0.113.200'), 3, 900);
      expect429(await attempt(app, username.toUpperCase(), 'wrong-password', '198.51.100.1'), 3, 900);
      expect(await countRows(ctx.db, 'refresh_tokens')).toBe(tokensBefore);
    });

    it('does not count successful logins', async () => {
      const app = appWith({ LOGIN_FAILURE_LIMIT: '3' });
      const { username, password } = await createUser(ctx.db);
      for (let i = 0; i < 2; i += 1) expect((await attempt(app, username, 'wrong-password')).status).toBe(401);
      for (let i = 0; i < 6; i += 1) expect((await attempt(app, username, password)).status).toBe(200);
      expect((await attempt(app, username, 'wrong-password')).status).toBe(401);
      expect((await attempt(app, username, password)).status).toBe(429);
    });

    it('counts a username case-insensitively and leaves other users alone', async () => {
      const app = appWith({ LOGIN_FAILURE_LIMIT: '2' });
      const target = await createUser(ctx.db);
      const bystander = await createUser(ctx.db);
      expect((await attempt(app, target.username.toUpperCase(), 'wrong-password')).status).toBe(401);
      expect((await attempt(app, target.username, 'wrong-password')).status).toBe(401);
      expect((await attempt(app, target.username, target.password)).status).toBe(429);
      expect((await attempt(app, bystander.username, bystander.password)).status).toBe(200);
    });

    it('throttles unknown usernames exactly like known ones, so a 429 reveals nothing', async () => {
      const app = appWith({ LOGIN_FAILURE_LIMIT: '2' });
      const known = await createUser(ctx.db);
      for (const username of [known.username, 'no-such-user']) {
        expect((await attempt(app, username, 'wrong-password')).status).toBe(401);
        expect((await attempt(app, username, 'wrong-password')).status).toBe(401);
        expect429(await attempt(app, username, 'wrong-password'), 2, 900);
      }
    });

    it('is off with LOGIN_FAILURE_LIMIT=0', async () => {
      const app = appWith({ LOGIN_FAILURE_LIMIT: '0' });
      const { username, password } = await createUser(ctx.db);
      for (let i = 0; i < 25; i += 1) expect((await attempt(app, username, 'wrong-password')).status).toBe(401);
      expect((await attempt(app, username, password)).status).toBe(200);
    });

    it('does not apply to the refresh_token grant', async () => {
      const app = appWith({ LOGIN_FAILURE_LIMIT: '1' });
      const { username, password } = await createUser(ctx.db);
      const { refresh_token: refreshToken } = await login(app, username, password);
      for (let i = 0; i < 3; i += 1) {
        const res = await request(app).post('/token').send({ grant_type: 'refresh_token', refresh_token: `nope-${i}`, username });
        expect(res.status).toBe(401);
      }
      const res = await request(app).post('/token').type('form').send({ grant_type: 'refresh_token', refresh_token: refreshToken });
      expect(res.status).toBe(200);
    });
  });

  describe('LOGIN_FAILURE_LIMIT on PUT /users/me/password (one budget per account with /token)', () => {
    const change = (app: Express, accessToken: string, current: string, next = 'an entirely new passphrase') =>
      request(app).put('/users/me/password').set('Authorization', `Bearer ${accessToken}`).send({ current_password: current, new_password: next });
    const attempt = (app: Express, username: string, password: string) => request(app).post('/token').send({ username, password });

    it('answers 429 after the limit of wrong current passwords, even for the right one, and changes nothing', async () => {
      const app = appWith({ LOGIN_FAILURE_LIMIT: '3' });
      const { username, password, user } = await createUser(ctx.db);
      const { access_token: token } = await login(ctx.app, username, password);
      for (let i = 0; i < 3; i += 1) {
        const res = await change(app, token, `wrong-password-${i}`);
        expect(res.status).toBe(403);
        expect(res.body.code).toBe('password_incorrect');
      }
      const before = await snapshotUser(ctx.db, user.id);
      expect429(await change(app, token, password), 3, 900);
      expect(await snapshotUser(ctx.db, user.id)).toEqual(before);
    });

    it('shares the budget with failed logins at /token for the same account, both ways', async () => {
      const app = appWith({ LOGIN_FAILURE_LIMIT: '3' });
      const { username, password } = await createUser(ctx.db, { username: `Shared${Date.now().toString(36)}` });
      const { access_token: token } = await login(ctx.app, username, password);
      // Two failed logins (the name in another case: one account), then one wrong current password.
      expect((await attempt(app, username.toLowerCase(), 'wrong-password')).status).toBe(401);
      expect((await attempt(app, username.toUpperCase(), 'wrong-password')).status).toBe(401);
      expect((await change(app, token, 'wrong-password')).status).toBe(403);
      expect429(await change(app, token, password), 3, 900);
      expect429(await attempt(app, username, password), 3, 900);
    });

    it('counts failed password changes against logins at /token', async () => {
      const app = appWith({ LOGIN_FAILURE_LIMIT: '2' });
      const { username, password } = await createUser(ctx.db);
      const { access_token: token } = await login(ctx.app, username, password);
      expect((await change(app, token, 'wrong-password-1')).status).toBe(403);
      expect((await change(app, token, 'wrong-password-2')).status).toBe(403);
      const tokensBefore = await countRows(ctx.db, 'refresh_tokens');
      expect429(await attempt(app, username, password), 2, 900);
      expect(await countRows(ctx.db, 'refresh_tokens')).toBe(tokensBefore);
    });

    it('leaves another account alone', async () => {
      const app = appWith({ LOGIN_FAILURE_LIMIT: '2' });
      const target = await createUser(ctx.db);
      const bystander = await createUser(ctx.db);
      const targetToken = (await login(ctx.app, target.username, target.password)).access_token;
      const bystanderToken = (await login(ctx.app, bystander.username, bystander.password)).access_token;
      for (let i = 0; i < 2; i += 1) expect((await change(app, targetToken, 'wrong-password')).status).toBe(403);
      expect((await change(app, targetToken, target.password)).status).toBe(429);
      expect((await change(app, bystanderToken, 'wrong-password')).status).toBe(403);
      expect((await change(app, bystanderToken, bystander.password)).status).toBe(200);
      expect((await attempt(app, bystander.username, 'an entirely new passphrase')).status).toBe(200);
    });

    it('does not count successful changes', async () => {
      const app = appWith({ LOGIN_FAILURE_LIMIT: '2' });
      const { username, password } = await createUser(ctx.db);
      let token = (await login(ctx.app, username, password)).access_token;
      let current = password;
      expect((await change(app, token, 'wrong-password')).status).toBe(403);
      for (let i = 0; i < 3; i += 1) {
        const next = `a fresh passphrase number ${i}`;
        const res = await change(app, token, current, next);
        expect(res.status).toBe(200);
        token = res.body.access_token as string; // a change ends every earlier session
        current = next;
      }
      expect((await change(app, token, 'wrong-password')).status).toBe(403);
      expect((await change(app, token, current, 'yet another new passphrase')).status).toBe(429);
    });

    it('is off with LOGIN_FAILURE_LIMIT=0', async () => {
      const app = appWith({ LOGIN_FAILURE_LIMIT: '0' });
      const { username, password } = await createUser(ctx.db);
      const { access_token: token } = await login(ctx.app, username, password);
      for (let i = 0; i < 12; i += 1) expect((await change(app, token, 'wrong-password')).status).toBe(403);
      expect((await change(app, token, password)).status).toBe(200);
    });
  });
});
