import { existsSync } from 'node:fs';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.KEFU_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Headless Chromium for the workspace's browser tests: launched once per suite (the suite is
 * skipped, saying why, when Debian's chromium is missing), one context per logged-in page,
 * every uncaught page error collected so a test can assert there was none.
 */
export class WorkspaceBrowser {
  private contexts: BrowserContext[] = [];
  pageErrors: string[] = [];

  private constructor(readonly browser: Browser) {}

  /** In a mocha `before`: the browser, or the suite skipped. */
  static async launch(suite: Mocha.Context): Promise<WorkspaceBrowser> {
    if (!existsSync(CHROMIUM)) {
      console.log(`      (skipped: no Chromium at ${CHROMIUM}; .ci/run installs Debian's chromium)`);
      suite.skip();
    }
    return new WorkspaceBrowser(await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] }));
  }

  /** A new page logged in to the workspace at `url` as admin, once its socket is connected. */
  async workspace(url: string, password: string, o: { viewport?: { width: number; height: number }; init?: () => void } = {}): Promise<Page> {
    const ctx = await this.browser.newContext({ viewport: o.viewport ?? { width: 1400, height: 820 } });
    this.contexts.push(ctx);
    ctx.setDefaultTimeout(10_000); // a missing element fails with its locator, well inside mocha's timeout
    if (o.init) await ctx.addInitScript(o.init);
    const page = await ctx.newPage();
    page.on('pageerror', (e) => this.pageErrors.push(e.message));
    await page.goto(url);
    await page.locator('input[name=login]').fill('admin');
    await page.locator('input[name=password]').fill(password);
    await page.locator('button[type=submit]').click();
    await page.locator('.conn', { hasText: 'Connected' }).waitFor();
    return page;
  }

  /** Closes this test's pages; answers the page errors they had (and forgets them). */
  async reset(): Promise<string[]> {
    for (const c of this.contexts.splice(0)) await c.close();
    return this.pageErrors.splice(0);
  }

  close(): Promise<void> { return this.browser.close(); }
}
