import { existsSync } from 'node:fs';
import assert from 'node:assert/strict';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { startGateway, type TestGateway } from './gateway.js';
import { connectVisitor, say, type Visitor } from './clients.js';

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

export interface WorkspaceSuite {
  /** This test's gateway (a new one per test). */
  readonly gw: TestGateway;
  readonly wb: WorkspaceBrowser;
  /** A visitor on this test's gateway who says `texts` (each acked); closed after the test. */
  visitor(...texts: string[]): Promise<Visitor>;
}

/**
 * The set-up the workspace browser tests share, registered in the calling `describe`: Chromium once
 * per suite, a gateway per test with `config` appended, the test's visitors closed after it, and
 * no uncaught error allowed in its pages.
 */
export function workspaceSuite(config: string, opts: { now?: () => number } = {}): WorkspaceSuite {
  let gw: TestGateway | undefined;
  let wb: WorkspaceBrowser | undefined;
  const visitors: Visitor[] = [];
  before(async function () { wb = await WorkspaceBrowser.launch(this); });
  after(async () => { await wb?.close(); });
  beforeEach(async () => { gw = await startGateway(config, { now: opts.now }); });
  afterEach(async () => {
    const pageErrors = await wb!.reset();
    for (const v of visitors.splice(0)) await v.socket.close();
    await gw?.close();
    assert.deepEqual(pageErrors, [], 'no uncaught error in the page');
  });
  return {
    get gw() { return gw!; },
    get wb() { return wb!; },
    async visitor(...texts) {
      const v = await connectVisitor(gw!.publicUrl);
      visitors.push(v);
      for (const text of texts) await say(v, text);
      return v;
    },
  };
}
