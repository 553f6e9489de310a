import assert from 'node:assert/strict';
import type { Page } from 'playwright-core';
import { WorkspaceBrowser } from '../helpers/browser.js';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { cid, connectVisitor, json, loginAgent, type Visitor } from '../helpers/clients.js';

const nameOf = (v: Visitor) => `Visitor ${v.visitorId.slice(-4).toUpperCase()}`;

describe('canned replies in the workspace (headless Chromium): manage them, insert with / and the keyboard', function () {
  let gw: TestGateway;
  let wb: WorkspaceBrowser;
  let v: Visitor | undefined;

  before(async function () { wb = await WorkspaceBrowser.launch(this); });
  after(async () => { await wb?.close(); });
  beforeEach(async () => { gw = await startGateway('[ratelimit]\ncustomer_quota = 0\n'); });
  afterEach(async () => {
    const pageErrors = await wb.reset();
    await v?.socket.close();
    v = undefined;
    await gw?.close();
    assert.deepEqual(pageErrors, [], 'no uncaught error in the page');
  });

  async function addReply(page: Page, r: { scope?: string; shortcut: string; title?: string; text: string }) {
    const dlg = page.locator('dialog.canned-manager');
    if (r.scope) await dlg.locator('select[name=scope]').selectOption(r.scope);
    await dlg.locator('input[name=shortcut]').fill(r.shortcut);
    if (r.title) await dlg.locator('input[name=title]').fill(r.title);
    await dlg.locator('textarea[name=text]').fill(r.text);
    await dlg.locator('button[type=submit]').click();
    await dlg.locator('tr', { hasText: `/${r.shortcut}` }).waitFor();
  }

  it('the picker ranks replies in the workspace\'s chosen language first, not the browser\'s', async () => {
    v = await connectVisitor(gw.publicUrl);
    const clientId = cid();
    v.socket.send({ type: 'send', clientId, text: 'thanks, bye' });
    await v.socket.wait((f) => f.type === 'ack' && f.clientId === clientId);
    const admin = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    for (const [shortcut, lang, text] of [['bye-en', 'en', 'Goodbye!'], ['bye-zh', 'zh', '再见！']]) {
      const r = await json(`${gw.workspaceUrl}/api/canned`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, json: { scope: 'team', shortcut, text, lang } });
      assert.equal(r.status, 201, JSON.stringify(r.body));
    }
    const page = await wb.workspace(gw.workspaceUrl, gw.adminPassword, { viewport: { width: 1400, height: 820 } });
    assert.equal(await page.evaluate(() => (globalThis as any).navigator.language.slice(0, 2)), 'en', 'an English browser');
    await page.locator('.item', { hasText: nameOf(v) }).click();
    const ta = page.locator('.composer textarea');
    const picker = page.locator('.canned-picker:not([hidden])');
    const listed = async () => { await ta.fill(''); await ta.pressSequentially('/bye'); await picker.waitFor(); return picker.locator('li b').allTextContents(); };
    assert.deepEqual(await listed(), ['/bye-en', '/bye-zh']);
    await ta.press('Escape');
    await page.locator('.bar select.lang').selectOption('zh');
    await page.locator('.conn', { hasText: '已连接' }).waitFor();
    assert.deepEqual(await listed(), ['/bye-zh', '/bye-en'], 'switched to 中文: the Chinese reply first');
  });

  for (const viewport of [{ width: 1400, height: 820 }, { width: 390, height: 844 }]) {
    it(`at ${viewport.width}×${viewport.height}: an admin adds team and own replies; "/ref" + Enter inserts the filled-in text, Enter then sends it`, async () => {
      v = await connectVisitor(gw.publicUrl);
      const clientId = cid();
      v.socket.send({ type: 'send', clientId, text: 'I want my money back' });
      await v.socket.wait((f) => f.type === 'ack' && f.clientId === clientId);
      const page = await wb.workspace(gw.workspaceUrl, gw.adminPassword, { viewport });

      await page.locator('button.canned-open').click();
      await addReply(page, { scope: 'team', shortcut: 'refund', title: 'Refunds', text: 'Hi {customer.name}, refunds reach you in 3 days. <b>{agent.name}</b>' });
      await addReply(page, { scope: 'personal', shortcut: 'reship', text: 'We will send it again, ref {conversation.id}.' });
      const dlg = page.locator('dialog.canned-manager');
      assert.equal(await dlg.locator('tr', { hasText: '/refund' }).locator('td').nth(3).textContent(), 'Team');
      await dlg.locator('button', { hasText: 'Close' }).click();
      await dlg.waitFor({ state: 'detached' });

      await page.locator('.item', { hasText: nameOf(v) }).click();
      await page.locator('.log .msg.customer', { hasText: 'I want my money back' }).waitFor();
      const ta = page.locator('.composer textarea');
      await ta.click();
      await ta.pressSequentially('/re');
      const picker = page.locator('.canned-picker:not([hidden])');
      await picker.waitFor();
      assert.deepEqual(await picker.locator('li b').allTextContents(), ['/reship', '/refund'], 'my own first, then the team\'s');
      // docs/ only when asked (KEFU_UPDATE_DOCS=1): a test run must not rewrite committed pictures.
      if (viewport.width >= 980) await page.screenshot({ path: process.env.KEFU_UPDATE_DOCS ? 'docs/canned-replies.png' : 'test-artifacts/canned-replies.png' });
      await ta.pressSequentially('f');
      await eventually(async () => (await picker.locator('li b').allTextContents())[0] === '/refund', 'filtered');
      assert.deepEqual(await picker.locator('li b').allTextContents(), ['/refund', '/reship'], 'the shortcut match first, then the one whose text says "ref"');
      await ta.press('Enter');
      await page.locator('.canned-picker[hidden]').waitFor({ state: 'attached' });
      assert.equal(await ta.inputValue(), `Hi ${nameOf(v)}, refunds reach you in 3 days. <b>admin</b>`.replace('admin', await page.locator('.bar .me').textContent() ?? ''));
      await ta.press('Enter'); // now it sends
      const got = await v.socket.wait((f) => f.type === 'message' && f.message.from.role === 'agent');
      assert.match(got.message.content.text, /^Hi Visitor .*, refunds reach you in 3 days\. <b>/, 'the customer gets the text as written, markup and all');
      await page.locator('.log .msg.agent', { hasText: 'refunds reach you' }).waitFor();
      assert.equal(await page.locator('.log .msg.agent b').count(), 0, 'shown as text, never parsed as HTML');

      // Escape closes the picker and leaves what was typed.
      await ta.pressSequentially('/res');
      await picker.waitFor();
      await ta.press('Escape');
      await page.locator('.canned-picker[hidden]').waitFor({ state: 'attached' });
      assert.equal(await ta.inputValue(), '/res');
      const conv = await eventually(async () => (await gw.store.listConversations({ limit: 5 }))[0], 'the conversation');
      // Tab inserts too; the variables come from this conversation.
      await ta.fill('');
      await ta.pressSequentially('/resh');
      await picker.waitFor();
      await ta.press('Tab');
      assert.equal(await ta.inputValue(), `We will send it again, ref ${conv.id}.`);
    });
  }
});
