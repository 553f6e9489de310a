import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import type { EmailChannel } from '../../../channels/email/index.js';
import type { Conversation } from '../../../core/model/message.js';
import { Relay, emailConfig, deliver } from './mail-helpers.js';

const AGENT = { id: 'A_mail', role: 'agent' as const, name: 'Ann' };

describe('email: the acknowledgement mail for a new ticket', () => {
  let relay: Relay;
  let gw: TestGateway;
  let clock: number;
  let port: number;
  const start = async (extra: string) => {
    gw = await startGateway(`${emailConfig(relay.port, extra)}\n[ratelimit]\ncustomer_quota = 0\n\n[[plugins]]\nname = "offline-notice"\n`, { now: () => clock });
    await eventually(() => gw.channels.isRunning('email'), 'email running');
    port = (gw.channels.get('email') as EmailChannel).smtpPort!;
  };
  beforeEach(async () => { relay = await new Relay().listen(); clock = Date.now(); });
  afterEach(async () => { await gw?.close(); await relay.close(); });

  const convs = async () => (await gw.store.listConversations({ limit: 50 })).filter((c) => c.ref.channel === 'email');
  const outbound = async (c: Conversation) => (await gw.store.listMessages(c.id, {})).filter((m) => m.direction === 'outbound' && m.content.kind === 'text');
  const drain = async () => { for (let i = 0; i < 4; i++) { clock += 15 * 60_000; await gw.outbox.pump(); } };

  it('goes out once per ticket, threaded and tagged, as an outbound message the agent sees; the default text is zh + en', async () => {
    await start('ack = true\n');
    const first = await deliver(port, { from: 'Li Lei <lilei@gmail.test>', subject: 'Order 1234', text: 'Where is it?' });
    const [conv] = await eventually(convs, 'a ticket');
    const t = conv.ref.thread;
    await eventually(() => relay.received.length === 1, 'the acknowledgement');
    const ack = relay.received[0];
    assert.equal(ack.subject, `Re: Order 1234 [#${t}]`);
    assert.equal(ack.inReplyTo, first.messageId);
    assert.equal(ack.headers.get('auto-submitted'), 'auto-replied');
    assert.match(ack.text!, new RegExp(`^您好，我们已收到您的邮件（工单号 ${t}：Order 1234）`));
    assert.match(ack.text!, new RegExp(`Hello, we have received your e-mail \\(ticket ${t}: Order 1234\\)`));
    const [shown] = await outbound(conv);
    assert.equal(shown.from.role, 'system');
    assert.equal(shown.sourceId, `ack:${t}`);
    await eventually(async () => (await gw.store.outbox.byMessage([shown.id])).get(shown.id)?.status === 'sent', 'delivery state sent');

    // The customer writes again in the same ticket and an agent answers: no second acknowledgement.
    await deliver(port, { from: 'lilei@gmail.test', subject: `Re: Order 1234 [#${t}]`, text: 'Also: gift wrap?', inReplyTo: ack.messageId });
    await eventually(async () => (await gw.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound').length === 2, 'second mail');
    await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'text', text: 'Yes, wrapped.' } });
    await eventually(() => relay.received.length === 2, 'the reply');
    await drain();
    assert.deepEqual(relay.texts().map((x) => x.slice(0, 5)), ['您好，我们', 'Yes, ']);
    assert.equal((await outbound(conv)).length, 2);
  });

  it('at most ack_per_sender_hour per sender; other senders still get theirs; ack_text is used with its placeholders', async () => {
    await start('ack = true\nack_per_sender_hour = 2\nack_text = "Got it: {ticket} / {subject}"\n');
    for (let i = 1; i <= 4; i++) await deliver(port, { from: 'storm@example.test', subject: `S${i}`, text: `mail ${i}` });
    await deliver(port, { from: 'calm@example.test', subject: 'Calm', text: 'one mail' });
    const all = (await eventually(async () => { const c = await convs(); return c.length === 5 && c; }, 'five tickets')) as Conversation[];
    await drain();
    await eventually(() => relay.received.length === 3, 'three acknowledgements');
    await drain();
    assert.equal(relay.received.length, 3);
    const to = relay.received.map((m) => m.to && !Array.isArray(m.to) ? m.to.value[0].address : '');
    assert.deepEqual(to.sort(), ['calm@example.test', 'storm@example.test', 'storm@example.test']);
    const calm = all.find((c) => c.customer.id === 'email:calm@example.test')!;
    assert.ok(relay.texts().includes(`Got it: ${calm.ref.thread} / Calm`));
    // The tickets over the limit got none, and are marked so that a later mail does not bring one either.
    const withAck = (await Promise.all(all.map(outbound))).filter((o) => o.length).length;
    assert.equal(withAck, 3);
  });

  it('auto-replies and lists get none (they make no ticket); ack = false sends none', async () => {
    await start('ack = true\n');
    await deliver(port, { from: 'kim@example.test', subject: 'Out of office', text: 'away', headers: { 'Auto-Submitted': 'auto-replied' } });
    await deliver(port, { from: 'list@example.test', subject: 'Digest', text: 'news', headers: { Precedence: 'list' } });
    await deliver(port, { from: 'kim@example.test', subject: 'control', text: 'a person' });
    await eventually(() => relay.received.length === 1, 'the control acknowledgement');
    await drain();
    assert.equal(relay.received.length, 1);
    assert.equal(relay.received[0].subject?.startsWith('Re: control'), true);
    await gw.close();
    await start('ack = false\n');
    await deliver(port, { from: 'kim@example.test', subject: 'second', text: 'a person' });
    await eventually(async () => (await convs()).length === 1, 'a ticket (a fresh gateway)');
    await drain();
    assert.equal(relay.received.length, 1);
  });
});
