import type { Browser, BrowserContext, Page, Response } from 'playwright-core';

/** Driving the web page at / in Chromium (test/e2e/web-*.test.ts): forms, waits, and what the page saw. */

/** A phone-sized browser profile of its own (its own cookie jar). */
export function newPhoneContext(browser: Browser): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1 });
}

const WAIT_MS = 8_000;

/** Waits until the element's text is exactly `text`. */
export async function waitForText(page: Page, selector: string, text: string, timeout = WAIT_MS): Promise<void> {
  await page.waitForFunction(([sel, want]) => document.querySelector(sel)?.textContent === want, [selector, text] as const, { timeout });
}

/** Waits until the element's text matches `pattern`; resolves with the text. */
export async function waitForMatch(page: Page, selector: string, pattern: RegExp, timeout = WAIT_MS): Promise<string> {
  await page.waitForFunction(
    ([sel, source, flags]) => new RegExp(source, flags).test(document.querySelector(sel)?.textContent ?? ''),
    [selector, pattern.source, pattern.flags] as const,
    { timeout },
  );
  return (await page.textContent(selector)) ?? '';
}

export const isVisible = (page: Page, selector: string) => page.isVisible(selector);

export async function waitForScreen(page: Page, screen: 'signed-in' | 'signed-out', timeout = WAIT_MS): Promise<void> {
  await page.waitForSelector(`#${screen}:not([hidden])`, { timeout });
}

/** Logs in through the form and waits for the profile of `username`. */
export async function logIn(page: Page, username: string, password: string): Promise<void> {
  await waitForScreen(page, 'signed-out');
  await page.fill('#login-username', username);
  await page.fill('#login-password', password);
  await page.click('#login-submit');
  await waitForScreen(page, 'signed-in');
  await waitForText(page, '#profile-username', username);
}

/** Registers through the form (which then logs in) and waits for the profile. */
export async function register(page: Page, username: string, password: string, email?: string): Promise<void> {
  await waitForScreen(page, 'signed-out');
  await page.click('#show-register');
  await page.fill('#register-username', username);
  if (email !== undefined) await page.fill('#register-email', email);
  await page.fill('#register-password', password);
  await page.click('#register-submit');
  await waitForScreen(page, 'signed-in');
  await waitForText(page, '#profile-username', username);
}

/** Clicks "Reload" and resolves once the page has its answer to GET /users/me (the wait is armed before the click). */
export async function reloadProfile(page: Page): Promise<void> {
  const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/users/me' && r.status() !== 401, { timeout: WAIT_MS });
  await page.click('#reload-profile');
  await answered;
  await page.waitForSelector('#reload-profile:not([disabled])', { timeout: WAIT_MS });
}

/** Every API response a page sees, in order, as "METHOD /path STATUS". */
export function recordApiCalls(page: Page): string[] {
  const calls: string[] = [];
  page.on('response', (response: Response) => {
    const url = new URL(response.url());
    if (url.pathname.startsWith('/js/') || /\.(css|html)$/.test(url.pathname) || url.pathname === '/') return;
    calls.push(`${response.request().method()} ${url.pathname} ${response.status()}`);
  });
  return calls;
}

/** Fails the test on any script error or dialog in the page (an injected script would raise one). */
export function watchForScripts(page: Page): { dialogs: string[]; errors: string[] } {
  const seen = { dialogs: [] as string[], errors: [] as string[] };
  page.on('dialog', (dialog) => {
    seen.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  page.on('pageerror', (error) => seen.errors.push(error.message));
  return seen;
}

let sequence = 0;
/** A username no other test uses. */
export const uniqueName = (prefix: string) => `${prefix}${Date.now().toString(36)}${(sequence += 1)}`;
