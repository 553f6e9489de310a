import assert from 'node:assert/strict';
import { WorkspaceBrowser } from '../helpers/browser.js';
import type { Locator, Page } from 'playwright-core';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { cid, connectVisitor, type Visitor } from '../helpers/clients.js';
import { FakeVendor, fakepushConfig, vendorPost } from '../helpers/fake-vendor.js';
import { FakepushChannel } from '../fixtures/channels/fakepush/index.js';

const SECRET = 'fake-secret-1';
const PHONE = '+8613800000001';

/** Two animation frames: whatever the page scheduled for the next paint has run. */
const settle = (page: Page) => page.evaluate(() => new Promise<void>((r) => { const raf = (globalThis as any).requestAnimationFrame; raf(() => raf(() => r())); }));

describe('agent workspace UI (headless Chromium): delivery state of replies to push channels, Retry, channel health', function () {
  let gw: TestGateway;
  let vendor: FakeVendor;
  let wb: WorkspaceBrowser;
  let visitors: Visitor[] = [];
  /** The outbox's clock runs ahead of the wall clock by this much: moving it makes a waiting retry due. */
  let ahead = 0;

  before(async function () { wb = await WorkspaceBrowser.launch(this); });
  after(async () => { await wb?.close(); });
  beforeEach(async () => {
    ahead = 0;
    vendor = await new FakeVendor().listen();
    gw = await startGateway(`${fakepushConfig(vendor, SECRET)}[ratelimit]\ncustomer_quota = 0\n`,
      { channels: [new FakepushChannel()], now: () => Date.now() + ahead });
  });
  afterEach(async () => {
    const pageErrors = await wb.reset();
    for (const v of visitors) await v.socket.close();
    visitors = [];
    await gw?.close();
    await vendor?.close();
    assert.deepEqual(pageErrors, [], 'no uncaught error in the page');
  });

  const workspace = (): Promise<Page> => wb.workspace(gw.workspaceUrl, gw.adminPassword);

  /** A customer writes in over the vendor's webhook. */
  async function customerSays(text: string, name = 'Li Wei'): Promise<void> {
    const r = await vendorPost(gw.publicUrl, SECRET, { type: 'message', id: `in${cid()}`, from: PHONE, name, text });
    assert.equal(r.status, 200, JSON.stringify(r.body));
  }

  async function reply(page: Page, text: string): Promise<Locator> {
    const ta = page.locator('.composer textarea');
    await ta.fill(text);
    await ta.press('Enter');
    // The stored message (ids M…), not the pending one (a hex client id): delivery frames are about it.
    const bubble = page.locator('.log .msg.agent[data-id^=M]', { hasText: text });
    await bubble.waitFor();
    return bubble;
  }

  /** Marks a node so a later check can tell it was patched, not rebuilt. */
  const mark = (l: Locator) => l.evaluate((el: any) => { el.__kept = true; });
  const kept = (l: Locator) => l.evaluate((el: any) => el.__kept === true);

  /** What a delivery frame must never disturb: the draft, focus, selection, the very textarea node. */
  const composer = (page: Page) => page.evaluate(() => {
    const w = globalThis as any;
    const ta = w.document.querySelector('.composer textarea');
    return { value: ta.value as string, focused: w.document.activeElement === ta, sameNode: ta === w.__ta, start: ta.selectionStart, end: ta.selectionEnd };
  });
  async function draft(page: Page, text: string) {
    const ta = page.locator('.composer textarea');
    await ta.fill(text);
    await page.evaluate(() => { const w = globalThis as any; const t = w.document.querySelector('.composer textarea'); w.__ta = t; t.focus(); t.setSelectionRange(7, 12); });
    return composer(page);
  }

  it('a reply shows queued then sent, a permanent failure its reason and Retry, vendor reports delivered and read, all in place; the draft survives', async () => {
    const page = await workspace();
    await customerSays('Hi, my parcel KF-20931 still has not arrived.');
    await page.locator('.item', { hasText: 'Li Wei' }).click();
    await page.locator('.log .msg.customer', { hasText: 'KF-20931' }).waitFor();

    // Queued: the vendor is down, so the reply waits in the outbox for its next attempt.
    vendor.down = true;
    const first = await reply(page, 'Sorry to hear that! Let me check the tracking for you.');
    await first.locator('.dlv[data-state=queued]', { hasText: 'Sending…' }).waitFor();
    await eventually(() => vendor.attempts.length > 0, 'a first attempt against the down vendor');
    await mark(first);
    const before = await draft(page, 'Thanks, I will text you once the courier confirms.');
    assert.deepEqual(before, { value: 'Thanks, I will text you once the courier confirms.', focused: true, sameNode: true, start: 7, end: 12 });

    vendor.down = false;
    ahead += 60 * 60_000; // the waiting retry is due
    await first.locator('.dlv[data-state=sent]', { hasText: 'Sent' }).waitFor();
    await settle(page);
    assert.ok(await kept(first), 'the bubble was patched, not rebuilt');
    assert.deepEqual(await composer(page), before, 'queued → sent frames leave the draft, focus and selection alone');
    const vendorId = vendor.accepted.find((a) => a.text.startsWith('Sorry to hear'))!.id;
    assert.match((await first.locator('.dlv').getAttribute('title'))!, new RegExp(`vendor id ${vendorId}`));

    // A permanent failure: the reason as text, the vendor's code in the title, a Retry button.
    vendor.script = [{ status: 400, code: 'invalid_number', message: 'The number is not a mobile number' }];
    const second = await reply(page, 'Could you confirm your delivery address?');
    const failed = second.locator('.dlv[data-state=failed]');
    await failed.waitFor();
    assert.equal(await failed.locator('.reason').textContent(), 'Not delivered: The number is not a mobile number');
    assert.match((await failed.locator('.reason').getAttribute('title'))!, /^invalid_number/);
    assert.ok(await second.evaluate((el) => el.classList.contains('undelivered')));
    const retry = failed.locator('button.retry');
    assert.equal(await retry.textContent(), 'Retry');
    assert.equal(await retry.isEnabled(), true);
    await mark(second);

    // A Retry that never reaches the server says so as text, and can be clicked again.
    await page.route('**/api/messages/*/retry', (route) => route.abort('connectionrefused'));
    await retry.click();
    await failed.locator('.retry-err', { hasText: 'Retry failed:' }).waitFor();
    assert.equal(await retry.isEnabled(), true);
    await page.unroute('**/api/messages/*/retry');

    // While the request is in flight the button is disabled (the request is held here until checked).
    let release!: () => void;
    const gate = new Promise<void>((r) => { release = r; });
    let arrived!: () => void;
    const held = new Promise<void>((r) => { arrived = r; });
    await page.route('**/api/messages/*/retry', async (route) => { arrived(); await gate; await route.continue(); });
    await retry.click();
    await held;
    await failed.locator('button.retry:disabled', { hasText: 'Retrying…' }).waitFor();
    assert.equal(await failed.locator('.retry-err').count(), 0, 'the old error is gone once retrying');
    release();
    await second.locator('.dlv[data-state=sent]').waitFor();
    await page.unroute('**/api/messages/*/retry');
    assert.ok(await kept(second), 'retried in place');
    assert.ok(!(await second.evaluate((el) => el.classList.contains('undelivered'))));
    assert.ok(vendor.accepted.some((a) => a.text === 'Could you confirm your delivery address?'), 'the vendor has it now');

    // The vendor's status reports: delivered, then read (two ticks, then two blue ticks).
    const again = await draft(page, 'Thanks, I will text you once the courier confirms.');
    for (const state of ['delivered', 'read']) {
      const r = await vendorPost(gw.publicUrl, SECRET, { type: 'status', id: vendorId, state });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await first.locator(`.dlv[data-state=${state}] svg.ticks`).waitFor();
    }
    await settle(page);
    assert.equal(await first.locator('.dlv').textContent(), 'Read');
    assert.ok(await first.locator('svg.ticks.blue').count() === 1, 'read ticks are coloured');
    assert.ok(await kept(first));
    assert.deepEqual(await composer(page), again, 'status reports leave the draft, focus and selection alone');

    // A fresh page reads the same states from the history.
    await page.reload();
    await page.locator('.item', { hasText: 'Li Wei' }).click();
    await first.locator('.dlv[data-state=read]').waitFor();
    await second.locator('.dlv[data-state=sent]').waitFor();

    // The screenshot for the docs: every state side by side, with a draft in progress.
    await customerSays('Yes: 88 Nanjing Road, Jing\'an, Shanghai.');
    await page.locator('.log .msg.customer', { hasText: 'Nanjing Road' }).waitFor();
    const third = await reply(page, 'Thanks! I have asked the courier to call you before delivery.');
    await third.locator('.dlv[data-state=sent]').waitFor();
    const thirdId = vendor.accepted.find((a) => a.text.startsWith('Thanks! I have'))!.id;
    await vendorPost(gw.publicUrl, SECRET, { type: 'status', id: thirdId, state: 'delivered' });
    await third.locator('.dlv[data-state=delivered]').waitFor();
    vendor.script = [{ status: 400, code: 'content_rejected', message: 'Links are not allowed for this sender' }];
    const fourth = await reply(page, 'Here is your tracking link: https://track.example/KF-20931');
    await fourth.locator('.dlv[data-state=failed]').waitFor();
    await draft(page, 'I will send the tracking number as plain text instead.');
    await page.evaluate(() => { const t = (globalThis as any).document.querySelector('.composer textarea'); t.setSelectionRange(t.value.length, t.value.length); });
    await settle(page);
    // docs/ only when asked (KEFU_UPDATE_DOCS=1): a test run must not rewrite committed pictures.
    await page.screenshot({ path: process.env.KEFU_UPDATE_DOCS ? 'docs/workspace-delivery.png' : 'test-artifacts/workspace-delivery.png' });
  });

  it('messages to the web widget show no delivery state; the Queues view lists the fakepush channel as running', async () => {
    const page = await workspace();
    const v = await connectVisitor(gw.publicUrl);
    visitors.push(v);
    const clientId = cid();
    v.socket.send({ type: 'send', clientId, text: 'Hello from the website' });
    assert.equal((await v.socket.wait((f) => (f.type === 'ack' || f.type === 'error') && f.clientId === clientId)).type, 'ack');
    await page.locator('.item', { hasText: 'Hello from the website' }).click();
    await reply(page, 'Welcome! How can I help?');
    await v.socket.wait((f) => f.type === 'message' && f.message.content.text === 'Welcome! How can I help?');
    await settle(page);
    assert.equal(await page.locator('.log .dlv').count(), 0, 'no delivery line for the web widget');
    assert.equal(await page.locator('.log .dlv-slot:not(:empty)').count(), 0);

    await page.locator('.tabs button[data-tab=queues]').click();
    const row = page.locator('.sup table.channels tr[data-channel=fakepush]');
    await row.waitFor();
    assert.equal(await row.getAttribute('data-state'), 'running');
    assert.equal((await row.locator('td').nth(1).textContent())?.trim(), 'running');
    assert.equal(await row.locator('td.cstate.ok .cdot').count(), 1, 'a green dot');
  });
});
