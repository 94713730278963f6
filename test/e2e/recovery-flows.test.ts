import type { ParsedMail } from 'mailparser';
import type { Page, Request } from 'playwright-core';
import { call } from '../helpers/server-process';
import { startSmtpServer, TestSmtpServer } from '../helpers/smtp';
import { logIn, recordApiCalls, register, reloadProfile, uniqueName, waitForMatch, waitForScreen, waitForText, watchForScripts } from '../helpers/web-page';
import { useWebHarness } from './harness';

/**
 * The page's account-recovery flows in Debian's Chromium, end to end: a real
 * server process sends its mail to a real SMTP server in this test, each test
 * reads the mail, follows its link in the browser as a person would, and ends
 * with a login or a profile that shows the outcome. PUBLIC_URL is left at its
 * default, http://localhost:<PORT>, which is the harness's own URL: the links
 * are followed exactly as mailed.
 */
jest.setTimeout(45_000);

const PASSWORD = 'correct-horse-battery';
const NEW_PASSWORD = 'staple-battery-horse-2';
const RESEND_LIMIT = 2;

const recipients = (mail: ParsedMail): string[] =>
  [mail.to]
    .flat()
    .flatMap((to) => to?.value ?? [])
    .map((address) => address.address?.toLowerCase() ?? '');

/** The link of a verification or reset mail, from its plain-text body; null when it has none. */
function linkIn(mail: ParsedMail, kind: 'verify' | 'reset'): string | null {
  return new RegExp(`https?://[^\\s#]+/#/${kind}\\?token=[A-Za-z0-9_-]+(&username=[^\\s]+)?`).exec(mail.text ?? '')?.[0] ?? null;
}

const mailTo = (address: string, kind: 'verify' | 'reset') => (mail: ParsedMail) => recipients(mail).includes(address.toLowerCase()) && linkIn(mail, kind) !== null;

const forgotAnswer = (email: string) => `If an account has the verified address ${email}, a link to choose a new password is on its way to it. Check your inbox.`;

/** An input of the reset form by its label (the change-password form has a "New password" too). */
const resetField = (page: Page, label: string) => page.locator('#reset-form').getByLabel(label, { exact: true });

/** The API requests a page sends and the answers it gets, in the order the browser saw them. */
function recordTraffic(page: Page): string[] {
  const events: string[] = [];
  const name = (request: Request) => `${request.method()} ${new URL(request.url()).pathname}`;
  page.on('request', (request) => events.push(`${name(request)} sent`));
  page.on('response', (response) => events.push(`${name(response.request())} answered ${response.status()}`));
  return events;
}

const focusedId = (page: Page) => page.evaluate(() => document.activeElement?.id ?? null);

describe('the page’s account recovery by mail', () => {
  let smtp: TestSmtpServer;
  beforeAll(async () => {
    smtp = await startSmtpServer();
  });
  afterAll(() => smtp?.close());

  const web = useWebHarness(() => ({ SMTP_URL: smtp.url, AUTH_RATE_LIMIT: '0', MAIL_RATE_LIMIT: String(RESEND_LIMIT) }));

  /** Waits for the mail of `kind` to `address` (after the first `after` mails) and returns its link, checked to point at this server's page. */
  async function mailedLink(address: string, kind: 'verify' | 'reset', after = 0): Promise<{ link: string; index: number }> {
    const mail = await smtp.nextMail(mailTo(address, kind), { after });
    const link = linkIn(mail, kind) as string;
    expect(link.startsWith(`${web.url}/#/${kind}?token=`)).toBe(true);
    return { link, index: smtp.mails.indexOf(mail) };
  }

  it('confirms an address registered in the page through the mailed link; a login then shows it verified', async () => {
    const name = uniqueName('verify');
    const email = `${name}@example.com`;
    const page = await web.newPage();
    await page.goto(web.url);
    await register(page, name, PASSWORD, email);
    await waitForText(page, '#profile-email-state', 'Not verified');
    expect(await page.isVisible('#resend-verification')).toBe(true);

    const { link } = await mailedLink(email, 'verify');
    // Opened where a mail client opens it: a browser that holds no session.
    const other = await web.newPage();
    const seen = watchForScripts(other);
    const calls = recordApiCalls(other);
    await other.goto(link);
    await waitForText(other, '#status', 'Your email address is confirmed.');
    expect(other.url()).toBe(`${web.url}/`);
    await logIn(other, name, PASSWORD);
    await waitForText(other, '#profile-email-state', 'Verified');
    expect(await other.isVisible('#verify-prompt')).toBe(false);
    expect(calls.slice(0, 1)).toEqual(['POST /auth/email/verify 200']);

    // The same link again, in a tab already showing the page (only the fragment changes): used once, refused.
    await other.goto(link);
    await waitForText(other, '#status', 'This verification link is invalid or has expired. Log in to have a new one sent.');
    expect(other.url()).toBe(`${web.url}/`);
    expect(calls).toContain('POST /auth/email/verify 400');

    await reloadProfile(page);
    await waitForText(page, '#profile-email-state', 'Verified');
    expect(seen).toEqual({ dialogs: [], errors: [] });
  });

  it('resets a forgotten password through the mailed link; the new password logs in and the session from before is over', async () => {
    const name = uniqueName('reset');
    const email = `${name}@example.com`;
    const nobody = `nobody-${name}@example.com`;

    // An account with a verified address, logged in in one browser.
    const before = await web.newPage();
    await before.goto(web.url);
    await register(before, name, PASSWORD, email);
    await before.goto((await mailedLink(email, 'verify')).link);
    await waitForText(before, '#status', 'Your email address is confirmed.');
    await waitForText(before, '#profile-email-state', 'Verified');

    // Another browser: "Forgot password?" says the same for an unknown address as for the account's.
    const page = await web.newPage();
    const seen = watchForScripts(page);
    const calls = recordApiCalls(page);
    await page.goto(web.url);
    await waitForScreen(page, 'signed-out');
    await page.getByRole('button', { name: 'Forgot password?' }).click();
    expect(await focusedId(page)).toBe('forgot-email');
    await page.locator('#forgot-form').getByLabel('Email', { exact: true }).fill(nobody);
    await page.click('#forgot-submit');
    await waitForText(page, '#status', forgotAnswer(nobody));
    await page.locator('#forgot-form').getByLabel('Email', { exact: true }).fill(email);
    await page.click('#forgot-submit');
    await waitForText(page, '#status', forgotAnswer(email));
    expect(calls.filter((c) => c.includes('/auth/password/forgot'))).toEqual(['POST /auth/password/forgot 202', 'POST /auth/password/forgot 202']);

    const { link } = await mailedLink(email, 'reset');
    await page.goto(link);
    await page.waitForSelector('#reset:not([hidden])');
    expect(page.url()).toBe(`${web.url}/`);
    expect(await focusedId(page)).toBe('reset-title');

    // Two different entries are caught in the page; nothing is sent.
    await resetField(page, 'New password').fill(NEW_PASSWORD);
    await resetField(page, 'New password again').fill(`${NEW_PASSWORD}x`);
    await page.click('#reset-submit');
    await waitForText(page, '#reset-form .field-error[data-field="confirm_password"]', 'The two passwords differ.');
    expect(await page.getAttribute('#reset-confirm', 'aria-invalid')).toBe('true');
    expect(await focusedId(page)).toBe('reset-confirm');
    // A password registration would refuse: the server's message under the input.
    await resetField(page, 'New password').fill('short');
    await resetField(page, 'New password again').fill('short');
    await page.click('#reset-submit');
    await waitForMatch(page, '#reset-form .field-error[data-field="new_password"]', /password/);
    expect(await page.getAttribute('#reset-password', 'aria-invalid')).toBe('true');
    expect(calls.filter((c) => c.includes('/auth/password/reset'))).toEqual(['POST /auth/password/reset 400']);

    await resetField(page, 'New password').fill(NEW_PASSWORD);
    await resetField(page, 'New password again').fill(NEW_PASSWORD);
    const answer = page.waitForResponse((r) => new URL(r.url()).pathname === '/auth/password/reset');
    await page.click('#reset-submit');
    const reset = await answer;
    expect(reset.status()).toBe(200);
    expect(await reset.json()).toEqual({});
    await waitForScreen(page, 'signed-out');
    await waitForText(page, '#status', 'Your password is changed and every session was logged out. Log in with the new password.');
    // The link named the account: the login form is filled in and ready for the new password.
    expect(link).toContain(`&username=${name}`);
    expect(await page.inputValue('#login-username')).toBe(name);
    expect(await focusedId(page)).toBe('login-password');
    await logIn(page, name, NEW_PASSWORD);
    expect(calls).toContain('POST /token 200');

    // The session opened before the reset: its refresh token is refused, and its page ends up logged out.
    const refresh = await before.evaluate(async () => (await fetch('/token/refresh', { method: 'POST', headers: { 'Refresh-Token-Delivery': 'cookie' } })).status);
    expect(refresh).toBe(401);
    await before.click('#reload-profile');
    await waitForScreen(before, 'signed-out');
    const oldPassword = await call(web.server.port, 'POST', '/token', { json: { grant_type: 'password', username: name, password: PASSWORD } });
    expect(oldPassword.status).toBe(401);

    // The link works once: opened again, it leads to a request for a new one.
    await page.goto(link);
    await page.waitForSelector('#reset:not([hidden])');
    await resetField(page, 'New password').fill(`${NEW_PASSWORD}3`);
    await resetField(page, 'New password again').fill(`${NEW_PASSWORD}3`);
    await page.click('#reset-submit');
    await waitForText(page, '#status', 'This reset link is invalid or has expired. Ask for a new one below.');
    expect(await page.isVisible('#forgot-form')).toBe(true);
    expect(smtp.mails.filter((mail) => recipients(mail).includes(nobody))).toEqual([]);
    expect(seen).toEqual({ dialogs: [], errors: [] });
  });

  it('opens a reset link in a tab that is logged in: the form, then the login form, where the new password logs in', async () => {
    const name = uniqueName('tab');
    const email = `${name}@example.com`;
    const page = await web.newPage();
    await page.goto(web.url);
    await register(page, name, PASSWORD, email);
    await page.goto((await mailedLink(email, 'verify')).link);
    await waitForText(page, '#profile-email-state', 'Verified');
    const asked = await call(web.server.port, 'POST', '/auth/password/forgot', { json: { email } });
    expect(asked.status).toBe(202);

    await page.goto((await mailedLink(email, 'reset')).link);
    await page.waitForSelector('#reset:not([hidden])');
    await resetField(page, 'New password').fill(NEW_PASSWORD);
    await resetField(page, 'New password again').fill(NEW_PASSWORD);
    await page.click('#reset-submit');
    await waitForText(page, '#status', 'Your password is changed and every session was logged out. Log in with the new password.');
    // This tab's session ended with the others: the login is a new one, and the page shows it.
    await logIn(page, name, NEW_PASSWORD);
    await waitForText(page, '#profile-email-state', 'Verified');
  });

  it('resends the verification mail from the profile; its link, opened in another tab, confirms the address, and the button then says it is verified', async () => {
    const name = uniqueName('resend');
    const email = `${name}@example.com`;
    const page = await web.newPage();
    const calls = recordApiCalls(page);
    await page.goto(web.url);
    await register(page, name, PASSWORD, email);
    const first = await mailedLink(email, 'verify');

    await page.getByRole('button', { name: 'Resend verification mail' }).click();
    await waitForText(page, '#status', 'A new verification mail is on its way. Its link confirms your address.');
    const second = await mailedLink(email, 'verify', first.index + 1);
    expect(second.link).not.toBe(first.link);

    // Opened in a new tab of the same browser: the address is confirmed first, then the session restored, so the profile shows it verified.
    const tab = await web.newPage(page);
    const traffic = recordTraffic(tab);
    await tab.goto(second.link);
    await waitForText(tab, '#status', 'Your email address is confirmed.');
    await waitForScreen(tab, 'signed-in');
    await waitForText(tab, '#profile-email-state', 'Verified');
    expect(traffic.indexOf('POST /auth/email/verify answered 200')).toBeGreaterThanOrEqual(0);
    expect(traffic.indexOf('POST /auth/email/verify answered 200')).toBeLessThan(traffic.indexOf('POST /token/refresh sent'));

    // The first page still offers the button; the server says the address is verified now, and the profile follows.
    await page.click('#resend-verification');
    await waitForText(page, '#status', 'Your address is already verified.');
    await waitForText(page, '#profile-email-state', 'Verified');
    expect(await page.isVisible('#verify-prompt')).toBe(false);
    expect(calls.filter((c) => c.includes('/auth/email/resend'))).toEqual(['POST /auth/email/resend 202', 'POST /auth/email/resend 409']);
  });

  it('says when too many verification mails were asked for', async () => {
    const name = uniqueName('often');
    const page = await web.newPage();
    const calls = recordApiCalls(page);
    await page.goto(web.url);
    await register(page, name, PASSWORD, `${name}@example.com`);
    // MAIL_RATE_LIMIT mails per hour: whether registration's own mail counts is the server's business; one more than the limit is refused either way.
    for (let click = 0; click <= RESEND_LIMIT && !calls.includes('POST /auth/email/resend 429'); click += 1) {
      const answered = page.waitForResponse((r) => new URL(r.url()).pathname === '/auth/email/resend');
      await page.click('#resend-verification');
      await answered;
      await page.waitForSelector('#resend-verification:not([disabled])');
    }
    await waitForMatch(page, '#status', /^Too many verification mails for now\. Try again (later|in \d+ (seconds?|minutes))\.$/);
    expect(calls.filter((c) => c.includes('/auth/email/resend')).slice(-1)).toEqual(['POST /auth/email/resend 429']);
  });

  it('turns away links that are invalid, and removes every token from the address bar', async () => {
    const page = await web.newPage();
    const calls = recordApiCalls(page);
    await page.goto(`${web.url}/#/verify?token=not-a-token`);
    await waitForText(page, '#status', 'This verification link is invalid or has expired. Log in to have a new one sent.');
    await waitForScreen(page, 'signed-out');
    expect(page.url()).toBe(`${web.url}/`);

    // Well formed, never issued: refused when the new password is sent.
    await page.goto(`${web.url}/#/reset?token=${'A'.repeat(43)}`);
    await page.waitForSelector('#reset:not([hidden])');
    expect(page.url()).toBe(`${web.url}/`);
    await resetField(page, 'New password').fill(NEW_PASSWORD);
    await resetField(page, 'New password again').fill(NEW_PASSWORD);
    await page.click('#reset-submit');
    await waitForText(page, '#status', 'This reset link is invalid or has expired. Ask for a new one below.');
    expect(await focusedId(page)).toBe('forgot-email');
    expect(calls).toContain('POST /auth/password/reset 400');

    await page.click('#forgot-back');
    expect(await page.isVisible('#login-form')).toBe(true);
    expect(await page.isVisible('#status')).toBe(false);

    // A link whose token a mail client cut off: no request at all.
    const sent = calls.length;
    await page.goto(`${web.url}/#/reset`);
    await waitForText(page, '#status', 'This reset link is invalid or has expired. Ask for a new one below.');
    expect(page.url()).toBe(`${web.url}/`);
    expect(await page.isVisible('#forgot-form')).toBe(true);
    expect(calls.slice(sent)).toEqual([]);
  });
});
