import assert from 'node:assert/strict';
import { WorkspaceBrowser } from '../helpers/browser.js';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { FakeWechat, wechatConfig } from '../fixtures/channels/wechat/fake-wechat.js';
import { enterPush, openid, textPush, wechatPush } from '../fixtures/channels/wechat/wechat-push.js';

describe('agent workspace UI (headless Chromium): the WeChat reply window in the side panel', function () {
  let gw: TestGateway;
  let fake: FakeWechat;
  let wb: WorkspaceBrowser;

  before(async function () { wb = await WorkspaceBrowser.launch(this); });
  after(async () => { await wb?.close(); });
  beforeEach(async () => {
    fake = await new FakeWechat().listen();
    gw = await startGateway(`${wechatConfig(fake)}\n[[routing.queues]]\nname = "general"\n[[routing.queues]]\nname = "billing"\n[ratelimit]\ncustomer_quota = 0\n`);
    await eventually(() => gw.channels.isRunning('wechat'), 'wechat running');
  });
  afterEach(async () => {
    const pageErrors = await wb.reset();
    await gw?.close();
    await fake?.close();
    assert.deepEqual(pageErrors, [], 'no uncaught error in the page');
  });

  it('shows time and messages left and where the chat was opened from; a reply the agent sends counts', async () => {
    const page = await wb.workspace(gw.workspaceUrl, gw.adminPassword);
    const from = openid();
    await wechatPush(gw.publicUrl, enterPush(from, 'billing-page'));
    await wechatPush(gw.publicUrl, textPush(from, '发票什么时候开？'));
    await page.locator('.item', { hasText: '发票什么时候开' }).click();
    const row = (label: string) => page.locator('.side dt', { hasText: label }).locator('xpath=following-sibling::dd[1]');
    await page.locator('.side dt', { hasText: 'Reply window' }).waitFor();
    assert.match((await row('Reply window').textContent())!, /^4[78]h \d+m left · 5 of 5 messages$/);
    assert.equal(await row('Opened from').textContent(), 'billing-page');
    await page.locator('.composer textarea').fill('Today, by e-mail.');
    await page.locator('.composer textarea').press('Enter');
    await eventually(() => fake.sent.some((s) => s.touser === from && s.body.text?.content === 'Today, by e-mail.'), 'sent to WeChat');
    await page.locator('.side dd', { hasText: '4 of 5 messages' }).waitFor();
  });
});
