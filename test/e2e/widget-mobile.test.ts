import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32, deflateSync } from 'node:zlib';
import webApi from '@slack/web-api';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { ApiTokens, SCOPES } from '../../channels/api/tokens.js';

const { WebClient, LogLevel } = webApi;
// The functions passed to page.evaluate run in the page: its globals, not Node's (no DOM lib here).
declare const document: any, window: any;
declare function getComputedStyle(e: unknown): any;
const CHROMIUM = process.env.KEFU_CHROMIUM ?? '/usr/bin/chromium';
const ARTIFACTS = 'test-artifacts';
const W = '#kefu-widget';

/** A real PNG (the server reads its size from the header; Chromium must be able to draw it). */
function png(width: number, height: number): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(td));
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const o = y * (width * 3 + 1) + 1 + x * 3;
      rows.set([90 + (x * 80) / width, 140 + (y * 60) / height, 70], o); // tea-green gradient
    }
  }
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]);
}

/** A small valid PDF, padded to 24,000 bytes (shown as "23.4 KB"). */
function pdf(): Buffer {
  const head = '%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n'
    + '3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n';
  return Buffer.concat([Buffer.from(head), Buffer.from(`%${' '.repeat(24_000 - head.length - 7)}\n%%EOF\n`)]);
}

describe('widget on a phone, files as files, defaults from the server (headless Chromium)', function () {
  let gw: TestGateway;
  let browser: Browser;
  let bot: InstanceType<typeof WebClient>;
  const external: string[] = [];

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      (skipped: no Chromium at ${CHROMIUM}; .ci/run installs Debian's chromium)`);
      this.skip();
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    gw = await startGateway('[ratelimit]\ncustomer_quota = 0');
    bot = botFor(gw, (await new ApiTokens(gw.store.tokens, () => []).create('teabot', [...SCOPES])).token);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  });
  after(async () => {
    await browser?.close();
    await gw?.close();
  });
  afterEach(() => assert.deepEqual(external.splice(0), [], 'no request left 127.0.0.1'));

  const botFor = (g: TestGateway, token: string) => new WebClient(token, { slackApiUrl: `${g.publicUrl}/api/`, logLevel: LogLevel.ERROR });

  /** A page that records its requests (all must stay on 127.0.0.1) and the visitor ids it was given. */
  async function open(ctx: BrowserContext, url: string): Promise<{ page: Page; visitorIds: string[] }> {
    const page = await ctx.newPage();
    const visitorIds: string[] = [];
    page.on('request', (r) => { if (!/^(http|ws):\/\/127\.0\.0\.1:|^data:|^blob:/.test(r.url())) external.push(r.url()); });
    page.on('response', async (r) => { if (r.url().endsWith('/v1/visitor/session') && r.ok()) visitorIds.push((await r.json()).visitorId); });
    await page.goto(url);
    return { page, visitorIds };
  }

  /** Sends from the widget and waits until it is stored; answers the conversation id (the bot's channel). */
  async function say(page: Page, visitorIds: string[], text: string, g = gw): Promise<string> {
    await page.locator(`${W} textarea`).fill(text);
    await page.locator(`${W} .send`).click();
    await page.locator(`${W} .msg.me`, { hasText: text }).locator('.meta').filter({ hasNotText: 'Sending' }).waitFor();
    const conv = await g.store.findConversationByRef({ channel: 'web', account: 'default', thread: visitorIds.at(-1)! });
    return conv!.id;
  }

  const box = async (l: Locator) => (await l.boundingBox())!;
  function assertInside(b: { x: number; y: number; width: number; height: number }, w: number, h: number, what: string): void {
    assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.width <= w + 0.5 && b.y + b.height <= h + 0.5, `${what} inside the ${w}×${h} viewport: ${JSON.stringify(b)}`);
  }

  for (const [width, height] of [[375, 667], [390, 844]]) {
    it(`on a ${width}×${height} phone: no sideways scroll, launcher on screen, full-screen panel over a still page, 16px input, a chat with a file`, async () => {
      const ctx = await browser.newContext({ viewport: { width, height }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
      const { page, visitorIds } = await open(ctx, `${gw.publicUrl}/demo`);
      assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= width, 'the demo page fits the phone\'s width');
      const launcher = page.locator(`${W} .launcher`);
      assertInside(await box(launcher), width, height, 'launcher');

      // The visitor scrolled down the shop before opening the chat: the page must stay there.
      await page.evaluate(() => window.scrollTo(0, 150));
      const scrolled = await page.evaluate(() => window.scrollY);
      assert.ok(scrolled > 0, 'the demo page is taller than the phone');
      await page.screenshot({ path: `${ARTIFACTS}/widget-mobile-${width}-shop.png` });
      const buy = page.locator('.buy');
      const buyTop = (await box(buy)).y;
      await launcher.tap();

      const panel = page.locator(`${W} .panel`);
      const p = await box(panel);
      assert.deepEqual([p.x, p.y, Math.round(p.width), Math.round(p.height)], [0, 0, width, height], 'the open panel covers the screen');
      for (const dy of [120, -120]) {
        await page.evaluate((d) => { window.scrollBy(0, d); document.scrollingElement.scrollTop += d; }, dy);
        assert.equal((await box(buy)).y, buyTop, 'the page behind the panel does not scroll');
      }

      const input = page.locator(`${W} textarea`);
      assert.equal(await input.isVisible(), true);
      assertInside(await box(input), width, height, 'input');
      assert.ok(parseFloat(await input.evaluate((e) => getComputedStyle(e).fontSize)) >= 16, 'the input is 16px or more (no zoom on focus)');
      const close = await box(page.locator(`${W} .close`));
      assertInside(close, width, height, 'close button');
      assert.ok(close.width >= 44 && close.height >= 44, `the close button is a finger-sized target: ${JSON.stringify(close)}`);

      const channel = await say(page, visitorIds, 'Hello! Do you ship to Shanghai? 能寄到上海吗？');
      await bot.chat.postMessage({ channel, text: 'Yes, free shipping to Shanghai: it arrives in 2 days. 包邮，两天到。' });
      await bot.files.uploadV2({ channel_id: channel, file: pdf(), filename: 'Lotus-spring-price-list.pdf', initial_comment: 'Here is our spring price list.' });
      await page.locator(`${W} .msg.them .file`, { hasText: 'Lotus-spring-price-list.pdf' }).waitFor();
      await page.locator(`${W} .msg.them .caption`, { hasText: 'spring price list' }).waitFor();
      await page.screenshot({ path: `${ARTIFACTS}/widget-mobile-${width}.png` });

      // A smaller visual viewport (as when the keyboard opens): the panel follows, the input stays on screen.
      await page.setViewportSize({ width, height: height - 260 });
      await page.waitForFunction((h) => Math.round(document.querySelector('#kefu-widget').shadowRoot.querySelector('.panel').getBoundingClientRect().height) === h, height - 260);
      assertInside(await box(input), width, height - 260, 'input above the keyboard');
      await page.setViewportSize({ width, height });

      await page.locator(`${W} .close`).tap();
      assert.equal(await panel.isHidden(), true);
      assertInside(await box(launcher), width, height, 'launcher after closing');
      assert.equal(await page.evaluate(() => window.scrollY), scrolled, 'the page is back where the visitor left it');
      assert.equal(await page.evaluate(() => document.body.getAttribute('style')), '', 'the page\'s own body style is restored');
      await ctx.close();
    });
  }

  it('desktop stays a 370 px panel in the corner with a 14px input', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page } = await open(ctx, `${gw.publicUrl}/demo`);
    await page.locator(`${W} .launcher`).click();
    const p = await box(page.locator(`${W} .panel`));
    assert.deepEqual([p.width, p.x + p.width, p.y + p.height], [370, 1280 - 24, 800 - 24]);
    assert.equal(await page.locator(`${W} textarea`).evaluate((e) => getComputedStyle(e).fontSize), '14px');
    assert.equal(await page.evaluate(() => document.body.getAttribute('style')), null, 'the page is left alone on a desktop');
    await ctx.close();
  });

  it('a PDF from a bot is a file chip (name, size, download link) with its caption as text; an image keeps its size while loading', async () => {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const { page, visitorIds } = await open(ctx, `${gw.publicUrl}/demo`);
    await page.locator(`${W} .launcher`).click();
    const channel = await say(page, visitorIds, 'Can I have the invoice for order 42?');
    const caption = 'Invoice for order 42 <b>paid</b>';
    await bot.files.uploadV2({ channel_id: channel, file: pdf(), filename: 'invoice-42.pdf', initial_comment: caption });

    const msg = page.locator(`${W} .msg.them`, { has: page.locator('.file') });
    await msg.waitFor();
    const chip = msg.locator('a.file');
    assert.equal(await chip.locator('.name').textContent(), 'invoice-42.pdf');
    assert.match(await chip.locator('.size').textContent() ?? '', /^23\.4 KB · PDF$/);
    assert.equal(await msg.locator('img').count(), 0, 'a file is not shown as a (broken) image');
    const href = (await chip.getAttribute('href'))!;
    assert.match(href, new RegExp(`^${gw.publicUrl}/media/[A-Za-z0-9_-]{32}$`));
    const media = await fetch(href);
    assert.match(media.headers.get('content-disposition') ?? '', /attachment/);
    assert.deepEqual(Buffer.from(await media.arrayBuffer()), pdf());
    assert.equal(await msg.locator('.caption').textContent(), caption, 'the caption as text below the file');
    assert.equal(await msg.locator('.caption b').count(), 0);
    await page.screenshot({ path: `${ARTIFACTS}/widget-file-desktop.png` });

    // The image's bytes are held back: its box must already have the image's proportions.
    await page.route(/\/media\//, () => { /* never answered */ });
    await bot.files.uploadV2({ channel_id: channel, file: png(480, 320), filename: 'tin.png' });
    const img = page.locator(`${W} .msg.them img`);
    await img.waitFor({ state: 'attached' });
    const b = await box(img);
    assert.ok(b.height > 100 && Math.abs(b.width / b.height - 1.5) < 0.02, `space reserved for a 480×320 image: ${JSON.stringify(b)}`);
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await ctx.close();
  });

  /**
   * A shop on another origin that embeds the widget with `attrs` on its script tag. A real local
   * server: a page made up by page.route counts as public, and Chromium then blocks its requests
   * to the loopback gateway (local network access).
   */
  async function shop(g: TestGateway, attrs: string) {
    const server = createServer((_req, res) => {
      res.setHeader('Content-Type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><meta charset="utf-8"><title>shop</title><h1>Shop</h1><script src="${g.publicUrl}/widget.js" async ${attrs}></script>`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const opened = await open(ctx, `http://127.0.0.1:${(server.address() as AddressInfo).port}/shop.html`);
    return { ...opened, close: async () => { await ctx.close(); server.closeAllConnections(); await new Promise((r) => server.close(r)); } };
  }
  const accent = (l: Locator) => l.evaluate((e) => getComputedStyle(e).backgroundColor);

  it('data-title, data-welcome and data-color: title, a local greeting bubble (not stored), the colour', async () => {
    const { close, page, visitorIds } = await shop(gw, 'data-title="Lotus Tea House" data-welcome="欢迎光临！Ask us anything about tea." data-color="#aa3355"');
    const launcher = page.locator(`${W} .launcher`);
    await launcher.waitFor();
    assert.equal(await accent(launcher), 'rgb(170, 51, 85)');
    await launcher.click();
    assert.equal(await page.locator(`${W} .title`).textContent(), 'Lotus Tea House');
    assert.equal(await accent(page.locator(`${W} header`)), 'rgb(170, 51, 85)');
    const greeting = page.locator(`${W} .log > .msg.them.greeting .body`);
    assert.equal(await greeting.textContent(), '欢迎光临！Ask us anything about tea.');
    const channel = await say(page, visitorIds, 'Is the Longjing fresh?');
    assert.equal(await page.locator(`${W} .log > .msg`).first().locator('.body').textContent(), '欢迎光临！Ask us anything about tea.', 'the greeting stays on top');
    await gw.bus.idle();
    const stored = await bot.conversations.history({ channel });
    const texts = stored.messages!.map((m) => m.text);
    assert.ok(texts.includes('Is the Longjing fresh?') && !texts.some((t) => t?.includes('欢迎光临')), `the greeting is not stored: ${JSON.stringify(texts)}`);
    await close();
  });

  // Needs the server's side of the contract: POST /v1/visitor/session answers
  // `widget: { title?, welcome?, color? }` from [channels.web] (the lead's change).
  it('[server contract: session.widget] title, welcome and colour from [channels.web], the data-* attributes win over them', async () => {
    const configured = await startGateway('[channels.web]\ntitle = "Lotus Support"\nwelcome = "Ni hao! Ask us about tea."\ncolor = "#4f7a3a"');
    try {
      const session: any = await (await fetch(`${configured.publicUrl}/v1/visitor/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' })).json();
      assert.deepEqual(session.widget, { title: 'Lotus Support', welcome: 'Ni hao! Ask us about tea.', color: '#4f7a3a' }, 'POST /v1/visitor/session answers widget from [channels.web]');
      const plain = await shop(configured, '');
      const launcher = plain.page.locator(`${W} .launcher`);
      await launcher.waitFor();
      // The colour comes with the session, which the widget asks for as soon as it is on the page.
      await plain.page.waitForFunction(() => getComputedStyle(document.querySelector('#kefu-widget').shadowRoot.querySelector('.launcher')).backgroundColor === 'rgb(79, 122, 58)');
      await launcher.click();
      await plain.page.locator(`${W} .title`, { hasText: 'Lotus Support' }).waitFor();
      await plain.page.locator(`${W} .greeting .body`, { hasText: 'Ni hao! Ask us about tea.' }).waitFor();
      await plain.close();

      const over = await shop(configured, 'data-title="Lotus Tea House" data-color="#aa3355"');
      await over.page.locator(`${W} .launcher`).click();
      await over.page.locator(`${W} .greeting .body`, { hasText: 'Ni hao! Ask us about tea.' }).waitFor(); // not overridden: from the server
      assert.equal(await over.page.locator(`${W} .title`).textContent(), 'Lotus Tea House');
      assert.equal(await accent(over.page.locator(`${W} header`)), 'rgb(170, 51, 85)');
      await over.close();
    } finally {
      await configured.close();
    }
  });
});
