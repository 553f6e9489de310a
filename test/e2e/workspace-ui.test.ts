import assert from 'node:assert/strict';
import { workspaceSuite } from '../helpers/browser.js';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { eventually } from '../helpers/gateway.js';
import { say, cid, json, loginAgent, type Visitor } from '../helpers/clients.js';


/** A real PNG of the given size (one flat colour), so the browser decodes it and the server reads its size. */
function png(width: number, height: number): Buffer {
  const crcTable = Array.from({ length: 256 }, (_, n) => { let c = n; for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1; return c >>> 0; });
  const crc = (b: Buffer) => { let c = 0xffffffff; for (const x of b) c = crcTable[(c ^ x) & 0xff] ^ (c >>> 8); return (c ^ 0xffffffff) >>> 0; };
  const chunk = (type: string, data: Buffer) => {
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const out = Buffer.alloc(td.length + 8);
    out.writeUInt32BE(data.length, 0);
    td.copy(out, 4);
    out.writeUInt32BE(crc(td), td.length + 4);
    return out;
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.alloc(width * 3, 0x5a)]);
  const raw = Buffer.concat(Array.from({ length: height }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

const nameOf = (v: Visitor) => `Visitor ${v.visitorId.slice(-4).toUpperCase()}`;

/** Two animation frames: whatever the page scheduled for the next paint has run. */
const settle = (page: Page) => page.evaluate(() => new Promise<void>((r) => { const raf = (globalThis as any).requestAnimationFrame; raf(() => raf(() => r())); }));

describe('agent workspace UI (headless Chromium): live updates keep the agent\'s work, files, team load, layout', function () {
  const t = workspaceSuite('[ratelimit]\ncustomer_quota = 0\n');
  const visitor = t.visitor;

  async function workspace(viewport = { width: 1400, height: 820 }): Promise<Page> {
    // Counts timers of a second or more, to see how the page handles a flood of typing frames.
    return t.wb.workspace(t.gw.workspaceUrl, t.gw.adminPassword, { viewport, init: () => {
      const w = globalThis as any;
      w.__longTimers = 0;
      const orig = w.setTimeout;
      w.setTimeout = (fn: any, ms?: number, ...rest: any[]) => { if ((ms ?? 0) >= 1000) w.__longTimers++; return orig(fn, ms, ...rest); };
    } });
  }

  /** What an event must never disturb: the draft, focus, selection, and where the log is scrolled to. */
  const composerState = (page: Page) => page.evaluate(() => {
    const w = globalThis as any;
    const ta = w.document.querySelector('.composer textarea');
    const log = w.document.querySelector('.log');
    return { value: ta.value as string, focused: w.document.activeElement === ta, sameNode: ta === w.__ta,
      start: ta.selectionStart, end: ta.selectionEnd, scrollTop: log.scrollTop };
  });

  it('events elsewhere and in the open conversation keep the draft, focus, selection and scroll; each conversation keeps its own draft', async () => {
    const a = await visitor('A: hello');
    for (let i = 1; i <= 40; i++) await say(a, `A: message ${i}, long enough to take a line or two in the log of the workspace`);
    const b = await visitor('B: hello');
    const page = await workspace();
    await page.locator('.item', { hasText: nameOf(a) }).click();
    await page.locator('.log .msg.customer', { hasText: 'message 40,' }).waitFor();

    const draftA = 'Dear customer,\nthank you for your patience. Your order';
    const ta = page.locator('.composer textarea');
    await ta.fill(draftA);
    await page.evaluate(() => {
      const w = globalThis as any;
      const t = w.document.querySelector('.composer textarea');
      w.__ta = t;
      t.setSelectionRange(5, 13);
      w.document.querySelector('.log').scrollTop = 150;
    });
    await settle(page);
    const before = await composerState(page);
    assert.deepEqual(before, { value: draftA, focused: true, sameNode: true, start: 5, end: 13, scrollTop: 150 });

    await say(b, 'B: a message in another conversation');
    await page.locator('.item .sub', { hasText: 'B: a message in another conversation' }).waitFor();
    await settle(page);
    assert.deepEqual(await composerState(page), before, 'a message in another conversation changes nothing in the open one');

    await say(a, 'A: one more while you were scrolled up');
    await page.locator('.log .msg.customer', { hasText: 'one more while you were scrolled up' }).waitFor();
    await settle(page);
    assert.deepEqual(await composerState(page), before, 'a message in the open conversation does not yank the log to the bottom');

    // At the bottom, the log follows new messages.
    await page.evaluate(() => { const log = (globalThis as any).document.querySelector('.log'); log.scrollTop = log.scrollHeight; });
    await settle(page);
    await say(a, 'A: and one at the bottom');
    await page.locator('.log .msg.customer', { hasText: 'and one at the bottom' }).waitFor();
    await settle(page);
    const gap = await page.evaluate(() => { const log = (globalThis as any).document.querySelector('.log'); return log.scrollHeight - log.scrollTop - log.clientHeight as number; });
    assert.ok(gap <= 2, `log still at the bottom (gap ${gap}px)`);
    assert.equal((await composerState(page)).value, draftA);

    // Switching conversations keeps each one's draft.
    await page.locator('.item', { hasText: nameOf(b) }).click();
    await page.locator('.log .msg.customer', { hasText: 'B: hello' }).waitFor();
    assert.equal(await ta.inputValue(), '', 'B has no draft yet');
    await ta.fill('Draft for B');
    await page.locator('.item', { hasText: nameOf(a) }).click();
    await page.locator('.log .msg.customer', { hasText: 'A: hello' }).waitFor();
    assert.equal(await ta.inputValue(), draftA, "A's draft is back");
    await page.locator('.item', { hasText: nameOf(b) }).click();
    await page.locator('.log .msg.customer', { hasText: 'B: hello' }).waitFor();
    assert.equal(await ta.inputValue(), 'Draft for B', "B's draft is back");
  });

  it('a flood of typing frames touches only the typing indicator and arms no timer per frame', async () => {
    const a = await visitor('A: hello');
    const b = await visitor('B: hello');
    const page = await workspace();
    await page.locator('.item', { hasText: nameOf(a) }).click();
    await page.locator('.log .msg.customer', { hasText: 'A: hello' }).waitFor();
    await page.locator('.composer textarea').fill('half-written answer');
    await settle(page);
    await page.evaluate(() => {
      const w = globalThis as any;
      w.__longTimers = 0;
      w.__mutations = [];
      new w.MutationObserver((records: any[]) => {
        for (const r of records) {
          const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
          if (!el.closest('.typing')) w.__mutations.push(`${r.type} ${el.tagName}.${el.className}`);
        }
      }).observe(w.document.body, { subtree: true, childList: true, characterData: true, attributes: true });
    });
    for (let i = 0; i < 500; i++) a.socket.send({ type: 'typing' });
    await page.locator('.typing', { hasText: 'is typing' }).waitFor();
    // B's message comes after the flood: once its row shows it, the flood has been handled.
    await say(b, 'B: after the flood');
    await page.locator('.item .sub', { hasText: 'B: after the flood' }).waitFor();
    await settle(page);
    const { mutations, longTimers } = await page.evaluate(() => ({ mutations: (globalThis as any).__mutations as string[], longTimers: (globalThis as any).__longTimers as number }));
    const outsideList = mutations.filter((m) => !/\.(items|item|text|name|sub|when|unread|chip)\b/.test(m));
    assert.deepEqual(outsideList, [], 'only the typing indicator (and B\'s row in the list) changed');
    assert.ok(longTimers <= 2, `one indicator timer per conversation, not one per frame (${longTimers} armed)`);
    assert.equal(await page.locator('.composer textarea').inputValue(), 'half-written answer');
    // The indicator goes away by itself (the give-up here is generous, not a timing requirement).
    await page.waitForFunction(() => (globalThis as any).document.querySelector('.typing').textContent === '', null, { timeout: 15_000 });
  });

  it('files show as a file chip with name, size and a download link; images keep their size; captions show as text', async () => {
    const a = await visitor('A: here come the documents');
    const page = await workspace();
    await page.locator('.item', { hasText: nameOf(a) }).click();
    await page.locator('.log .msg.customer', { hasText: 'documents' }).waitFor();

    // A non-image file as another channel would store it, sent by the visitor with a caption in markup.
    const fileId = randomBytes(24).toString('base64url');
    writeFileSync(join(t.gw.dir, 'media', fileId), Buffer.alloc(12_345, 'a'));
    await t.gw.store.putMedia({ id: fileId, mime: 'application/pdf', size: 12_345, name: 'invoice-2024.pdf', owner: 'test', createdAt: new Date() });
    await say(a, { attachments: [{ mediaId: fileId }], caption: '<b>Invoice</b> attached' });

    // An image uploaded and sent in one request: the server reads its size from the PNG header.
    const form = new FormData();
    form.append('clientId', cid());
    form.append('caption', 'Photo of the box');
    form.append('file', new Blob([png(120, 80)], { type: 'image/png' }), 'box.png');
    const up = await fetch(`${t.gw.publicUrl}/v1/visitor/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${a.token}` }, body: form });
    assert.equal(up.status, 201, await up.text());

    const chip = page.locator('.msg.customer a.file', { hasText: 'invoice-2024.pdf' });
    await chip.waitFor();
    assert.match(await chip.innerText(), /12\.3 kB/);
    assert.equal(await chip.getAttribute('href'), `/media/${fileId}`);
    assert.equal(await page.locator(`.msg img[src*="${fileId}"]`).count(), 0, 'a file is not shown as a (broken) image');
    const caption = page.locator('.msg.customer .caption', { hasText: '<b>Invoice</b> attached' });
    await caption.waitFor();
    assert.equal(await page.locator('.msg .caption b').count(), 0, 'the caption is text, never markup');
    const [download] = await Promise.all([page.waitForEvent('download'), chip.click()]);
    assert.equal(download.suggestedFilename(), 'invoice-2024.pdf');
    assert.equal((await download.createReadStream().then(async (s) => { let n = 0; for await (const c of s) n += c.length; return n; })), 12_345);

    const img = page.locator('.msg.customer img');
    await img.waitFor();
    assert.equal(await img.getAttribute('width'), '120');
    assert.equal(await img.getAttribute('height'), '80');
    await page.waitForFunction(() => (globalThis as any).document.querySelector('.msg.customer img').complete);
    const box = (await img.boundingBox())!;
    assert.deepEqual([Math.round(box.width), Math.round(box.height)], [120, 80]);
    await page.locator('.msg.customer .caption', { hasText: 'Photo of the box' }).waitFor();
  });

  it('the team panel shows the same load as the server after assignments and closes', async () => {
    const page = await workspace();
    const token = await loginAgent(t.gw.workspaceUrl, 'admin', t.gw.adminPassword);
    const serverLoad = async () => {
      const r = await json(`${t.gw.workspaceUrl}/api/agents`, { headers: { Authorization: `Bearer ${token}` } });
      const me = r.body.agents.find((x: any) => x.name === 'Admin');
      return `${me.load}/${me.capacity}`;
    };
    const team = page.locator('.side .agent-row', { hasText: 'Admin' });
    await team.filter({ hasText: '0/5' }).waitFor();

    const a = await visitor('A: hello');
    await page.locator('.item', { hasText: nameOf(a) }).waitFor();
    await eventually(async () => (await serverLoad()) === '1/5', 'the server counts the assignment');
    await team.filter({ hasText: '1/5' }).waitFor({ timeout: 10_000 });

    const b = await visitor('B: hello');
    await page.locator('.item', { hasText: nameOf(b) }).waitFor();
    await team.filter({ hasText: '2/5' }).waitFor({ timeout: 10_000 });

    const convs = await json(`${t.gw.workspaceUrl}/api/conversations?status=assigned`, { headers: { Authorization: `Bearer ${token}` } });
    const closed = await json(`${t.gw.workspaceUrl}/api/conversations/${convs.body.conversations[0].id}/close`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, json: {} });
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    await team.filter({ hasText: '1/5' }).waitFor({ timeout: 10_000 });
    assert.equal(await serverLoad(), '1/5');
  });

  it('a 2,000-character preview is cut with an ellipsis and the time/status column stays inside the list', async () => {
    const a = await visitor('A: hello');
    const page = await workspace();
    const row = page.locator('.item', { hasText: nameOf(a) });
    await row.waitFor();
    await say(a, 'x'.repeat(2000));
    await row.locator('.sub', { hasText: 'xxxxxxxxxx' }).waitFor();
    const check = async (state: string) => {
      const list = (await page.locator('.list').boundingBox())!;
      const when = (await row.locator('.when').boundingBox())!;
      const sub = (await row.locator('.sub').boundingBox())!;
      assert.ok(when.x >= list.x && when.x + when.width <= list.x + list.width + 0.5,
        `${state}: time column inside the list: when [${when.x}, ${when.x + when.width}] list [${list.x}, ${list.x + list.width}]`);
      assert.ok(sub.x + sub.width <= when.x + 0.5, `${state}: the preview ends before the time column`);
      const truncated = await row.locator('.sub').evaluate((el) => ({ cut: el.scrollWidth > el.clientWidth, style: (globalThis as any).getComputedStyle(el).textOverflow }));
      assert.deepEqual(truncated, { cut: true, style: 'ellipsis' }, state);
    };
    await check('with the unread badge');
    // Opened, the row shows the wider status chip instead of the unread count.
    await row.click();
    await row.locator('.chip', { hasText: 'assigned' }).waitFor();
    await check('with the status chip');
  });

  it('at 390×844 the list and the conversation are both reachable', async () => {
    const a = await visitor('A: hello from a phone-sized screen');
    const page = await workspace({ width: 390, height: 844 });
    const inside = async (sel: string) => {
      const b = await page.locator(sel).first().boundingBox();
      return !!b && b.width > 100 && b.x >= -0.5 && b.x + b.width <= 390.5 && b.y + b.height <= 844.5;
    };
    const row = page.locator('.item', { hasText: nameOf(a) });
    await row.waitFor();
    assert.ok(await inside('.item'), 'the list is on screen');
    await row.click();
    await page.locator('.log .msg.customer', { hasText: 'phone-sized' }).waitFor();
    assert.ok(await inside('.log'), 'the conversation is on screen');
    assert.ok(await inside('.composer textarea'), 'the reply box is on screen');
    await page.locator('.composer textarea').fill('Typed on a phone');
    await page.locator('.head .back').click();
    await row.waitFor();
    assert.ok(await inside('.item'), 'back to the list');
    await row.click();
    assert.equal(await page.locator('.composer textarea').inputValue(), 'Typed on a phone');
  });
});
