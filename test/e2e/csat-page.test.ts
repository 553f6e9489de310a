import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { WorkspaceBrowser } from '../helpers/browser.js';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { connectAgent, connectVisitor, loginAgent, say } from '../helpers/clients.js';
import { closeConversation, csatConfig, fakeClock, rated, surveyDue } from '../core/csat/csat-helpers.js';

/**
 * The rating page the e-mail and DingTalk links open (GET/POST /csat/<token>), on a phone: it
 * fits 375 px without sideways scrolling, every choice is a finger-sized target, and a tap rates.
 */
describe('CSAT rating page on a phone (headless Chromium, 375×667, touch)', function () {
  let gw: TestGateway;
  let wb: WorkspaceBrowser;
  let clock: ReturnType<typeof fakeClock>;

  before(async function () { wb = await WorkspaceBrowser.launch(this); mkdirSync('test-artifacts', { recursive: true }); });
  after(async () => { await wb?.close(); });
  beforeEach(async () => { clock = fakeClock(); gw = await startGateway(`[ratelimit]\ncustomer_quota = 0\n${csatConfig(60)}`, { now: clock.now }); });
  afterEach(async () => { await gw?.close(); });

  /** A web conversation resolved and surveyed; returns its id and the survey's signed link. */
  async function surveyed(): Promise<{ id: string; url: string }> {
    const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    const agent = await connectAgent(gw.workspaceUrl, token);
    const v = await connectVisitor(gw.publicUrl);
    await say(v, '我的订单什么时候到？');
    const id = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation.id;
    await closeConversation(gw, token, id);
    await surveyDue(gw, clock, 61_000, id);
    await agent.close();
    await v.socket.close();
    const ev = await eventually(async () => (await gw.store.listMessages(id, {})).find((m) => m.content.kind === 'event' && m.content.event === 'csat'), 'the survey event');
    const url = ev!.content.kind === 'event' ? ev!.content.survey?.url : undefined;
    assert.ok(url?.startsWith(`${gw.publicUrl}/csat/`), url);
    return { id, url: url! };
  }

  it('fits the screen, each rating is a finger-sized target inside it, a tap and a comment rate', async () => {
    const { id, url } = await surveyed();
    const ctx = await wb.browser.newContext({ viewport: { width: 375, height: 667 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      const page = await ctx.newPage();
      const outside: string[] = [];
      page.on('request', (r) => { if (!r.url().startsWith(gw.publicUrl)) outside.push(r.url()); });
      await page.goto(url);
      const width = await page.evaluate(() => { const d = (globalThis as any).document.documentElement; return { scroll: d.scrollWidth, client: d.clientWidth }; });
      assert.ok(width.scroll <= width.client, `no horizontal scroll (${width.scroll} > ${width.client})`);
      const choices = page.locator('label.r');
      assert.equal(await choices.count(), 5);
      for (let i = 0; i < 5; i++) {
        const b = (await choices.nth(i).boundingBox())!;
        assert.ok(b.x >= 0 && b.x + b.width <= 375 && b.height >= 44, `choice ${i + 1} on screen and finger-sized: ${JSON.stringify(b)}`);
      }
      const send = (await page.locator('button[type=submit]').boundingBox())!;
      assert.ok(send.height >= 44 && send.x + send.width <= 375, `the Send button: ${JSON.stringify(send)}`);
      await choices.filter({ hasText: '4 · Good' }).tap();
      assert.equal(await page.locator('input[value="4"]').isChecked(), true, 'a tap on the row chose it');
      await page.locator('textarea#comment').fill('很快，谢谢');
      await page.screenshot({ path: process.env.KEFU_UPDATE_DOCS ? 'docs/csat-page-phone.png' : 'test-artifacts/csat-page-phone.png' });
      await page.locator('button[type=submit]').tap();
      await page.locator('h1', { hasText: 'Thank you' }).waitFor();
      assert.match(await page.locator('p.q').innerText(), /4 of 5/);
      const c = await rated(gw, id);
      assert.deepEqual([c.rating, c.comment, c.via], [4, '很快，谢谢', 'page']);
      const after = await page.evaluate(() => { const d = (globalThis as any).document.documentElement; return d.scrollWidth <= d.clientWidth; });
      assert.ok(after, 'the thank-you page fits too');
      assert.deepEqual(outside, [], 'nothing loaded from anywhere else');
    } finally { await ctx.close(); }
  });
});
