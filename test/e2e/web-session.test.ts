import type { Page, Response } from 'playwright-core';
import { logIn, recordApiCalls, register, reloadProfile, uniqueName, waitForMatch, waitForScreen, waitForText } from '../helpers/web-page';
import { useWebHarness } from './harness';
import { startServer } from '../helpers/server-process';

/**
 * The page's session over time, in Debian's Chromium against a real server
 * process. Access tokens live 5 s here, so the silent refresh (every ~4 s, 1 s
 * before expiry) runs through every test, as it would over a long session;
 * several tabs share one cookie; logouts reach other tabs and other browsers.
 * (With 3 s, the refresh's 0.6 s lead was shorter than a loaded CI machine's
 * delays: a tab's timer fired late and its next call met a benign token_expired.)
 *
 * No test sleeps for "long enough": each waits for the server to have issued a
 * token after an earlier one expired, read from the tokens themselves (their `iat`
 * and `exp` are the server's clock), or, where the page's timers are frozen, for
 * that clock to pass the token's own `exp`.
 */
jest.setTimeout(40_000);

const TTL_S = 5;
const PASSWORD = 'correct-horse-battery';

interface Issued {
  path: string;
  /** When the server issued the token, and the second from which it refuses it (epoch seconds, its clock). */
  iat: number;
  exp: number;
}

const claimsOf = (accessToken: string) => JSON.parse(Buffer.from(accessToken.split('.')[1], 'base64url').toString('utf8')) as { iat: number; exp: number };

/** Every access token the pages are given (POST /token, POST /token/refresh), with its iat and exp. */
function watchTokens(...pages: Page[]) {
  const issued: Issued[] = [];
  const reads: Promise<void>[] = [];
  const waiters = new Set<{ match: (token: Issued) => boolean; resolve: (token: Issued) => void }>();
  const onResponse = (response: Response) => {
    const path = new URL(response.url()).pathname;
    if ((path !== '/token' && path !== '/token/refresh') || response.status() !== 200) return;
    reads.push(
      response.json().then((body: { access_token: string }) => {
        const token = { path, ...claimsOf(body.access_token) };
        issued.push(token);
        for (const waiter of waiters) {
          if (!waiter.match(token)) continue;
          waiters.delete(waiter);
          waiter.resolve(token);
        }
      }),
    );
  };
  for (const page of pages) page.on('response', onResponse);
  return {
    /** The tokens given so far: every answer that has arrived, its body read. */
    async soFar(): Promise<Issued[]> {
      await Promise.all(reads);
      return [...issued];
    },
    /** The first token, given already or still to come, that matches. */
    async first(match: (token: Issued) => boolean, timeoutMs: number): Promise<Issued> {
      const seen = (await this.soFar()).find(match);
      if (seen) return seen;
      let timer: NodeJS.Timeout | undefined;
      return Promise.race([
        new Promise<Issued>((resolve) => waiters.add({ match, resolve })),
        new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error(`no such token within ${timeoutMs} ms; given: ${JSON.stringify(issued)}`)), timeoutMs);
        }),
      ]).finally(() => clearTimeout(timer));
    },
  };
}

/** Waits until this machine's clock, which the server process reads too, shows `epochMs`. */
async function clockPasses(epochMs: number): Promise<void> {
  for (let left = epochMs - Date.now(); left > 0; left = epochMs - Date.now()) {
    await new Promise((resolve) => setTimeout(resolve, left));
  }
}

describe('the web page over a session', () => {
  const web = useWebHarness(() => ({ ACCESS_TOKEN_TTL: `${TTL_S}s`, AUTH_RATE_LIMIT: '0' }));

  it('keeps the session over a reload by refreshing from the cookie', async () => {
    const page = await web.newPage();
    const name = uniqueName('reload');
    await page.goto(web.url);
    await register(page, name, PASSWORD);
    const calls = recordApiCalls(page);
    await page.reload();
    await waitForScreen(page, 'signed-in');
    await waitForText(page, '#profile-username', name);
    expect(calls.slice(0, 1)).toEqual(['POST /token/refresh 200']);
  });

  it('refreshes the access token silently before it expires', async () => {
    const page = await web.newPage();
    const name = uniqueName('silent');
    await page.goto(web.url);
    const tokens = watchTokens(page);
    await register(page, name, PASSWORD);
    const login = await tokens.first((token) => token.path === '/token', 5000);
    const calls = recordApiCalls(page);
    // No user action: the page refreshes on its own before the first access token expires…
    await page.waitForResponse((r) => r.url().endsWith('/token/refresh'), { timeout: TTL_S * 1000 + 2000 });
    // …and once that token is past its expiry (the server has since issued one at or after its exp), the page still works.
    await tokens.first((token) => token.path === '/token/refresh' && token.iat >= login.exp, 2 * TTL_S * 1000 + 2000);
    await reloadProfile(page);
    await waitForText(page, '#profile-username', name);
    expect(calls).toContain('POST /token/refresh 200');
    expect(calls.filter((c) => / 4\d\d$/.test(c))).toEqual([]);
    expect(await page.isVisible('#signed-in')).toBe(true);
  });

  it('refreshes once and retries when a call meets 401 token_expired', async () => {
    const page = await web.newPage();
    const name = uniqueName('expired');
    await page.clock.install();
    await page.goto(web.url);
    // Freeze the page's timers before it has a token (the refresh it schedules 4 s after the
    // login, page time, never fires) while the server's clock runs on…
    await page.clock.pauseAt(Date.now() + 100);
    const tokens = watchTokens(page);
    await register(page, name, PASSWORD);
    const login = await tokens.first((token) => token.path === '/token', 5000);
    // …then move the page's time on by a second, well short of that refresh, as it would have
    // moved anyway: a token refreshed at a standstill would seem to expire no later than the
    // old one, and the page's two concurrent calls would both refresh.
    await page.clock.runFor(1000);
    // Only the server's own clock makes a token expire, and that clock is this machine's, in
    // another process; with the page frozen nothing else happens meanwhile. So: until the
    // second the token names as its expiry, no guess and no margin.
    await clockPasses(login.exp * 1000);
    const calls = recordApiCalls(page);
    await reloadProfile(page);
    await waitForMatch(page, '#protected-payload', new RegExp(name));
    const meCalls = calls.filter((c) => c.includes('/users/me') || c.includes('/token/refresh'));
    expect(meCalls[0]).toBe('GET /users/me 401');
    expect(meCalls).toContain('POST /token/refresh 200');
    expect(meCalls.at(-1)).toBe('GET /users/me 200');
    expect(calls.filter((c) => c === 'POST /token/refresh 200')).toHaveLength(1);
    expect(await page.isVisible('#signed-in')).toBe(true);
  });

  it('keeps two tabs logged in when they refresh at the same moment', async () => {
    const first = await web.newPage();
    const name = uniqueName('tabs');
    await first.goto(web.url);
    await register(first, name, PASSWORD);
    const second = await web.newPage(first);
    await second.goto(web.url);
    await waitForText(second, '#profile-username', name);

    const calls = [recordApiCalls(first), recordApiCalls(second)];
    const tokens = watchTokens(first, second);
    await Promise.all([first.reload(), second.reload()]);
    await Promise.all([waitForText(first, '#profile-username', name), waitForText(second, '#profile-username', name)]);
    // Through another refresh cycle or two, both tabs keep working: until a tab has refreshed
    // after every token given so far (the ones the tabs hold) had expired.
    await tokens.first((token) => token.path === '/token/refresh', 5000);
    const lastExpiry = Math.max(...(await tokens.soFar()).map((token) => token.exp));
    await tokens.first((token) => token.path === '/token/refresh' && token.iat >= lastExpiry, 2 * TTL_S * 1000 + 2000);
    await Promise.all([reloadProfile(first), reloadProfile(second)]);
    expect(await first.isVisible('#signed-in')).toBe(true);
    expect(await second.isVisible('#signed-in')).toBe(true);
    const all = calls.flat();
    expect(all.filter((c) => c.startsWith('POST /token/refresh')).length).toBeGreaterThanOrEqual(1);
    expect(all.filter((c) => / [45]\d\d$/.test(c))).toEqual([]);
  });

  it('logging out in one tab logs the other tab out too', async () => {
    const first = await web.newPage();
    const name = uniqueName('out');
    await first.goto(web.url);
    await register(first, name, PASSWORD);
    const second = await web.newPage(first);
    await second.goto(web.url);
    await waitForText(second, '#profile-username', name);

    await first.click('#logout');
    await waitForScreen(first, 'signed-out');
    await waitForText(first, '#status', 'You have been logged out.');
    await waitForScreen(second, 'signed-out');
    expect(await first.context().cookies()).toEqual([]);
    // The session is over on the server too: a reload finds no session.
    await second.reload();
    await waitForScreen(second, 'signed-out');
  });

  it('"log out everywhere" ends the session in another browser', async () => {
    const laptop = await web.newPage();
    const phone = await web.newPage();
    const name = uniqueName('all');
    await laptop.goto(web.url);
    await register(laptop, name, PASSWORD);
    await phone.goto(web.url);
    await logIn(phone, name, PASSWORD);

    await laptop.click('#logout-all');
    await waitForText(laptop, '#status', 'You have been logged out everywhere.');
    const calls = recordApiCalls(phone);
    await phone.click('#reload-profile');
    await waitForScreen(phone, 'signed-out');
    await waitForText(phone, '#status', 'Your session has ended. Please log in again.');
    expect(calls).toContain('POST /token/refresh 401');
  });

  it('changes the password and stays logged in with the new session', async () => {
    const page = await web.newPage();
    const name = uniqueName('pw');
    await page.goto(web.url);
    await register(page, name, PASSWORD);
    await page.click('#password-card summary');
    await page.fill('#current-password', PASSWORD);
    await page.fill('#new-password', 'a-completely-new-passphrase');
    await page.click('#password-submit');
    await waitForText(page, '#status', 'Password changed. Your other sessions have been logged out.');
    await page.reload();
    await waitForText(page, '#profile-username', name);
  });

  it('says plainly when the server cannot be reached, and keeps the session', async () => {
    const server = await startServer();
    try {
      const page = await web.newPage();
      await page.goto(`http://localhost:${server.port}`);
      await register(page, uniqueName('gone'), PASSWORD);
      await server.kill();
      await page.click('#reload-profile');
      await waitForText(page, '#status', 'Cannot reach the server. Check your connection and try again.');
      expect(await page.isVisible('#signed-in')).toBe(true);
    } finally {
      await server.kill();
    }
  });
});
