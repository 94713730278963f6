import { mkdirSync } from 'node:fs';
import { createServer, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import sqlite3 from 'sqlite3';
import { logIn, recordApiCalls, register, reloadProfile, uniqueName, waitForMatch, waitForScreen, waitForText, watchForScripts } from '../helpers/web-page';
import { useWebHarness } from './harness';

/**
 * The web page at / in Debian's Chromium against a real server process with a
 * fresh SQLite file: logging in, registering, every error state, what the page
 * shows as text, where the refresh token is (and is not), and a front end on
 * another origin. Session behaviour over time is in web-session.test.ts.
 */
jest.setTimeout(30_000);

const PASSWORD = 'correct-horse-battery';

/** A blank page on another origin, playing a front end hosted elsewhere. */
function startFrontEnd(): Promise<Server> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>front end</title>');
  });
  return new Promise((resolve) => server.listen(0, 'localhost', () => resolve(server)));
}

function sqliteRun(file: string, sql: string, params: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const db = new sqlite3.Database(file, (openError) => {
      if (openError) return reject(openError);
      db.run(sql, params, (runError) => db.close(() => (runError ? reject(runError) : resolve())));
    });
  });
}

describe('the web page', () => {
  let frontEnd: Server;
  let frontEndOrigin: string;
  beforeAll(async () => {
    frontEnd = await startFrontEnd();
    frontEndOrigin = `http://localhost:${(frontEnd.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise((resolve) => frontEnd?.close(resolve)));

  const web = useWebHarness(() => ({ AUTH_RATE_LIMIT: '0', LOGIN_FAILURE_LIMIT: '3', SEED_DEMO_USER: 'true', CORS_ORIGINS: frontEndOrigin }));

  it('logs the demo user johndoe / secret in and shows the profile and the protected payload', async () => {
    const page = await web.newPage();
    await page.goto(web.url);
    await logIn(page, 'johndoe', 'secret');
    await waitForText(page, '#profile-email', 'johndoe@example.com');
    const payload = JSON.parse((await page.textContent('#protected-payload')) ?? '{}');
    expect(payload).toEqual({ id: await page.textContent('#profile-id'), username: 'johndoe' });

    const shot = await page.screenshot({ fullPage: true });
    expect(shot.length).toBeGreaterThan(10_000);
    if (process.env.UPDATE_SCREENSHOT === '1') {
      const file = path.resolve(__dirname, '../../docs/screenshot.png');
      mkdirSync(path.dirname(file), { recursive: true });
      await page.screenshot({ path: file, fullPage: true });
    }
  });

  it('registers a new account and logs it in', async () => {
    const page = await web.newPage();
    const name = uniqueName('reg');
    await page.goto(web.url);
    await register(page, name, PASSWORD, `${name}@example.com`);
    await waitForText(page, '#profile-email', `${name}@example.com`);
    await waitForText(page, '#status', 'Account created. You are logged in.');
  });

  it('says plainly that the password is wrong (401) and stays on the login form', async () => {
    const page = await web.newPage();
    const calls = recordApiCalls(page);
    await page.goto(web.url);
    await waitForScreen(page, 'signed-out');
    await page.fill('#login-username', 'johndoe');
    await page.fill('#login-password', 'not-the-password');
    await page.click('#login-submit');
    await waitForText(page, '#status', 'Wrong username or password.');
    expect(await page.isVisible('#signed-out')).toBe(true);
    expect(calls).toContain('POST /token 401');
  });

  it('puts the field messages of a 400 under their inputs, as text', async () => {
    const page = await web.newPage();
    const seen = watchForScripts(page);
    await page.goto(web.url);
    await waitForScreen(page, 'signed-out');
    await page.click('#show-register');
    await page.fill('#register-username', '<img src=x onerror=alert(1)>');
    await page.fill('#register-email', 'not-an-email');
    await page.fill('#register-password', 'short');
    await page.click('#register-submit');
    await waitForText(page, '#register-form .field-error[data-field="username"]', 'username may contain only letters, digits, "_", "." and "-"');
    await waitForText(page, '#register-form .field-error[data-field="email"]', 'email must be a valid address');
    await waitForText(page, '#register-form .field-error[data-field="password"]', 'password must be 8 to 256 characters long');
    await waitForText(page, '#status', 'Please correct the highlighted fields.');
    expect(await page.getAttribute('#register-username', 'aria-invalid')).toBe('true');
    expect(await page.locator('#register-form img').count()).toBe(0);
    expect(seen).toEqual({ dialogs: [], errors: [] });
  });

  it('shows the wait time when logins are throttled (429)', async () => {
    const page = await web.newPage();
    const name = uniqueName('slow');
    const calls = recordApiCalls(page);
    let retryAfter: string | null = null;
    page.on('response', (r) => {
      if (r.status() === 429) retryAfter = r.headers()['retry-after'] ?? null;
    });
    await page.goto(web.url);
    await waitForScreen(page, 'signed-out');
    await page.fill('#login-username', name);
    await page.fill('#login-password', 'wrong-password');
    for (let attempt = 1; attempt <= 4; attempt += 1) {
      await Promise.all([page.waitForResponse((r) => r.url().endsWith('/token')), page.click('#login-submit')]);
      await page.waitForSelector('#login-submit:not([disabled])');
    }
    const message = await waitForMatch(page, '#status', /^Too many attempts\. Try again in \d+ seconds?\.$/);
    expect(retryAfter).toMatch(/^\d+$/);
    expect(message).toContain(`in ${retryAfter} second`);
    expect(calls.filter((c) => c.startsWith('POST /token '))).toEqual(['POST /token 401', 'POST /token 401', 'POST /token 401', 'POST /token 429']);
  });

  it('shows an email holding HTML as text, and no injected script runs', async () => {
    const page = await web.newPage();
    const seen = watchForScripts(page);
    const name = uniqueName('xss');
    const payload = '<img src=x onerror="window.__xss=1;alert(1)"><script>window.__xss=2</script>@x.io';
    await page.goto(web.url);
    await register(page, name, PASSWORD);
    // The validator refuses such an address, so it goes straight into the database.
    await sqliteRun(web.server.dbFile, 'UPDATE users SET email = ? WHERE username = ?', [payload, name]);
    await reloadProfile(page);
    await waitForText(page, '#profile-email', payload);
    expect(await page.evaluate(() => document.querySelector('#profile-email')?.childElementCount)).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
    expect(seen).toEqual({ dialogs: [], errors: [] });
  });

  it('keeps the refresh token out of reach of scripts: HttpOnly cookie only, no storage, not in any body', async () => {
    const page = await web.newPage();
    const name = uniqueName('jar');
    const bodies: string[] = [];
    page.on('response', (r) => {
      if (new URL(r.url()).pathname.startsWith('/token')) void r.text().then((t) => bodies.push(t), () => undefined);
    });
    await page.goto(web.url);
    await register(page, name, PASSWORD);
    await page.reload();
    await waitForText(page, '#profile-username', name);

    const cookies = await page.context().cookies();
    expect(cookies.map((c) => [c.name, c.path, c.httpOnly, c.sameSite, c.secure])).toEqual(
      expect.arrayContaining([
        ['refresh_token', '/token', true, 'Strict', false],
        ['refresh_token', '/auth/logout', true, 'Strict', false],
      ]),
    );
    const token = cookies[0].value;
    expect(token.length).toBeGreaterThan(20);
    const visible = await page.evaluate(() => ({
      cookie: document.cookie,
      local: JSON.stringify({ ...localStorage }),
      session: JSON.stringify({ ...sessionStorage }),
    }));
    expect(visible).toEqual({ cookie: '', local: '{}', session: '{}' });
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    for (const body of bodies) {
      expect(body).not.toContain(token);
      expect(JSON.parse(body)).not.toHaveProperty('refresh_token');
    }
  });

  it('serves a front end on another origin listed in CORS_ORIGINS, with credentials', async () => {
    const page = await web.newPage();
    await page.goto(frontEndOrigin);
    // The calls docs/web-front-end.md shows for such a front end.
    const result = await page.evaluate(async (api) => {
      const json = { 'Content-Type': 'application/json', 'Refresh-Token-Delivery': 'cookie' };
      const login = await fetch(`${api}/token`, { method: 'POST', credentials: 'include', headers: json, body: JSON.stringify({ username: 'johndoe', password: 'secret' }) });
      const refresh = await fetch(`${api}/token/refresh`, { method: 'POST', credentials: 'include', headers: { 'Refresh-Token-Delivery': 'cookie' } });
      const body = await refresh.json();
      const me = await fetch(`${api}/users/me`, { headers: { Authorization: `Bearer ${body.access_token}` } });
      return { login: login.status, refresh: refresh.status, keys: Object.keys(body).sort(), me: (await me.json()).username };
    }, web.url);
    expect(result).toEqual({ login: 200, refresh: 200, keys: ['access_token', 'expires_in', 'refresh_token_expires_in', 'token_type'], me: 'johndoe' });
  });

  it('refuses a front end on an origin not listed in CORS_ORIGINS', async () => {
    const page = await web.newPage();
    // Same port, other host name: another origin, absent from CORS_ORIGINS.
    await page.goto(frontEndOrigin.replace('localhost', '127.0.0.1'));
    const outcome = await page.evaluate(async (api) => {
      try {
        await fetch(`${api}/token`, {
          method: 'POST',
          credentials: 'include',
          headers: { 'Content-Type': 'application/json', 'Refresh-Token-Delivery': 'cookie' },
          body: JSON.stringify({ username: 'johndoe', password: 'secret' }),
        });
        return 'read the response';
      } catch (error) {
        return (error as Error).name;
      }
    }, web.url);
    expect(outcome).toBe('TypeError');
    expect(await page.context().cookies()).toEqual([]);
  });
});
