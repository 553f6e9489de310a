import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Locator, Page } from 'playwright-core';
import { workspaceSuite } from '../helpers/browser.js';
import { say, type Visitor } from '../helpers/clients.js';

const nameOf = (v: Visitor) => `Visitor ${v.visitorId.slice(-4).toUpperCase()}`;
const H = 3600_000;

/** docs/ only when asked (KEFU_UPDATE_DOCS=1): a test run must not rewrite committed pictures. */
function shot(page: Page, name: string): Promise<Buffer> {
  mkdirSync('test-artifacts', { recursive: true });
  return page.screenshot({ path: process.env.KEFU_UPDATE_DOCS ? `docs/${name}` : `test-artifacts/${name}` });
}

/** Inside the viewport (and wider than a sliver): reachable without scrolling sideways. */
async function inside(l: Locator, width: number, height: number): Promise<boolean> {
  const b = await l.boundingBox();
  return !!b && b.width > 40 && b.x >= -0.5 && b.x + b.width <= width + 0.5 && b.y >= -0.5 && b.y + b.height <= height + 0.5;
}

/**
 * A fake Notification (records what would be shown; permission granted when asked), a tab whose
 * visibility the test sets (__hidden), and a count of the tones WebAudio was asked to play.
 */
function pageHooks(): void {
  const w = globalThis as any;
  w.__notes = [];
  w.__asks = 0;
  w.__tones = 0;
  w.__hidden = false;
  class FakeNotification {
    static permission = 'default';
    static requestPermission() { w.__asks++; FakeNotification.permission = 'granted'; return Promise.resolve('granted'); }
    onclick: (() => void) | null = null;
    constructor(title: string, o?: { body?: string; tag?: string }) { w.__notes.push({ title, body: o?.body, tag: o?.tag }); }
    close() {}
  }
  w.Notification = FakeNotification;
  Object.defineProperty(w.document, 'visibilityState', { get: () => (w.__hidden ? 'hidden' : 'visible') });
  const make = w.AudioContext.prototype.createOscillator;
  w.AudioContext.prototype.createOscillator = function (this: unknown) { w.__tones++; return make.call(this); };
}

/** A browser where notifications fail: asking rejects, showing one throws. console.warn is recorded. */
function brokenNotifyHooks(): void {
  const w = globalThis as any;
  w.__warns = [];
  w.__hidden = false;
  const warn = console.warn.bind(console);
  console.warn = (...a: unknown[]) => { w.__warns.push(a.map(String).join(' ')); warn(...a); };
  class ThrowingNotification {
    static permission = 'default';
    static requestPermission() { return Promise.reject(new Error('no permission API here')); }
    constructor() { throw new TypeError('Illegal constructor'); }
  }
  w.Notification = ThrowingNotification;
  w.__toasts = [];
  new w.MutationObserver((records: any[]) => { for (const r of records) for (const n of r.addedNodes) if ((n as any).classList?.contains('toast')) w.__toasts.push((n as any).textContent); })
    .observe(w.document, { childList: true, subtree: true });
  Object.defineProperty(w.document, 'visibilityState', { get: () => (w.__hidden ? 'hidden' : 'visible') });
}

describe('workspace search, labels, snooze, notifications and 中文 (headless Chromium)', function () {
  let offset = 0;
  beforeEach(() => { offset = 0; });
  const t = workspaceSuite('[ratelimit]\ncustomer_quota = 0\n[ai]\nenabled = false\n', { now: () => Date.now() + offset });
  const visitor = t.visitor;
  const page = (viewport = { width: 1400, height: 820 }) => t.wb.workspace(t.gw.workspaceUrl, t.gw.adminPassword, { viewport, init: pageHooks });

  async function searchFor(p: Page, words: string): Promise<void> {
    await p.locator('button.search-open').click();
    await p.locator('.search-dialog input[name=q]').fill(words);
    await p.locator('.search-dialog button[type=submit]').click();
  }

  it('at 1400 px: Chinese words find the message far up a long conversation; the result opens it there, marked; filters narrow it', async () => {
    const a = await visitor('你好', '我的订单还没有发货，可以申请退款吗？', ...Array.from({ length: 45 }, (_, i) => `后续消息 ${i + 1}`));
    const b = await visitor('Where is my refund? 退款 please');
    await t.gw.bus.idle();
    await t.gw.searchIndex.idle();
    const p = await page();
    await searchFor(p, '退款');
    const hits = p.locator('.search-dialog .search-hit');
    await hits.nth(1).waitFor();
    assert.deepEqual(await hits.locator('b').allInnerTexts(), [nameOf(b), nameOf(a)], 'newest first');
    assert.deepEqual(await hits.nth(1).locator('mark').allInnerTexts(), ['退款'], 'the word is marked, as text');
    assert.match(await p.locator('.search-summary').innerText(), /^2 messages$/);
    await shot(p, 'workspace-search.png');

    await p.locator('.search-dialog select[name=status]').selectOption('resolved');
    await p.locator('.search-summary', { hasText: 'No message matches' }).waitFor();
    await p.locator('.search-dialog select[name=status]').selectOption('');
    await hits.nth(1).waitFor();
    await p.locator('.search-dialog input[name=q]').fill('发货');
    await p.locator('.search-dialog button[type=submit]').click();
    await p.locator('.search-summary', { hasText: /^1 message$/ }).waitFor();
    await hits.first().click();

    await p.locator('.search-dialog').waitFor({ state: 'detached' }); // the dialog closed (removed on its close event)
    const found = p.locator('.log .msg.found', { hasText: '可以申请退款吗' });
    await found.waitFor();
    const log = await p.locator('.log').boundingBox();
    const box = (await found.boundingBox())!;
    assert.ok(box.y >= log!.y && box.y + box.height <= log!.y + log!.height, 'the message is in view in the log');
    assert.equal(await p.locator('.chat .head .who').innerText(), nameOf(a));

    // A resolved conversation is not in the list; its result still opens it.
    const conv = (await t.gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: b.visitorId }))!;
    await t.gw.assigner.resolve(conv, { id: 'system', role: 'system', name: 'kefu' });
    await p.locator('.item', { hasText: nameOf(b) }).waitFor({ state: 'detached' });
    await searchFor(p, 'refund');
    await hits.first().click();
    await p.locator('.log .msg.found', { hasText: 'Where is my refund?' }).waitFor();
    assert.equal(await p.locator('.chat .head .who').innerText(), nameOf(b));
  });

  it('labels: added from the chat (composer untouched), shown on the row, a search filter; snooze leaves Mine, waits in Snoozed, comes back by time and by reply', async () => {
    const a = await visitor('the parcel arrived broken');
    const b = await visitor('my parcel is late');
    const p = await page();
    const rowA = p.locator('.item', { hasText: nameOf(a) });
    await rowA.click();
    const ta = p.locator('.composer textarea');
    await ta.fill('Sorry to hear that');
    await p.evaluate(() => { const w = globalThis as any; w.__ta = w.document.querySelector('.composer textarea'); });
    await p.locator('.labels .label-add').fill('破损');
    await p.locator('.labels .label-add').press('Enter');
    await p.locator('.labels .label[data-label="破损"]').waitFor();
    await rowA.locator('.label', { hasText: '破损' }).waitFor();
    await p.locator('.labels .label-add').fill('vip');
    await p.locator('.labels .label-add').press('Enter');
    await p.locator('.labels .label[data-label="vip"] .x').click();
    await p.locator('.labels .label[data-label="vip"]').waitFor({ state: 'detached' });
    assert.equal(await p.evaluate(() => { const w = globalThis as any; return w.document.querySelector('.composer textarea') === w.__ta; }), true, 'the composer was not rebuilt');
    assert.equal(await ta.inputValue(), 'Sorry to hear that');
    await t.gw.searchIndex.idle();
    await searchFor(p, 'parcel');
    await p.locator('.search-hit').nth(1).waitFor();
    await p.locator('.search-dialog select[name=label]').selectOption('破损');
    await p.locator('.search-summary', { hasText: /^1 message$/ }).waitFor();
    await p.locator('.search-dialog input[name=q]').fill('');
    await p.locator('.search-dialog select[name=label]').selectOption('');
    await p.locator('.search-dialog select[name=label]').selectOption('破损');
    await p.locator('.search-customers h4', { hasText: 'Labelled 破损 (1)' }).waitFor();
    assert.deepEqual(await p.locator('.search-customers .search-customer > span:first-of-type').allInnerTexts(), [nameOf(a)]);
    await p.locator('.search-close').click();

    // Both were assigned to the admin (online): Mine has two until one is snoozed.
    const tab = (name: string) => p.locator(`.tabs [data-tab=${name}]`);
    await tab('mine').filter({ hasText: '(2)' }).waitFor();
    await p.locator('.chat .head select.snooze').selectOption('1h');
    await tab('mine').filter({ hasText: '(1)' }).waitFor();
    await tab('snoozed').filter({ hasText: '(1)' }).waitFor();
    await p.locator('.chat .head select.snooze option', { hasText: /^Snoozed until/ }).waitFor({ state: 'attached' });
    assert.equal(await ta.inputValue(), 'Sorry to hear that', 'the draft survived the snooze');
    await tab('snoozed').click();
    await rowA.locator('.chip.snoozed').waitFor();
    await shot(p, 'workspace-snooze.png');

    offset = 2 * H;
    t.gw.snoozes.check();
    await tab('snoozed').filter({ hasText: '(0)' }).waitFor();
    await tab('mine').filter({ hasText: '(2)' }).waitFor();
    await p.locator('.toast', { hasText: `${nameOf(a)} is back from snooze` }).waitFor();

    await tab('mine').click();
    await p.locator('.item', { hasText: nameOf(b) }).click();
    // The pane is swapped on the next frame: until then the head is still a's.
    await p.locator('.chat .head .who', { hasText: nameOf(b) }).waitFor();
    await p.locator('.chat .head select.snooze').selectOption('reply');
    await tab('mine').filter({ hasText: '(1)' }).waitFor();
    await say(b, 'any news?');
    await tab('mine').filter({ hasText: '(2)' }).waitFor();
    await tab('snoozed').filter({ hasText: '(0)' }).waitFor();
  });

  it('in the background: a reply and a new assignment notify (permission asked once, on a click) with a tone, and the title counts unread', async () => {
    const a = await visitor('first question');
    const p = await page();
    await p.locator('.item', { hasText: nameOf(a) }).click();
    await p.locator('.log .msg.customer', { hasText: 'first question' }).waitFor();
    assert.equal(await p.evaluate(() => (globalThis as any).__asks), 1, 'asked on the first click');
    await p.locator('.composer textarea').click();
    assert.equal(await p.evaluate(() => (globalThis as any).__asks), 1, 'and only once');

    await say(a, 'seen while looking');
    await p.locator('.log .msg.customer', { hasText: 'seen while looking' }).waitFor();
    assert.deepEqual(await p.evaluate(() => (globalThis as any).__notes), [], 'nothing while the agent looks at the tab');

    await p.evaluate(() => { (globalThis as any).__hidden = true; });
    await say(a, 'are you there?');
    await p.waitForFunction(() => (globalThis as any).__notes.length === 1);
    const [note] = await p.evaluate(() => (globalThis as any).__notes);
    assert.deepEqual({ title: note.title, body: note.body }, { title: `${nameOf(a)} replied`, body: 'are you there?' });
    await p.waitForFunction(() => (globalThis as any).document.title.startsWith('(1) '));
    assert.ok(await p.evaluate(() => (globalThis as any).__tones) >= 2, 'two tones of the chime');

    const b = await visitor('a new customer');
    await p.waitForFunction(() => (globalThis as any).__notes.length === 2);
    assert.equal(await p.evaluate(() => (globalThis as any).__notes[1].title), `New conversation: ${nameOf(b)}`);
    await say(b, 'hello?');
    await p.waitForFunction(() => (globalThis as any).document.title.startsWith('(3) '));

    await p.evaluate(() => { const w = globalThis as any; w.__hidden = false; w.document.dispatchEvent(new w.Event('visibilitychange')); });
    await p.waitForFunction(() => (globalThis as any).document.title.startsWith('(2) '), undefined, { timeout: 5000 });
    await p.locator('.item', { hasText: nameOf(b) }).click();
    await p.waitForFunction(() => !(globalThis as any).document.title.startsWith('('));
    await p.reload();
    await p.locator('.conn', { hasText: 'Connected' }).waitFor();
    await p.locator('.item').first().click();
    assert.equal(await p.evaluate(() => (globalThis as any).__asks), 0, 'not asked again after a reload');
  });

  for (const viewport of [{ width: 1400, height: 820 }, { width: 375, height: 667 }]) it(`at ${viewport.width} px: notifications that fail (asking rejects, showing throws) are logged and said once; the title still counts`, async () => {
    const a = await visitor('first question');
    const p = await t.wb.workspace(t.gw.workspaceUrl, t.gw.adminPassword, { viewport, init: brokenNotifyHooks });
    await p.locator('.item', { hasText: nameOf(a) }).click();
    await p.waitForFunction(() => (globalThis as any).__warns.some((x: string) => x.includes('permission request failed')));
    const toast = p.locator('.toast', { hasText: 'Desktop notifications do not work in this browser' });
    await toast.waitFor();
    assert.ok(await inside(toast, viewport.width, viewport.height), 'the notice fits the screen');

    // Granted, but the constructor throws (Chrome on Android without a service worker does).
    await p.evaluate(() => { const w = globalThis as any; w.Notification.permission = 'granted'; w.__hidden = true; });
    await say(a, 'are you there?');
    await p.waitForFunction(() => (globalThis as any).__warns.some((x: string) => x.includes('notification failed') && x.includes('Illegal constructor')));
    await p.waitForFunction(() => (globalThis as any).document.title.startsWith('(1) '));
    await say(a, 'hello??');
    await p.waitForFunction(() => (globalThis as any).document.title.startsWith('(2) '));
    const toasts: string[] = await p.evaluate(() => (globalThis as any).__toasts);
    assert.equal(toasts.filter((x) => x.startsWith('Desktop notifications do not work')).length, 1, `said once, not per message: ${toasts.join(' | ')}`);
  });

  it('中文: follows the browser\'s language, switches in the bar (draft kept) and remembers it', async () => {
    const a = await visitor('请问什么时候发货？');
    await t.gw.searchIndex.idle();
    const ctx = await t.wb.browser.newContext({ locale: 'zh-CN', viewport: { width: 1400, height: 820 } });
    try {
      const zh = await ctx.newPage();
      await zh.goto(t.gw.workspaceUrl);
      assert.equal(await zh.locator('button[type=submit]').innerText(), '登录');
      assert.equal(await zh.locator('input[name=login]').getAttribute('placeholder'), '账号');
    } finally { await ctx.close(); }

    const p = await page();
    await p.locator('.item', { hasText: nameOf(a) }).click();
    await p.locator('.composer textarea').fill('马上为您查询');
    await p.locator('.bar select.lang').selectOption('zh');
    await p.locator('.conn', { hasText: '已连接' }).waitFor();
    assert.deepEqual((await p.locator('.tabs button').allInnerTexts()).map((x) => x.replace(/ \(\d+\)$/, '')), ['我的', '排队中', '已暂缓', '全部', '队列']);
    assert.equal(await p.locator('.composer textarea').inputValue(), '马上为您查询', 'the draft survived the switch');
    assert.equal(await p.locator('.composer button.primary').innerText(), '发送');
    await p.locator('.item .chip.assigned', { hasText: '已接入' }).waitFor();
    await p.locator('.item .when', { hasText: '刚刚' }).waitFor();
    assert.equal(await p.locator('.labels .label-add').getAttribute('placeholder'), '添加标签…');
    // The side panel's customer details and contact, the server-written events and made-up names: Chinese too.
    assert.deepEqual((await p.locator('.side > div > dl > dt').allInnerTexts()).slice(0, 4), ['姓名', 'ID', '渠道', '队列']);
    await p.locator('.side .contact h3', { hasText: '联系人' }).waitFor();
    await p.locator('.side .contact label', { hasText: '公司' }).waitFor();
    await p.locator('.side .contact .chip.verified', { hasText: '已验证' }).first().waitFor();
    await p.locator('.log .event', { hasText: /已接入会话$/ }).waitFor();
    assert.match(await p.locator('.chat .head .who').innerText(), /^访客 [A-Z0-9_-]{4}$/);
    await searchFor(p, '发货');
    await p.locator('.search-summary', { hasText: '1 条消息' }).waitFor();
    await shot(p, 'workspace-zh.png');
    await p.locator('.search-close').click();
    await p.reload();
    await p.locator('.conn', { hasText: '已连接' }).waitFor();
    assert.equal(await p.evaluate(() => (globalThis as any).document.documentElement.lang), 'zh-CN');
  });

  it('at 390×844: search, labels and snooze fit the phone; a result opens its conversation with the back button', async () => {
    await visitor('我要退款', 'order 778899');
    await t.gw.bus.idle();
    await t.gw.searchIndex.idle();
    const p = await page({ width: 390, height: 844 });
    assert.equal(await p.evaluate(() => (globalThis as any).document.documentElement.scrollWidth), 390, 'nothing sticks out sideways');
    await searchFor(p, '778899');
    const hit = p.locator('.search-hit').first();
    await hit.waitFor();
    assert.ok(await inside(hit, 390, 844), 'the result is on screen');
    assert.ok(await inside(p.locator('.search-dialog input[name=q]'), 390, 844));
    await hit.click();
    await p.locator('.log .msg.found', { hasText: 'order 778899' }).waitFor();
    assert.ok(await inside(p.locator('.labels .label-add'), 390, 844), 'the label input is on screen');
    assert.ok(await inside(p.locator('.chat .head select.snooze'), 390, 844), 'the snooze menu is on screen');
    assert.ok(await inside(p.locator('.composer textarea'), 390, 844));
    await p.locator('.head .back').click();
    await p.locator('.list-foot select.lang-foot').waitFor();
    assert.ok(await inside(p.locator('.list-foot select.lang-foot'), 390, 844), 'the language switch is at the foot of the list');
  });
});
