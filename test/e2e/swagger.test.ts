import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { killAllServers, ServerProcess, startServer } from '../helpers/server-process';

describe('Swagger UI at /docs (real Chromium)', () => {
  let dir: string;
  let server: ServerProcess;
  let browser: Browser;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'auth-swagger-'));
    // Development defaults, as a newcomer runs it: the demo user is seeded.
    server = await startServer({ env: { NODE_ENV: 'development', LOG_LEVEL: 'warn', ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2' }, dir });
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await killAllServers();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs in as the seeded johndoe/secret with Authorize and calls GET /protected', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.port}/docs/`);
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

  it('logs in as the seeded admin/admin-secret with Authorize and lists users with GET /admin/users', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.port}/docs/`);
    await page.getByRole('button', { name: 'Authorize' }).first().click();
    const dialog = page.locator('.modal-ux');
    const passwordFlow = dialog.locator('.auth-container').filter({ hasText: 'passwordLogin' });
    await passwordFlow.locator('input#oauth_username').fill('admin');
    await passwordFlow.locator('input#oauth_password').fill('admin-secret');
    const tokenResponse = page.waitForResponse((res) => res.url().endsWith('/token') && res.request().method() === 'POST');
    await passwordFlow.locator('button.authorize').click();
    expect((await tokenResponse).status()).toBe(200);
    await dialog.locator('button.btn-done, button.close-modal').first().click();

    const operation = page.locator('#operations-admin-get_admin_users');
    await operation.locator('.opblock-summary').click();
    await operation.getByRole('button', { name: 'Try it out' }).click();
    const listResponse = page.waitForResponse((res) => new URL(res.url()).pathname === '/admin/users');
    await operation.getByRole('button', { name: 'Execute' }).click();
    const res = await listResponse;
    expect(res.status()).toBe(200);
    const body = await res.json();
    expect(body.users.map((u: { username: string }) => u.username)).toEqual(['admin', 'johndoe']);
    await page.close();
  }, 60_000);
});
