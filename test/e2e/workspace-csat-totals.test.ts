import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { WorkspaceBrowser } from '../helpers/browser.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { connectAgent, loginAgent, type FrameSocket } from '../helpers/clients.js';
import { csatConfig, fakeClock, webRated } from '../core/csat/csat-helpers.js';

const RED = 'rgb(180, 35, 24)';

describe('workspace Satisfaction table in the Queues tab (headless Chromium)', function () {
  let gw: TestGateway;
  let wb: WorkspaceBrowser;
  let agent: FrameSocket;

  before(async function () {
    wb = await WorkspaceBrowser.launch(this);
    const noon = new Date();
    noon.setHours(12, 0, 0, 0);
    const clock = fakeClock(noon.getTime());
    gw = await startGateway(csatConfig(60), { now: clock.now });
    const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    agent = await connectAgent(gw.workspaceUrl, token);
    // Two web customers rate 5 and 1: an average of 3, 50 % at 4–5 (red), both surveys answered.
    for (const rating of [5, 1]) await webRated(gw, clock, token, agent, rating);
  });
  after(async () => { await agent?.close(); await gw?.close(); await wb?.close(); });
  afterEach(async () => assert.deepEqual(await wb.reset(), [], 'no uncaught error in the page'));

  const cells = (page: Page, win: string) => page.locator(`.csat-queues tr[data-csat-queue=general][data-window=${win}] td.num`).allInnerTexts();
  async function queuesTab(page: Page): Promise<void> {
    await page.locator('.tabs [data-tab=queues]').click();
    await page.locator('.csat-queues tr[data-window=week]').waitFor();
  }

  it('at 1400 px: per queue and agent, today and 7 days, the low CSAT % in red; then in Chinese', async () => {
    const page = await wb.workspace(gw.workspaceUrl, gw.adminPassword);
    await queuesTab(page);
    assert.equal(await page.locator('.sup h3', { hasText: /^Satisfaction$/i }).count(), 1);
    assert.deepEqual(await cells(page, 'today'), ['2', '3.0', '50%', '2', '100%']);
    assert.deepEqual(await cells(page, 'week'), ['2', '3.0', '50%', '2', '100%']);
    assert.equal(await page.locator('.csat-queues tr[data-window=today] td.low').evaluate((el) => (globalThis as any).getComputedStyle(el).color), RED);
    const agentRow = page.locator('.csat-agents tr[data-window=today]');
    assert.match(await agentRow.innerText(), /admin/i);
    assert.deepEqual(await agentRow.locator('td.num').allInnerTexts(), ['2', '3.0', '50%', '2', '100%']);
    assert.deepEqual(await page.locator('.csat-queues th').allInnerTexts(), ['Queue', 'Period', 'Answered', 'Average', 'CSAT % (4–5)', 'Surveys asked', 'Response rate']);
    mkdirSync('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/workspace-csat-totals.png' });

    await page.locator('.bar select.lang').selectOption('zh');
    await page.locator('.sup h3', { hasText: '满意度' }).waitFor();
    assert.deepEqual(await page.locator('.csat-queues th').allInnerTexts(), ['队列', '时段', '已评价', '平均分', '满意率（4–5 分）', '已发送调查', '回复率']);
    assert.match(await page.locator('.csat-queues tr[data-window=week] td.win').innerText(), /近 7 天/);
  });

  it('at 390×844: the tab opens full-screen, the table fits or scrolls inside its box (never the page), back returns to the list', async () => {
    const page = await wb.workspace(gw.workspaceUrl, gw.adminPassword, { viewport: { width: 390, height: 844 } });
    await queuesTab(page);
    assert.deepEqual(await cells(page, 'week'), ['2', '3.0', '50%', '2', '100%']);
    const overflow = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
    assert.ok(overflow <= 390, `no horizontal scroll of the page (${overflow}px)`);
    const box = (await page.locator('.csat-wrap').first().boundingBox())!;
    assert.ok(box.x >= 0 && box.x + box.width <= 390, `the table's box is inside the screen (${box.x}+${box.width})`);
    await page.screenshot({ path: 'test-artifacts/workspace-csat-totals-390.png', fullPage: true });
    // The tab takes the phone's screen like a conversation does; its back button returns to the list.
    await page.locator('.chat .head .back').click();
    await page.locator('.tabs [data-tab=queues]').waitFor();
    assert.equal(await page.locator('.csat-queues').count(), 0);
  });
});
