import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, newPhoneContext } from './browser';
import { startServer, ServerProcess } from './server-process';

export interface WebHarness {
  readonly server: ServerProcess;
  readonly browser: Browser;
  /** A page in a fresh phone-sized browser profile, or another tab of `sameBrowserAs`. */
  newPage(sameBrowserAs?: Page): Promise<Page>;
}

/**
 * One Chromium and one real server process (fresh SQLite file) for a test file;
 * every browser profile a test opens is closed after it. `env` is read when the
 * server starts, so earlier beforeAll hooks can compute it.
 */
export function useWebHarness(env: () => Record<string, string>): WebHarness {
  let server: ServerProcess | undefined;
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    [server, browser] = await Promise.all([startServer(env()), launchChromium()]);
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  return {
    get server() {
      if (!server) throw new Error('the server is not running');
      return server;
    },
    get browser() {
      if (!browser) throw new Error('the browser is not running');
      return browser;
    },
    async newPage(sameBrowserAs) {
      if (sameBrowserAs) return sameBrowserAs.context().newPage();
      const context = await newPhoneContext(this.browser);
      contexts.push(context);
      return context.newPage();
    },
  };
}
