import assert from 'node:assert/strict';
import { WorkspaceBrowser } from '../../helpers/browser.js';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { FakeDingtalk, dingtalkConfig } from '../../fixtures/channels/dingtalk/fake-dingtalk.js';

describe('agent workspace UI (headless Chromium): a DingTalk employee\'s department and group in the side panel', function () {
  let gw: TestGateway;
  let fake: FakeDingtalk;
  let wb: WorkspaceBrowser;

  before(async function () { wb = await WorkspaceBrowser.launch(this); });
  after(async () => { await wb?.close(); });
  beforeEach(async () => {
    fake = await new FakeDingtalk().listen();
    gw = await startGateway(`[channels.dingtalk]\nenabled = true\n${dingtalkConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n`);
    await eventually(() => fake.open === 1, 'stream connected');
  });
  afterEach(async () => {
    const pageErrors = await wb.reset();
    await gw?.close();
    await fake?.close();
    assert.deepEqual(pageErrors, [], 'no uncaught error in the page');
  });

  it('the panel shows department, title and group; the agent\'s answer typed in the composer reaches the group with an @', async () => {
    const page = await wb.workspace(gw.workspaceUrl, gw.adminPassword);
    fake.push(fake.message({ group: true, text: '发货了吗？', session: 'g1' }));
    await page.locator('.item', { hasText: '小明' }).click();
    await page.locator('.side dt', { hasText: 'Department' }).waitFor();
    const rows = Object.fromEntries((await page.locator('.side dt').allTextContents()).map((k, i) => [k, i]));
    const dd = await page.locator('.side dd').allTextContents();
    assert.equal(dd[rows.Department], '采购部 / 华东区');
    assert.equal(dd[rows.Title], '采购经理');
    assert.equal(dd[rows.Group], '售后群');
    const ta = page.locator('.composer textarea');
    await ta.fill('今天发出。');
    await ta.press('Enter');
    await eventually(() => fake.sent.some((s) => s.text === '今天发出。'), 'answer sent');
    assert.deepEqual(fake.sent.filter((s) => s.text === '今天发出。').map((s) => [s.via, s.to, s.at]), [['session', 'g1', ['manager4711']]]);
  });
});
