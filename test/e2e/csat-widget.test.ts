import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { WorkspaceBrowser } from '../helpers/browser.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { cid, connectAgent, loginAgent } from '../helpers/clients.js';
import { closeConversation, csatConfig, fakeClock, rated, surveyDue } from '../core/csat/csat-helpers.js';

const ARTIFACTS = 'test-artifacts';
const W = '#kefu-widget';

describe('CSAT in the web widget: a visitor rates with the buttons (headless Chromium, desktop and phone)', function () {
  let gw: TestGateway;
  let wb: WorkspaceBrowser;
  let clock: ReturnType<typeof fakeClock>;
  const external: string[] = [];

  before(async function () { wb = await WorkspaceBrowser.launch(this); mkdirSync(ARTIFACTS, { recursive: true }); });
  beforeEach(async () => { clock = fakeClock(); gw = await startGateway(`[ratelimit]\ncustomer_quota = 0\n${csatConfig(60)}`, { now: clock.now }); });
  afterEach(async () => { await gw?.close(); assert.deepEqual(external.splice(0), [], 'no request left 127.0.0.1'); });
  after(async () => { await wb?.close(); });

  async function chatUntilSurvey(page: Page): Promise<string> {
    const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    const agent = await connectAgent(gw.workspaceUrl, token);
    await page.locator(`${W} textarea`).fill('Is the oolong in stock?');
    await page.locator(`${W} .send`).click();
    const id = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation.id;
    const clientId = cid();
    agent.send({ type: 'send', conversationId: id, clientId, text: 'Yes, 40 tins left.' });
    await page.locator(`${W} .msg.them`, { hasText: '40 tins left' }).waitFor();
    await closeConversation(gw, token, id);
    await surveyDue(gw, clock, 60_000, id);
    await agent.close();
    return id;
  }

  for (const v of [{ name: 'desktop', width: 1280, height: 800, mobile: false }, { name: 'phone', width: 390, height: 844, mobile: true }]) {
    it(`${v.name} ${v.width}×${v.height}: the survey card shows the question and five buttons; a tap with a comment is the rating`, async () => {
      const ctx = await wb.browser.newContext({ viewport: { width: v.width, height: v.height }, isMobile: v.mobile, hasTouch: v.mobile });
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      page.on('request', (r) => { if (!/^(http|ws):\/\/127\.0\.0\.1:|^data:|^blob:/.test(r.url())) external.push(r.url()); });
      await page.goto(`${gw.publicUrl}/demo`);
      await page.locator(`${W} .launcher`).click();
      const id = await chatUntilSurvey(page);

      const card = page.locator(`${W} .survey`);
      await card.waitFor();
      assert.equal(await card.locator('.q').textContent(), 'How would you rate the help you got?');
      const stars = card.locator('.star');
      assert.equal(await stars.count(), 5);
      for (let i = 0; i < 5; i++) {
        const b = (await stars.nth(i).boundingBox())!;
        assert.ok(b.x >= 0 && b.x + b.width <= v.width + 0.5 && b.height >= 40, `button ${i + 1} on screen and finger-sized: ${JSON.stringify(b)}`);
      }
      await card.locator('.comment').fill('Fast answer, thank you');
      await page.screenshot({ path: `${ARTIFACTS}/csat-widget-${v.name}.png` });
      await stars.nth(3).click();
      await card.locator('.done', { hasText: '4 of 5' }).waitFor();
      const c = await rated(gw, id);
      assert.deepEqual([c.rating, c.comment, c.via], [4, 'Fast answer, thank you', 'reply']);
      await page.locator(`${W} .event`, { hasText: 'Thank you for your feedback!' }).waitFor();
      assert.equal(await page.locator(`${W} .survey .star`).count(), 0, 'no second rating from the same card');
      assert.equal((await gw.store.getConversation(id))!.status, 'resolved');

      // After a reload the card still shows the answer (read from the history).
      await page.reload();
      await page.locator(`${W} .launcher`).click();
      await page.locator(`${W} .survey .done`, { hasText: '4 of 5' }).waitFor();
      assert.deepEqual(errors, []);
      await ctx.close();
    });
  }
});
