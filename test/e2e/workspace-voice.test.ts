import assert from 'node:assert/strict';
import { WorkspaceBrowser } from '../helpers/browser.js';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { json } from '../helpers/clients.js';
import { FakeWechat, MP3, wechatMpConfig } from '../channels/wechat-mp/fake-wechat.js';

/** A mini-program customer's voice message in the agent's workspace: a player and its transcript, as text. */
describe('agent workspace UI (headless Chromium): voice messages', function () {
  let gw: TestGateway;
  let fake: FakeWechat;
  let wb: WorkspaceBrowser;

  before(async function () { wb = await WorkspaceBrowser.launch(this); });
  after(async () => { await wb?.close(); });
  beforeEach(async () => {
    fake = await new FakeWechat().listen();
    gw = await startGateway(wechatMpConfig(fake));
  });
  afterEach(async () => {
    const pageErrors = await wb.reset();
    await gw?.close();
    await fake?.close();
    assert.deepEqual(pageErrors, [], 'no uncaught error in the page');
  });

  it('shows an <audio controls> that loads the recording, and the transcript as text', async () => {
    const { token } = (await json(`${gw.publicUrl}/channels/wechat-mp/session`, { method: 'POST', json: { code: fake.code('o_voice_openid_1') } })).body;
    const form = new FormData();
    form.append('clientId', 'clientvoiceui1');
    form.append('duration', '2000');
    form.append('transcript', '<img src=x onerror="window.pwned=1">退货');
    form.append('file', new Blob([MP3]), 'voice.mp3');
    const up = await json(`${gw.publicUrl}/channels/wechat-mp/uploads/voice`, { method: 'POST', body: form, headers: { authorization: `Bearer ${token}` } });
    assert.equal(up.status, 201, JSON.stringify(up.body));

    const page = await wb.workspace(gw.workspaceUrl, gw.adminPassword);
    await page.locator('.item', { hasText: 'WeChat user' }).click();
    const audio = page.locator('.log .msg .voice audio');
    await audio.waitFor();
    const src = await audio.getAttribute('src');
    assert.match(src ?? '', /^\/media\/[A-Za-z0-9_-]{32}$/);
    assert.equal(await audio.evaluate((el: any) => el.controls), true);
    const fetched = await page.evaluate(async (u) => { const r = await fetch(u!); return { status: r.status, type: r.headers.get('content-type'), size: (await r.arrayBuffer()).byteLength }; }, src);
    assert.deepEqual(fetched, { status: 200, type: 'audio/mpeg', size: MP3.length });
    const caption = page.locator('.log .msg .transcript');
    assert.equal(await caption.textContent(), 'Transcript: <img src=x onerror="window.pwned=1">退货');
    assert.equal(await page.locator('.log .msg img[src=x]').count(), 0, 'user text is never markup');
  });
});
