import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { connectVisitor, json, loginAgent, say } from '../helpers/clients.js';
import type { EmailChannel } from '../../channels/email/index.js';
import { Relay, deliver, emailConfig } from '../channels/email/mail-helpers.js';
import { FakeTwilio, inbound, smsConfig, twilioPost } from '../channels/sms/fake-twilio.js';
import { identitySignature } from '../../core/contacts/identify-signature.js';

const EMAIL = 'li.lei@example.com';

describe('contacts over real sockets: an agent starts an e-mail conversation on a web visitor\'s address', () => {
  let relay: Relay;
  let gw: TestGateway;
  let token: string;
  beforeEach(async () => {
    relay = await new Relay().listen();
    // Capacity 1: the admin (HTTP only, never auto-assigned) holds just what they start.
    gw = await startGateway(`${emailConfig(relay.port)}\n[ratelimit]\ncustomer_quota = 0\n[routing.agents.admin]\ncapacity = 1\n\n[[plugins]]\nname = "offline-notice"\n`);
    await eventually(() => gw.channels.isRunning('email'), 'email running');
    token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
  });
  afterEach(async () => { await gw?.close(); await relay.close(); });

  const api = (path: string, body?: unknown, headers: Record<string, string> = {}) => json(`${gw.workspaceUrl}/api${path}`, body === undefined
    ? { headers: { authorization: `Bearer ${token}`, ...headers } } : { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers }, json: body });

  /** A web visitor who told the shop their e-mail (unsigned) and wrote once: a contact with an e-mail identity and no e-mail conversation. */
  async function webContact(): Promise<{ contactId: string; webConv: string; visitorId: string }> {
    const v = await connectVisitor(gw.publicUrl);
    const r = await json(`${gw.publicUrl}/v1/visitor/identify`, { method: 'POST', headers: { authorization: `Bearer ${v.token}` }, json: { name: 'Li Lei', email: EMAIL, phone: '+8613800138000' } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const ack = await say(v, 'Where is my Longjing?');
    await v.socket.close();
    const webConv = (await gw.store.getMessage(ack.id))!.conversationId;
    const view = await api(`/conversations/${webConv}/contact`);
    assert.equal(view.status, 200, JSON.stringify(view.body));
    return { contactId: view.body.contact.id, webConv, visitorId: v.visitorId };
  }

  it('the first mail goes out through the outbox, the conversation is the agent\'s and the contact\'s, a retry sends nothing twice, the customer\'s answer joins it', async () => {
    const { contactId, webConv } = await webContact();
    const before = await api(`/contacts/${contactId}`);
    assert.deepEqual(before.body.starters, [{ channel: 'email', kinds: ['email'] }]);

    const body = { identity: `email:${EMAIL}`, subject: 'Your Longjing order', text: 'Hello Li Lei, it ships tomorrow.', clientId: 'start-1' };
    const r = await api(`/contacts/${contactId}/start`, body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const conv = r.body.conversation;
    const admin = (await gw.store.listAgents()).find((a) => a.login === 'admin')!;
    assert.deepEqual([conv.channel, conv.status, conv.assigneeId], ['email', 'assigned', admin.id]);
    const stored = (await gw.store.getConversation(conv.id))!;
    assert.equal(stored.customer.id, `email:${EMAIL}`);
    // Durable before acknowledged: the send is already in the outbox when the API answers.
    assert.ok((await gw.store.outbox.byMessage([r.body.message.id])).get(r.body.message.id), 'an outbox item for the first mail');

    await eventually(() => relay.received.length === 1, 'the relay got the mail');
    const mail = relay.received[0];
    assert.equal(mail.to && !Array.isArray(mail.to) ? mail.to.value[0].address : undefined, EMAIL);
    assert.equal(mail.subject, `Your Longjing order [#${stored.ref.thread}]`, 'a first mail, not a "Re:"');
    assert.match(mail.text!, /^Hello Li Lei, it ships tomorrow\./);
    await eventually(async () => (await gw.store.outbox.byMessage([r.body.message.id])).get(r.body.message.id)?.status === 'sent', 'sent');

    const again = await api(`/contacts/${contactId}/start`, body);
    assert.deepEqual([again.status, again.body.conversation.id, again.body.message.id], [200, conv.id, r.body.message.id]);
    // At capacity, another start is refused before anything is made (the retry above was let through).
    const full = await api(`/contacts/${contactId}/start`, { ...body, clientId: 'start-2' });
    assert.deepEqual([full.status, full.body.error?.code], [409, 'agent_at_capacity']);
    assert.equal((await gw.store.listConversations({ limit: 50 })).filter((c) => c.ref.channel === 'email').length, 1, 'no empty conversation left behind');

    const view = await api(`/contacts/${contactId}`);
    assert.deepEqual(view.body.conversations.map((c: any) => c.id).sort(), [conv.id, webConv].sort());
    assert.ok(view.body.identities.some((i: any) => i.key === `email:${EMAIL}` && i.address && !i.verified), 'the address joined the contact, unverified');
    const audit = await api(`/contacts/${contactId}/audit`);
    assert.ok(audit.body.audit.some((e: any) => e.action === 'start' && e.actorId === admin.id), JSON.stringify(audit.body.audit));

    const port = (gw.channels.get('email') as EmailChannel).smtpPort!;
    await deliver(port, { from: `Li Lei <${EMAIL}>`, to: mail.replyTo!.value[0].address, subject: `Re: ${mail.subject}`, inReplyTo: mail.messageId, text: 'Great, thanks!' });
    await eventually(async () => (await gw.store.listMessages(conv.id, {})).some((m) => m.direction === 'inbound'), 'the answer in the same conversation');
    assert.equal((await gw.store.listConversations({ limit: 50 })).filter((c) => c.ref.channel === 'email').length, 1);
    await eventually(() => relay.received.length === 1, 'no second mail (the retry, the assignment event)');
  });

  it('refuses, with stable codes: an identity of someone else, a channel that cannot write first, a stopped channel, another origin', async () => {
    const { contactId, visitorId } = await webContact();
    const start = (b: Record<string, unknown>, h?: Record<string, string>) => api(`/contacts/${contactId}/start`, { text: 'Hi', ...b }, h);
    const codes = async (b: Record<string, unknown>, h?: Record<string, string>) => { const r = await start(b, h); return [r.status, r.body.error?.code]; };
    assert.deepEqual(await codes({ identity: 'email:someone.else@example.com' }), [422, 'identity_not_of_contact']);
    assert.deepEqual(await codes({ identity: `web:${visitorId}` }), [422, 'channel_cannot_start'], 'the web widget reaches a visitor only on their page');
    assert.deepEqual(await codes({ identity: `email:${EMAIL}`, channel: 'web' }), [422, 'channel_cannot_start']);
    // No SMS channel runs: nothing writes to the phone identity; naming the stopped channel says so.
    assert.deepEqual(await codes({ identity: 'phone:+8613800138000' }), [422, 'channel_cannot_start']);
    assert.deepEqual(await codes({ identity: 'phone:+8613800138000', channel: 'sms' }), [404, 'channel_disabled']);
    assert.deepEqual(await codes({ identity: `email:${EMAIL}` }, { origin: 'http://evil.example' }), [403, 'forbidden_origin']);
    assert.deepEqual(await codes({ identity: `email:${EMAIL}`, text: '   ' }), [422, 'validation_failed']);
    assert.equal(relay.received.length, 0);
    assert.equal((await gw.store.listConversations({ limit: 50 })).filter((c) => c.ref.channel === 'email').length, 0, 'nothing created');
  });
});

describe('contacts over real sockets: writing first by SMS (Twilio fake)', () => {
  const SECRET = 'shop-identity-secret-outbound-1';
  const PHONE = '+15557650001';
  let fake: FakeTwilio;
  let gw: TestGateway;
  let token: string;
  beforeEach(async () => {
    fake = await new FakeTwilio().listen();
    gw = await startGateway(`${smsConfig(fake)}\n[channels.web]\nidentity_secret = "${SECRET}"\n[ratelimit]\ncustomer_quota = 0\n`);
    await eventually(() => gw.channels.isRunning('sms'), 'sms running');
    token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
  });
  afterEach(async () => { await gw?.close(); await fake?.close(); });

  const api = (path: string, body?: unknown) => json(`${gw.workspaceUrl}/api${path}`, body === undefined
    ? { headers: { authorization: `Bearer ${token}` } } : { method: 'POST', headers: { authorization: `Bearer ${token}` }, json: body });

  it('a number the contact already texted from is answered in that conversation (409 conversation_exists naming it), nothing texted', async () => {
    assert.equal((await twilioPost(gw.publicUrl, inbound(PHONE, 'Texting about order 77'))).status, 200);
    const sms = await eventually(async () => (await gw.store.listConversations({})).find((c) => c.ref.channel === 'sms'), 'the SMS conversation');
    const v = await connectVisitor(gw.publicUrl);
    const r = await json(`${gw.publicUrl}/v1/visitor/identify`, { method: 'POST', headers: { authorization: `Bearer ${v.token}` },
      json: { id: 'u-9', phone: PHONE, signature: identitySignature(SECRET, 'u-9'), phone_signature: identitySignature(SECRET, `phone:${PHONE}`) } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // This browser's conversation joins the signed user's contact (the signature proves it is them right now).
    const ack = await say(v, 'Also on the web');
    await v.socket.close();
    const webConv = (await gw.store.getMessage(ack.id))!.conversationId;
    const contact = (await api(`/conversations/${webConv}/contact`)).body;
    assert.ok(contact.conversations.some((c: any) => c.id === sms!.id), 'the verified phone linked the SMS conversation');
    await gw.outbox.pump();
    const texted = fake.created.length; // the bot's answer to the first text, if any
    const again = await api(`/contacts/${contact.contact.id}/start`, { identity: `phone:${PHONE}`, text: 'Hi again' });
    assert.deepEqual([again.status, again.body.error?.code, again.body.error?.conversationId], [409, 'conversation_exists', sms!.id]);
    await gw.outbox.pump();
    assert.equal(fake.created.filter((m) => m.Body === 'Hi again').length, 0, 'nothing texted');
    assert.equal(fake.created.length, texted);
  });
});
