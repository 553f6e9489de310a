import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startGateway, type TestGateway } from '../helpers/gateway.js';

const CHROMIUM = process.env.KEFU_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';

describe('browser end to end (headless Chromium): widget on the demo shop ↔ agent workspace', function () {
  let gw: TestGateway;
  let browser: Browser;
  const external: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      (skipped: no Chromium at ${CHROMIUM}; .ci/run installs Debian's chromium)`);
      this.skip();
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    gw = await startGateway();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await gw?.close();
  });

  function watch(page: Page): void {
    page.on('request', (r) => { if (!/^(http|ws):\/\/127\.0\.0\.1:|^data:|^blob:/.test(r.url())) external.push(r.url()); });
  }

  it('a visitor chats with an agent in real time, text and markup-as-text, and nothing leaves the machine', async () => {
    const shopCtx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const shop = await shopCtx.newPage();
    watch(shop);
    await shop.goto(`${gw.publicUrl}/demo`);
    await shop.locator('#kefu-widget .launcher').click();
    const input = shop.locator('#kefu-widget textarea');
    await input.fill('Hi! Is the Longjing in stock? 请问有货吗？');
    await input.press('Enter');
    await shop.locator('#kefu-widget .msg.me .body', { hasText: 'Is the Longjing in stock?' }).waitFor();
    await shop.locator('#kefu-widget .msg.me .meta').first().filter({ hasNotText: 'Sending' }).waitFor();
    await shop.locator('#kefu-widget .event', { hasText: 'No agent is online' }).waitFor();
    await shop.locator('#kefu-widget .queue', { hasText: 'You are #1 in line' }).waitFor();
    await shop.screenshot({ path: `${ARTIFACTS}/1-widget-offline.png` });

    const wsCtx = await browser.newContext({ viewport: { width: 1400, height: 820 } });
    const agent = await wsCtx.newPage();
    watch(agent);
    await agent.goto(gw.workspaceUrl);
    await agent.locator('input[name=login]').fill('admin');
    await agent.locator('input[name=password]').fill(gw.adminPassword);
    await agent.locator('button[type=submit]').click();
    // Going online assigns the waiting conversation to this agent: it shows under "Mine".
    const item = agent.locator('.item').first();
    await item.waitFor();
    await item.click();
    await agent.locator('.msg.customer .body', { hasText: '请问有货吗' }).waitFor();
    const reply = agent.locator('.composer textarea');
    await reply.fill('Yes, 42 tins left. It ships today from Hangzhou.');
    await reply.press('Enter');

    await shop.locator('#kefu-widget .msg.them .body', { hasText: '42 tins left' }).waitFor();
    await shop.locator('#kefu-widget .event', { hasText: 'joined the conversation' }).waitFor();
    await shop.locator('#kefu-widget .status.online', { hasText: 'We are online' }).waitFor();
    assert.equal(await shop.locator('#kefu-widget .queue').isHidden(), true, 'queue banner gone once an agent joined');

    // Markup from a customer is shown as text in both UIs, never parsed.
    const markup = '<img src=x onerror="window.__pwned=1"><b>bold?</b>';
    await input.fill(markup);
    await input.press('Enter');
    await agent.locator('.msg.customer .body', { hasText: '<b>bold?</b>' }).waitFor();
    assert.equal(await agent.locator('.msg.customer .body b').count(), 0);
    assert.equal(await agent.evaluate(() => (globalThis as any).__pwned), undefined);
    assert.equal(await shop.evaluate(() => (globalThis as any).__pwned), undefined);

    // Typing indicator: the agent types, the widget shows it.
    await reply.pressSequentially('Anything else?');
    await shop.locator('#kefu-widget .typing', { hasText: 'is typing' }).waitFor();
    await reply.press('Enter');
    await shop.locator('#kefu-widget .msg.them .body', { hasText: 'Anything else?' }).waitFor();

    // An image from the widget: one request (upload + message), shown on both sides.
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
    const uploads: string[] = [];
    shop.on('request', (r) => { if (r.url().includes('/v1/visitor/uploads')) uploads.push(r.method()); });
    await shop.locator('#kefu-widget input[type=file]').setInputFiles({ name: 'tea.png', mimeType: 'image/png', buffer: png });
    await agent.locator('.msg.customer img').waitFor();
    await shop.locator('#kefu-widget .msg.me img').waitFor();
    assert.equal(await shop.locator('#kefu-widget .msg.me.sending').count(), 0, 'the placeholder became the stored message');
    assert.deepEqual(uploads, ['POST'], 'one request per image');
    assert.equal(await shop.locator('#kefu-widget .msg.me img').count(), 1);

    await shop.screenshot({ path: `${ARTIFACTS}/2-widget-chat.png` });
    await agent.screenshot({ path: `${ARTIFACTS}/3-workspace.png` });
    await agent.locator('.tabs button', { hasText: 'Queues' }).click();
    await agent.locator('.sup td', { hasText: '售后投诉' }).waitFor();
    await agent.screenshot({ path: `${ARTIFACTS}/4-supervisor.png` });

    // Reload the shop: the returning visitor sees the whole history once (resume, no duplicates).
    await shop.reload();
    await shop.locator('#kefu-widget .launcher').click();
    await shop.locator('#kefu-widget .msg.them .body', { hasText: 'Anything else?' }).waitFor();
    assert.equal(await shop.locator('#kefu-widget .msg .body', { hasText: '42 tins left' }).count(), 1);
    await shop.locator('#kefu-widget .msg.me img').first().waitFor();
    assert.equal(await shop.locator('#kefu-widget .msg.me img').count(), 1, 'the image once after a reload');
    assert.deepEqual(external, [], 'no request left 127.0.0.1');
    await shopCtx.close();
    await wsCtx.close();
  });
});
