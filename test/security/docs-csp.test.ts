import { existsSync } from 'node:fs';
import { chromium, Browser } from 'playwright-core';
import { createTestContext, TestContext } from '../helpers/app';
import { createUser } from '../factories/user.factory';
import { Listening, listen } from './support/raw-http';

/**
 * The Content-Security-Policy must not break Swagger UI. Only a browser can tell:
 * real Chromium (Debian's, never a downloaded one) loads /docs over plain http
 * from a non-loopback name,
 * logs in through the page's OAuth2 password flow and calls a guarded route,
 * while every CSP violation and page error is recorded.
 */
const CHROMIUM = '/usr/bin/chromium';
const describeWithChromium = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) console.warn(`${CHROMIUM} is missing: the /docs CSP browser test is skipped (apt-get install chromium)`);

describeWithChromium('GET /docs under the CSP, in Chromium', () => {
  let ctx: TestContext;
  let server: Listening;
  let browser: Browser;

  beforeAll(async () => {
    ctx = await createTestContext();
    server = await listen(ctx.app);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      // A name that is not loopback: Chromium treats 127.0.0.1 as secure and would not show
      // what upgrade-insecure-requests does to a plain-http deployment on a LAN name.
      args: ['--host-resolver-rules=MAP docs.test 127.0.0.1', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await ctx?.close();
  });

  it('renders Swagger UI, logs in with the password flow and calls /protected, with no CSP violation', async () => {
    const { username, password } = await createUser(ctx.db);
    const page = await browser.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(`console: ${message.text()}`);
    });
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        const seen = ((window as unknown as { violations?: string[] }).violations ??= []);
        seen.push(`${event.violatedDirective} ${event.blockedURI}`);
      });
    });

    await page.goto(`http://docs.test:${server.port}/docs/`);
    await page.locator('.swagger-ui .info .title').waitFor({ timeout: 20_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(8);

    // Authorize → passwordLogin with a real user.
    await page.locator('button.authorize').first().click();
    const dialog = page.locator('.modal-ux');
    await dialog.locator('input#oauth_username').fill(username);
    await dialog.locator('input#oauth_password').fill(password);
    await dialog.locator('button[aria-label="Apply given OAuth2 credentials"]').click();
    await dialog.locator('button.logout, button:has-text("Logout")').first().waitFor({ timeout: 10_000 });
    await dialog.locator('button.btn-done, button.close-modal').first().click();

    // GET /protected → Try it out → Execute: a 200 with the user's name.
    const operation = page.locator('.opblock-get:has(.opblock-summary-path[data-path="/protected"])').first();
    await operation.locator('.opblock-summary').first().click();
    await operation.locator('button.try-out__btn').click();
    await operation.locator('button.execute').click();
    const status = operation.locator('.live-responses-table tr.response .response-col_status').first();
    await status.waitFor({ timeout: 10_000 });
    expect((await status.innerText()).trim()).toBe('200');
    expect(await operation.locator('.live-responses-table tr.response .microlight').first().innerText()).toContain(username);

    const violations = await page.evaluate(() => (window as unknown as { violations?: string[] }).violations ?? []);
    expect({ violations, problems }).toEqual({ violations: [], problems: [] });
    await page.close();
  }, 60_000);
});
