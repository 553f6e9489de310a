import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import type { EmailChannel } from '../../../channels/email/index.js';
import type { Conversation } from '../../../core/model/message.js';
import { Relay, emailConfig, deliver, deliverRaw, fixture } from './mail-helpers.js';

const AGENT = { id: 'A_mail', role: 'agent' as const, name: 'Ann' };

describe('email: tickets over real SMTP (nodemailer → our listener; replies → a capturing relay)', () => {
  let relay: Relay;
  let gw: TestGateway;
  let clock: number;
  let port: number;
  beforeEach(async () => {
    relay = await new Relay().listen();
    clock = Date.now();
    gw = await startGateway(`${emailConfig(relay.port)}\n[ratelimit]\ncustomer_quota = 0\n\n# no bot: the relay then sees only what agents send\n[[plugins]]\nname = "offline-notice"\n`, { now: () => clock });
    await eventually(() => gw.channels.isRunning('email'), 'email running');
    port = (gw.channels.get('email') as EmailChannel).smtpPort!;
  });
  afterEach(async () => { await gw?.close(); await relay.close(); });

  const convs = async () => (await gw.store.listConversations({ limit: 50 })).filter((c) => c.ref.channel === 'email');
  const inbound = async (c: Conversation) => (await gw.store.listMessages(c.id, {})).filter((m) => m.direction === 'inbound');
  const reply = (c: Conversation, text: string) => gw.bus.send({ conversationId: c.id, from: AGENT, content: { kind: 'text', text } });
  const drain = async (rounds = 6) => { for (let i = 0; i < rounds; i++) { clock += 15 * 60_000; await gw.outbox.pump(); } };

  it('round trip: mail → ticket → agent reply threaded → customer replies to it → same conversation', async () => {
    const first = await deliver(port, { from: 'Li Lei <lilei@gmail.test>', subject: 'Order 1234 not arrived', text: 'Where is my order?' });
    const [conv] = await eventually(convs, 'a ticket');
    assert.match(conv.ref.thread, /^T[A-Z2-9]{9}$/);
    assert.deepEqual((await inbound(conv))[0].content, { kind: 'text', text: 'Order 1234 not arrived\n\nWhere is my order?' });
    const sent = (await reply(conv, 'It left Hangzhou today.')).message;
    await eventually(() => relay.received.length === 1, 'the relay got the reply');
    const out = relay.received[0];
    const customerId = first.messageId;
    assert.equal(out.inReplyTo, customerId);
    assert.deepEqual([out.references].flat(), [customerId]);
    assert.equal(out.subject, `Re: Order 1234 not arrived [#${conv.ref.thread}]`);
    assert.equal(out.messageId, `<kefu.${sent.id}.${conv.ref.thread}@shop.test>`);
    assert.equal(out.replyTo?.value[0].address, `support+${conv.ref.thread.toLowerCase()}@shop.test`);
    assert.match(out.text!, /^It left Hangzhou today\.\n\nLi Lei wrote:\n> Where is my order\?/);
    assert.match(String(out.html), /<blockquote[^>]*>Where is my order\?<\/blockquote>/);
    await eventually(async () => (await gw.store.outbox.byMessage([sent.id])).get(sent.id)?.status === 'sent', 'sent');
    assert.equal((await gw.store.outbox.byMessage([sent.id])).get(sent.id)!.vendorId, out.messageId!.slice(1, -1));

    // The customer's client answers our mail (Gmail quoting it): the ticket continues, the quote is kept apart.
    await deliverRaw(port, fixture('gmail-reply.eml', { IN_REPLY_TO: out.messageId! }), 'lilei@gmail.test');
    await eventually(async () => (await inbound(conv)).length === 2, 'the reply joined the ticket');
    assert.equal((await convs()).length, 1);
    const second = (await inbound(conv))[1].content;
    assert.equal(second.kind, 'media');
    if (second.kind !== 'media') return;
    assert.equal(second.caption, 'Thanks! It arrived this morning.');
    assert.deepEqual(second.attachments.map((a) => [a.name, a.mime]), [['quoted-reply.txt', 'text/plain']]);
  });

  it('an agent\'s files go out as real attachments (bytes and type kept), the caption as the body', async () => {
    await deliver(port, { from: 'Li Lei <lilei@gmail.test>', subject: 'Invoice please', text: 'Can I get the invoice?' });
    const [conv] = await eventually(convs, 'a ticket');
    const pdf = Buffer.from('%PDF-1.4\n% invoice 1234\n%%EOF\n');
    const file = await gw.media.storeBuffer(pdf, 'invoice-1234.pdf', AGENT.id);
    await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'media', attachments: [file], caption: 'Here it is.' } });
    await eventually(() => relay.received.length === 1, 'the relay got the reply');
    const out = relay.received[0];
    assert.match(out.text!, /^Here it is\./);
    assert.deepEqual(out.attachments.map((a) => [a.filename, a.contentType]), [['invoice-1234.pdf', 'application/pdf']]);
    assert.deepEqual(out.attachments[0].content, pdf);

    const gone = { ...file, mediaId: 'x'.repeat(32) };
    const m = (await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'media', attachments: [gone] } })).message;
    await eventually(async () => { await gw.outbox.pump(); return (await gw.store.outbox.byMessage([m.id])).get(m.id)?.status === 'failed'; }, 'failed visibly');
    assert.match((await gw.store.outbox.byMessage([m.id])).get(m.id)!.lastError!, /media_missing|no longer stored/);
  });

  it('threading: plus-address and the customer\'s own subject tag find the ticket; a stranger quoting the tag gets a new one', async () => {
    await deliver(port, { from: 'lilei@gmail.test', subject: 'Teapot', text: 'Is it in stock?' });
    const [conv] = await eventually(convs, 'a ticket');
    const t = conv.ref.thread;
    await deliver(port, { from: 'lilei@gmail.test', to: `support+${t.toLowerCase()}@shop.test`, subject: 'another subject', text: 'via plus-address' });
    await deliver(port, { from: 'lilei@gmail.test', subject: `Re: Teapot [#${t}]`, text: 'via the tag' });
    await eventually(async () => (await inbound(conv)).length === 3, 'both joined the ticket');
    await deliver(port, { from: 'mallory@evil.test', subject: `Re: Teapot [#${t}]`, text: 'let me in' });
    await eventually(async () => (await convs()).length === 2, "the stranger's own ticket");
    assert.equal((await inbound(conv)).length, 3);
    await deliver(port, { from: 'lilei@gmail.test', subject: 'Teapot', text: 'same subject, no tag, no headers' });
    await eventually(async () => (await convs()).length === 3, 'never threaded by subject alone');
  });

  it('auto-replies, lists, daemons and our own mail create nothing and are never answered', async () => {
    await deliverRaw(port, fixture('out-of-office.eml', { IN_REPLY_TO: '<kefu.X.TABCDEFGHJ@shop.test>' }));
    for (const headers of [{ Precedence: 'bulk' }, { 'X-Autoreply': 'yes' }, { 'Auto-Submitted': 'auto-generated' }, { 'X-Auto-Response-Suppress': 'All' }]) {
      await deliver(port, { from: 'kim@example.test', subject: 'auto', text: 'auto', headers });
    }
    await deliver(port, { from: 'no-reply@shop.example', subject: 'Your invoice', text: 'x' });
    await deliver(port, { from: 'kim@example.test', subject: 'looped', text: 'x', messageId: '<kefu.M1.TABCDEFGHJ@shop.test>' });
    await deliver(port, { from: 'kim@example.test', subject: 'control', text: 'a person' });
    await eventually(async () => (await convs()).length === 1, 'the control mail');
    assert.deepEqual((await inbound((await convs())[0]))[0].content, { kind: 'text', text: 'control\n\na person' });
    await drain(2);
    assert.equal(relay.received.length, 0, 'nothing mailed back (notices are not mailed)');
  });

  it('a bounce of our reply marks it failed with the remote diagnostic', async () => {
    await deliver(port, { from: 'gone@outlook.test', subject: 'Order 1234 not arrived', text: 'hello' });
    const [conv] = await eventually(convs, 'a ticket');
    const sent = (await reply(conv, 'It left Hangzhou today.')).message;
    await eventually(async () => (await gw.store.outbox.byMessage([sent.id])).get(sent.id)?.status === 'sent', 'sent');
    const ours = relay.received[0].messageId!.slice(1, -1);
    await deliverRaw(port, fixture('bounce-dsn.eml', { OUR_ID: ours }), '', ['support@shop.test']);
    await eventually(async () => (await gw.store.outbox.byMessage([sent.id])).get(sent.id)?.status === 'failed', 'failed');
    assert.match((await gw.store.outbox.byMessage([sent.id])).get(sent.id)!.lastError!, /^bounced: 550 5\.1\.1/);
    assert.equal((await convs()).length, 1, 'the bounce made no ticket');
  });

  it('relay down (connection refused), then up: the replies go out once each, in order', async () => {
    await deliver(port, { from: 'lilei@gmail.test', subject: 'Order', text: 'hello' });
    const [conv] = await eventually(convs, 'a ticket');
    await relay.close();
    for (const t of ['r1', 'r2', 'r3']) await reply(conv, t);
    await drain(3);
    assert.equal(relay.received.length, 0);
    await relay.listen();
    await drain(6);
    assert.deepEqual(relay.texts(), ['r1', 'r2', 'r3']);
    relay.script = [535];
    const bad = (await reply(conv, 'r4')).message;
    await drain(2);
    assert.equal((await gw.store.outbox.byMessage([bad.id])).get(bad.id)?.status, 'failed', '5xx is permanent');
  });

  it('the listener: 550 for unknown mailboxes, 552 over max_bytes, other configured mailboxes accepted', async () => {
    await assert.rejects(deliver(port, { from: 'kim@example.test', to: 'nobody@shop.test', subject: 'x', text: 'x' }), (e: { responseCode?: number }) => e.responseCode === 550);
    await assert.rejects(deliver(port, { from: 'kim@example.test', to: 'support@elsewhere.test', subject: 'x', text: 'x' }), (e: { responseCode?: number }) => e.responseCode === 550);
    await assert.rejects(deliver(port, { from: 'kim@example.test', subject: 'big', text: 'x'.repeat(300_000) }), (e: { responseCode?: number }) => e.responseCode === 552);
    await deliver(port, { from: 'kim@example.test', to: 'help@shop.test', subject: 'ok', text: 'accepted' });
    await eventually(async () => (await convs()).length === 1, 'the accepted one');
  });

  it('a mail that cannot be read is kept as a .eml file and listed, never dropped silently', async () => {
    const raw = Buffer.from('To: support@shop.test\r\nSubject: no sender\r\nMessage-ID: <nofrom@x.test>\r\n\r\nwho am I?\r\n');
    await deliverRaw(port, raw);
    const list = JSON.parse((await gw.store.channelState.get('email', 'unprocessable'))!) as { reason: string; mediaId: string }[];
    assert.equal(list.length, 1);
    assert.equal(list[0].reason, 'no usable From address');
    const media = await gw.store.getMedia(list[0].mediaId);
    assert.equal(media?.name?.endsWith('.eml'), true);
    assert.equal((await convs()).length, 0);
  });
});
