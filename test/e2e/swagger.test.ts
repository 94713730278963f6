import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { RunningServer, startServer } from '../helpers/server-process';

describe('Swagger UI at /docs (real Chromium)', () => {
  let dir: string;
  let server: RunningServer;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'auth-swagger-'));
    server = await startServer({ DATABASE_URL: `sqlite:${path.join(dir, 'auth.sqlite')}`, ARGON2_MEMORY_KIB: '19456' }, dir);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in as the seeded johndoe/secret with Authorize and calls GET /protected', async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/docs/`);
    await page.getByRole('button', { name: 'Authorize' }).first().click();

    const dialog = page.locator('.modal-ux');
    const passwordFlow = dialog.locator('.auth-container').filter({ hasText: 'passwordLogin' });
    await passwordFlow.locator('input#oauth_username').fill('johndoe');
    await passwordFlow.locator('input#oauth_password').fill('secret');
    const tokenResponse = page.waitForResponse((res) => res.url().endsWith('/token') && res.request().method() === 'POST');
    await passwordFlow.locator('button.authorize').click();
    expect((await tokenResponse).status()).toBe(200);
    await dialog.locator('button.btn-done, button.close-modal').first().click();

    const operation = page.locator('#operations-examples-get_protected');
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    const protectedResponse = page.waitForResponse((res) => res.url().endsWith('/protected'));
    await operation.getByRole('button', { name: 'Execute' }).click();
    const res = await protectedResponse;
    expect(res.status()).toBe(200);
    expect(await res.json()).toMatchObject({ username: 'johndoe' });
    await page.close();
  }, 60_000);
});
