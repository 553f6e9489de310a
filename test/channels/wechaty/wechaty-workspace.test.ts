import assert from 'node:assert/strict';
import { WorkspaceBrowser } from '../../helpers/browser.js';
import type { TestGateway } from '../../helpers/gateway.js';
import { loadMockLibs, mockGateway, needsWechaty, type MockLibs, type MockWeChat } from './mock-wechat.js';

const libs = await loadMockLibs();

describe('wechaty in the workspace (headless Chromium): the login QR code under Needs attention', function () {
  let wb: WorkspaceBrowser;
  let w: MockWeChat;
  let gw: TestGateway;
  before(async function () { needsWechaty(this, libs); wb = await WorkspaceBrowser.launch(this); });
  after(async () => { await wb?.close(); });
  beforeEach(async () => { ({ w, gw } = await mockGateway(libs as MockLibs, { now: 0 })); });
  afterEach(async () => {
    const pageErrors = await wb.reset();
    await gw?.close();
    assert.deepEqual(pageErrors, [], 'no uncaught error in the page');
  });

  it('a new code appears by itself while Queues is open, as a picture with its content as text, and leaves once logged in', async () => {
    const page = await wb.workspace(gw.workspaceUrl, gw.adminPassword);
    await page.locator('[data-tab=queues]').click();
    await page.locator('table.problems td', { hasText: 'Nothing needs attention.' }).waitFor();

    await w.scan('https://login.weixin.qq.com/l/QrFromTheTest');
    const row = page.locator('table.problems tr[data-channel=wechaty][data-problem=scan]');
    await row.locator('img.qr').waitFor();
    assert.match((await row.locator('img.qr').getAttribute('src'))!, /^data:image\/png;base64,/);
    const size = await row.locator('img.qr').evaluate((img: any) => [img.complete, img.naturalWidth > 0]);
    assert.deepEqual(size, [true, true], 'the PNG decodes in the browser');
    assert.equal(await row.locator('code').textContent(), 'https://login.weixin.qq.com/l/QrFromTheTest');
    assert.equal(await row.locator('button.dismiss').count(), 0, 'a login code is not dismissed by hand');
    await page.locator('table.channels tr[data-channel=wechaty][data-state=auth_failed]').waitFor();

    await w.login(gw);
    await page.locator('table.channels tr[data-channel=wechaty][data-state=connected]').waitFor();
    await page.locator('table.problems td', { hasText: 'Nothing needs attention.' }).waitFor();
  });
});
