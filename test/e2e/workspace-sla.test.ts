import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { workspaceSuite } from '../helpers/browser.js';
import { json, loginAgent, type Visitor } from '../helpers/clients.js';

const M = 60_000;
const RED = 'rgb(180, 35, 24)';
const nameOf = (v: Visitor) => `Visitor ${v.visitorId.slice(-4).toUpperCase()}`;

/**
 * The page's clock can be moved (Date.now plus __off) and its 30-second tick fired by hand
 * (__tick), so the countdown is tested without waiting.
 */
function pageClock(): void {
  const w = globalThis as any;
  w.__off = 0;
  w.__ticks = [];
  const now = Date.now.bind(Date);
  Date.now = () => now() + w.__off;
  const every = w.setInterval;
  w.setInterval = (fn: () => void, ms?: number, ...rest: unknown[]) => { if (ms === 30_000) w.__ticks.push(fn); return every(fn, ms, ...rest); };
  w.__tick = () => { for (const f of w.__ticks) f(); };
}

const color = (l: Locator) => l.evaluate((el) => (globalThis as any).getComputedStyle(el).color as string);
const settle = (page: Page) => page.evaluate(() => new Promise<void>((r) => { const raf = (globalThis as any).requestAnimationFrame; raf(() => raf(() => r())); }));

describe('workspace SLA (headless Chromium): time left on the list and in the chat head, breaches in red, per queue', function () {
  let offset = 0;
  beforeEach(() => { offset = 0; });
  const t = workspaceSuite(`[ratelimit]\ncustomer_quota = 0\n[ai]\nenabled = false\n[routing]\ndefault_queue = "support"\n[[routing.queues]]\nname = "support"\nsla = { first_response = "10m", next_response = "30m", on_breach = [] }\n`, { now: () => Date.now() + offset });
  const visitor = t.visitor;
  const badge = (page: Page, v: Visitor) => page.locator('.item', { hasText: nameOf(v) }).locator('.sla');

  it('at 1400 px: counts down on the tick, turns red when breached (composer untouched), shows per-queue breaches, then "paused" after the reply', async () => {
    const a = await visitor('where is my parcel?');
    const page = await t.wb.workspace(t.gw.workspaceUrl, t.gw.adminPassword, { init: pageClock });
    const row = badge(page, a);
    await row.filter({ hasText: /^(10|9)m left$/ }).waitFor();
    assert.equal(await row.getAttribute('data-sla'), 'running');

    // Four minutes later on this page's clock, the 30-second tick recounts without any frame.
    await page.evaluate(() => { const w = globalThis as any; w.__off = 4 * 60_000; w.__tick(); });
    await row.filter({ hasText: /^[56]m left$/ }).waitFor();

    await page.locator('.item', { hasText: nameOf(a) }).click();
    const head = page.locator('.chat .head .sla');
    await head.filter({ hasText: /m left$/ }).waitFor();
    const ta = page.locator('.composer textarea');
    await ta.fill('Let me check with the courier');
    await page.evaluate(() => { const w = globalThis as any; w.__ta = w.document.querySelector('.composer textarea'); w.__ta.setSelectionRange(4, 9); });

    // The gateway's clock passes the due time: the server announces it; the page shows it on the server's clock.
    offset += 11 * M;
    t.gw.sla.check();
    await row.filter({ hasText: /^breached (1m|<1m) ago$|^breached just now$/ }).waitFor();
    assert.equal(await color(row), RED);
    await head.filter({ hasText: /^breached/ }).waitFor();
    assert.equal(await color(head), RED);
    await settle(page);
    const composer = await page.evaluate(() => {
      const w = globalThis as any;
      const t = w.document.querySelector('.composer textarea');
      return { same: t === w.__ta, value: t.value, focused: w.document.activeElement === t, sel: [t.selectionStart, t.selectionEnd] };
    });
    assert.deepEqual(composer, { same: true, value: 'Let me check with the courier', focused: true, sel: [4, 9] }, 'the breach did not rebuild the composer');
    mkdirSync('test-artifacts', { recursive: true });
    // docs/ only when asked (KEFU_UPDATE_DOCS=1): a test run must not rewrite committed pictures.
    await page.screenshot({ path: process.env.KEFU_UPDATE_DOCS ? 'docs/workspace-sla.png' : 'test-artifacts/workspace-sla.png' });

    await page.locator('.tabs [data-tab=queues]').click();
    const q = page.locator('.sla-queues tr[data-sla-queue=support] td');
    await q.nth(2).filter({ hasText: '1' }).waitFor();
    assert.equal(await color(q.nth(2)), RED);
    assert.match(await q.nth(3).innerText(), /first response 1/);

    await page.locator('.tabs [data-tab=all]').click();
    const token = await loginAgent(t.gw.workspaceUrl, 'admin', t.gw.adminPassword);
    const conv = (await json(`${t.gw.workspaceUrl}/api/conversations`, { headers: { Authorization: `Bearer ${token}` } })).body.conversations[0];
    await json(`${t.gw.workspaceUrl}/api/conversations/${conv.id}/messages`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, json: { text: 'It is on its way' } });
    await row.filter({ hasText: /^paused$/ }).waitFor();
    assert.notEqual(await color(row), RED);
  });

  it('at 390×844: the list rows show the time left and the breach in red, inside the screen', async () => {
    const a = await visitor('hello from a phone');
    const b = await visitor('a second customer');
    const page = await t.wb.workspace(t.gw.workspaceUrl, t.gw.adminPassword, { viewport: { width: 390, height: 844 } });
    await badge(page, a).filter({ hasText: /m left$/ }).waitFor();
    offset += 11 * M;
    t.gw.sla.check();
    for (const v of [a, b]) {
      const el = badge(page, v);
      await el.filter({ hasText: /^breached/ }).waitFor();
      assert.equal(await color(el), RED);
      const box = (await el.boundingBox())!;
      assert.ok(box.x >= 0 && box.x + box.width <= 390, `badge inside the screen (${box.x}+${box.width})`);
    }
    const overflow = await page.evaluate(() => (globalThis as any).document.documentElement.scrollWidth as number);
    assert.ok(overflow <= 390, `no horizontal scroll (${overflow}px)`);
    await page.screenshot({ path: 'test-artifacts/workspace-sla-390.png' });
  });
});
