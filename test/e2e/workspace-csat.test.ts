import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { cid, connectVisitor, loginAgent } from '../helpers/clients.js';
import { WorkspaceBrowser } from '../helpers/browser.js';
import { closeConversation, csatConfig, fakeClock, rated, surveyDue } from '../core/csat/csat-helpers.js';

describe('CSAT in the workspace side panel (headless Chromium)', function () {
  let wb: WorkspaceBrowser;
  let gw: TestGateway;
  let clock: ReturnType<typeof fakeClock>;
  before(async function () { wb = await WorkspaceBrowser.launch(this); mkdirSync('test-artifacts', { recursive: true }); });
  after(async () => { await wb?.close(); });
  beforeEach(async () => { clock = fakeClock(); gw = await startGateway(`[ratelimit]\ncustomer_quota = 0\n${csatConfig(60)}`, { now: clock.now }); });
  afterEach(async () => { assert.deepEqual(await wb.reset(), [], 'no page errors'); await gw?.close(); });

  it('the agent sees the survey scheduled, asked, then the rating and comment, live', async () => {
    const page = await wb.workspace(gw.workspaceUrl, gw.adminPassword);
    const v = await connectVisitor(gw.publicUrl);
    v.socket.send({ type: 'send', clientId: cid(), text: 'Can I change my delivery address?' });
    await page.locator('.item', { hasText: 'change my delivery' }).click();
    const id = (await page.locator('.item.on').getAttribute('data-id'))!;
    await closeConversation(gw, await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword), id);
    const side = page.locator('.side');
    await side.locator('dd', { hasText: 'survey due' }).waitFor();
    await surveyDue(gw, clock, 60_000, id);
    await side.locator('dd', { hasText: 'asked, no answer yet' }).waitFor();
    v.socket.send({ type: 'send', clientId: cid(), text: '5 lovely, thanks' });
    await rated(gw, id);
    await side.locator('dd', { hasText: '★★★★★ 5/5' }).waitFor();
    await side.locator('dd', { hasText: 'lovely, thanks' }).waitFor();
    // docs/ only when asked (KEFU_UPDATE_DOCS=1): a test run must not rewrite committed pictures.
    await page.screenshot({ path: process.env.KEFU_UPDATE_DOCS ? 'docs/workspace-csat.png' : 'test-artifacts/workspace-csat.png' });
    await v.socket.close();
  });
});
