import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { WorkspaceBrowser } from '../helpers/browser.js';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { FakeTwilio, inbound, smsConfig, twilioPost } from '../channels/sms/fake-twilio.js';
import { identitySignature } from '../../core/contacts/identify-signature.js';

delete process.env.TWILIO_REGION;
delete process.env.TWILIO_EDGE;

const SECRET = 'shop-identity-secret-e2e-0001';
const PHONE = '+15557654321';
const USER = 'u-42';

describe('contacts (headless Chromium): a signed shop user on two devices and SMS, one contact in the side panel', function () {
  let gw: TestGateway;
  let fake: FakeTwilio;
  let wb: WorkspaceBrowser;

  before(async function () { wb = await WorkspaceBrowser.launch(this); mkdirSync('test-artifacts', { recursive: true }); });
  after(async () => { await wb?.close(); });
  beforeEach(async () => {
    fake = await new FakeTwilio().listen();
    gw = await startGateway(`${smsConfig(fake)}\n[channels.web]\nidentity_secret = "${SECRET}"\n[contacts]\nattributes = ["plan"]\n[ratelimit]\ncustomer_quota = 0\n`);
    await eventually(() => gw.channels.isRunning('sms'), 'sms running');
  });
  afterEach(async () => {
    const pageErrors = await wb.reset();
    await gw?.close();
    await fake?.close();
    assert.deepEqual(pageErrors, [], 'no uncaught error in the page');
  });

  /** The shop's page: the widget, then identify() with what the shop's backend signed. */
  async function shopDevice(): Promise<Page> {
    const ctx = await wb.browser.newContext({ viewport: { width: 1100, height: 800 } });
    const page = await ctx.newPage();
    page.on('pageerror', (e) => wb.pageErrors.push(e.message));
    await page.goto(`${gw.publicUrl}/demo`);
    await page.locator('#kefu-widget .launcher').waitFor();
    const answer = await page.evaluate((a) => (globalThis as any).kefu.identify(a),
      { id: USER, name: 'Li Lei', phone: PHONE, signature: identitySignature(SECRET, USER), phone_signature: identitySignature(SECRET, `phone:${PHONE}`) });
    assert.deepEqual(answer, { verified: true });
    await page.locator('#kefu-widget .launcher').click();
    return page;
  }

  it('the side panel shows the contact across web and SMS, newest first; the agent edits it and replies on SMS; the second device gets the history', async () => {
    const phone = await shopDevice();
    const input = phone.locator('#kefu-widget textarea');
    await input.fill('Is my Longjing order on its way?');
    await input.press('Enter');
    await phone.locator('#kefu-widget .msg.me .meta').first().filter({ hasNotText: 'Sending' }).waitFor();
    const sms = await twilioPost(gw.publicUrl, inbound(PHONE, 'Texting too: order 1234'));
    assert.equal(sms.status, 200);

    const page = await wb.workspace(gw.workspaceUrl, gw.adminPassword);
    await page.locator('[data-tab=all]').click();
    const web = (await gw.store.listConversations({})).find((c) => c.ref.channel === 'web')!;
    await page.locator(`.item[data-id="${web.id}"]`).click();
    const panel = page.locator('.side .contact');
    // The SMS arrived last: it is the channel the customer used last.
    const rows = panel.locator('.conversations li.conv');
    await eventually(async () => (await rows.count()) === 2, 'both conversations in the panel');
    assert.deepEqual(await rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-channel'))), ['sms', 'web']);
    await rows.first().locator('.chip.last').waitFor();
    const idents = async () => (await panel.locator('.identities li').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-key')} ${e.querySelector('.chip')!.textContent}`))).sort();
    const shown = await idents();
    for (const want of [`shop:${USER} verified`, `phone:${PHONE} verified`, `sms:${PHONE} verified`]) assert.ok(shown.includes(want), shown.join(' | '));
    assert.equal(await panel.locator('input[name=name]').inputValue(), 'Li Lei');

    await panel.locator('input[name=company]').fill('Tea House');
    await panel.locator('input[name="attr:plan"]').fill('gold');
    await panel.locator('button.save').click();
    const id = (await gw.store.contacts.addressOwner(`sms:${PHONE}`))!.contactId;
    await eventually(async () => (await gw.contacts.get(id)).company === 'Tea House', 'the edit stored');
    assert.deepEqual((await gw.contacts.get(id)).attributes, { plan: 'gold' });
    await page.screenshot({ path: process.env.KEFU_UPDATE_DOCS ? 'docs/workspace-contact.png' : 'test-artifacts/workspace-contact.png' });

    // Reply on the other channel the contact has: open it from the panel, answer there.
    await rows.first().click();
    await page.locator('.log .msg.customer', { hasText: 'order 1234' }).waitFor();
    const take = page.locator('.chat .head button', { hasText: 'Take' });
    if (await take.isVisible()) await take.click();
    const ta = page.locator('.composer textarea');
    await ta.fill('Your tracking number comes by SMS in a minute.');
    await ta.press('Enter');
    await eventually(() => fake.created.some((m) => m.To === PHONE && m.Body === 'Your tracking number comes by SMS in a minute.'), 'the reply went out by SMS');
    await panel.locator('.conversations li.conv.on[data-channel=sms]').waitFor();

    // The history (audit) names who did what.
    await panel.locator('details.audit summary').click();
    await panel.locator('details.audit li[data-action=auto_link]').first().waitFor();
    await panel.locator('details.audit li[data-action=edit]').waitFor();

    // A second device of the same shop user sees the conversation from the first one.
    const laptop = await shopDevice();
    await laptop.locator('#kefu-widget .msg .body', { hasText: 'Is my Longjing order on its way?' }).waitFor();
  });

  for (const vp of [{ name: 'desktop', width: 1280, height: 800 }, { name: 'phone', width: 375, height: 667 }]) {
    it(`${vp.name} (${vp.width}×${vp.height}): the agent writes by SMS to the phone of a web visitor who never texted; the new conversation is theirs and the contact's`, async () => {
      const shop = await shopDevice();
      await shop.locator('#kefu-widget textarea').fill('Please text me when it ships');
      await shop.locator('#kefu-widget textarea').press('Enter');
      await shop.locator('#kefu-widget .msg.me .meta').first().filter({ hasNotText: 'Sending' }).waitFor();
      const page = await wb.workspace(gw.workspaceUrl, gw.adminPassword, { viewport: { width: vp.width, height: vp.height } });
      await page.locator('[data-tab=all]').click();
      const web = (await gw.store.listConversations({})).find((c) => c.ref.channel === 'web')!;
      await page.locator(`.item[data-id="${web.id}"]`).click();
      const panel = page.locator('.side .contact');
      if (vp.width < 980) {
        assert.equal(await page.locator('.side').isVisible(), false, 'hidden on a narrow screen until asked for');
        await page.locator('.chat .head button.info').click();
      }
      const row = panel.locator(`.identities li[data-key="phone:${PHONE}"]`);
      await row.locator('button.write[data-channel=sms]').click();
      const form = panel.locator(`li.start[data-key="phone:${PHONE}"]`);
      assert.equal(await form.locator('input[name=subject]').count(), 0, 'no subject for a text');
      await form.locator('textarea').fill('Hi Li Lei, your Longjing ships today.');
      const fits = await page.evaluate(() => { const g = globalThis as any; return g.document.documentElement.scrollWidth <= g.innerWidth; });
      assert.ok(fits, 'no horizontal scroll with the form open');
      await form.scrollIntoViewIfNeeded();
      if (vp.width >= 980) await page.screenshot({ path: process.env.KEFU_UPDATE_DOCS ? 'docs/workspace-contact-start.png' : 'test-artifacts/workspace-contact-start.png' });
      else await page.screenshot({ path: 'test-artifacts/workspace-contact-start-375.png' });
      await form.locator('button.send-start').click();
      await eventually(() => fake.created.some((m) => m.To === PHONE && m.Body === 'Hi Li Lei, your Longjing ships today.'), 'the first text went out through the outbox');
      // The new conversation opens (on a phone the panel gives way to it) and the panel lists both.
      await page.locator('.chat .head .chip', { hasText: /^sms$/ }).waitFor();
      await page.locator('.log .msg', { hasText: 'your Longjing ships today' }).waitFor();
      const sms = (await gw.store.listConversations({})).find((c) => c.ref.channel === 'sms')!;
      assert.equal(sms.status, 'assigned');
      if (vp.width < 980) {
        assert.equal(await page.locator('.side').isVisible(), false, 'the conversation, not the panel, after sending');
        await page.locator('.chat .head button.info').click();
      }
      await panel.locator(`.conversations li.conv.on[data-id="${sms.id}"]`).waitFor();
      assert.equal(await panel.locator('.conversations li.conv').count(), 2);
      assert.equal(await row.locator('button.write').count(), 0, 'no second start: the contact has a conversation there now');
      if (vp.width < 980) {
        await page.locator('.side button.side-close').click();
        await page.locator('.side').waitFor({ state: 'hidden' });
      }
      // The customer's answer lands in the conversation the agent started.
      assert.equal((await twilioPost(gw.publicUrl, inbound(PHONE, 'Thanks!'))).status, 200);
      await page.locator('.log .msg.customer', { hasText: 'Thanks!' }).waitFor();
    });
  }

  it('an unverified identity is marked so and only suggested; Link merges it by hand', async () => {
    const page = await wb.workspace(gw.workspaceUrl, gw.adminPassword);
    const sms = await twilioPost(gw.publicUrl, inbound(PHONE, 'Hello from my phone'));
    assert.equal(sms.status, 200);
    const ctx = await wb.browser.newContext();
    const shop = await ctx.newPage();
    shop.on('pageerror', (e) => wb.pageErrors.push(e.message));
    await shop.goto(`${gw.publicUrl}/demo`);
    await shop.locator('#kefu-widget .launcher').waitFor();
    // No signature: the shop's page says who it is, nobody vouches for it.
    assert.deepEqual(await shop.evaluate((p) => (globalThis as any).kefu.identify({ name: 'Li Lei', phone: p }), PHONE), { verified: false });
    await shop.locator('#kefu-widget .launcher').click();
    await shop.locator('#kefu-widget textarea').fill('It is me, the one with the phone');
    await shop.locator('#kefu-widget textarea').press('Enter');
    await page.locator('[data-tab=all]').click();
    await page.locator('.item', { hasText: 'the one with the phone' }).click();
    const panel = page.locator('.side .contact');
    await panel.locator(`.identities li[data-key="phone:${PHONE}"] .chip.unverified`).waitFor();
    assert.equal(await panel.locator('.conversations li.conv').count(), 1, 'not merged');
    const suggestion = panel.locator('.suggest');
    await suggestion.waitFor();
    assert.match((await suggestion.textContent())!, /verified on one side only/);
    await suggestion.locator('button.link').click();
    await eventually(async () => (await panel.locator('.conversations li.conv').count()) === 2, 'linked by the agent');
    assert.equal(await panel.locator('.suggest').count(), 0);
    assert.equal(await panel.locator('button.split').count(), 2, 'each address can be split off again');
  });
});
