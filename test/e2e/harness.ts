import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium } from '../helpers/browser';
import { killAllServers, removeTempDirs, ServerProcess, startServer } from '../helpers/server-process';
import { newPhoneContext } from '../helpers/web-page';

export interface WebHarness {
  readonly server: ServerProcess;
  /** http://localhost:<port>: the page's origin, as a user types it. */
  readonly url: string;
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
    [server, browser] = await Promise.all([startServer({ env: env() }), launchChromium()]);
  });
  afterEach(async () => {
    await Promise.all(contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
    await killAllServers();
    removeTempDirs();
  });

  return {
    get server() {
      if (!server) throw new Error('the server is not running');
      return server;
    },
    get url() {
      return `http://localhost:${this.server.port}`;
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
