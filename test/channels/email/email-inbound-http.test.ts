import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import type { EmailChannel } from '../../../channels/email/index.js';
import { Relay, emailConfig, deliver, fixture } from './mail-helpers.js';

const SECRET = 'inbound-secret-0123456789';
const mail = (id: string, extra = '', body = 'Where is my order?') => Buffer.from(
  `From: Li Lei <lilei@gmail.test>\r\nTo: support@shop.test\r\nSubject: Order 77\r\nMessage-ID: <${id}@gmail.test>\r\n${extra}Date: Mon, 1 Dec 2025 10:00:00 +0800\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n${body}\r\n`);

describe('email: POST /channels/email/inbound (raw RFC 822 from a provider, shared secret)', () => {
  let relay: Relay;
  let gw: TestGateway;
  beforeEach(async () => {
    relay = await new Relay().listen();
    gw = await startGateway(`${emailConfig(relay.port, `inbound_secret = "${SECRET}"\n`)}\n[ratelimit]\ncustomer_quota = 0\n\n[[plugins]]\nname = "offline-notice"\n`);
    await eventually(() => gw.channels.isRunning('email'), 'email running');
  });
  afterEach(async () => { await gw?.close(); await relay.close(); });

  const post = (body: Buffer, auth: string | null = `Bearer ${SECRET}`, headers: Record<string, string> = {}) =>
    fetch(`${gw.publicUrl}/channels/email/inbound`, { method: 'POST', body, headers: { 'content-type': 'message/rfc822', ...(auth ? { authorization: auth } : {}), ...headers } });
  const convs = async () => (await gw.store.listConversations({ limit: 50 })).filter((c) => c.ref.channel === 'email');
  const inbound = async (id: string) => (await gw.store.listMessages(id, {})).filter((m) => m.direction === 'inbound');

  it('a posted mail is a ticket once it answers 200; a redelivery is stored once; a reply threads like one over SMTP', async () => {
    const res = await post(mail('first-1'));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { ok: true });
    // 200 means durable: no waiting needed before looking.
    const [conv] = await convs();
    assert.deepEqual((await inbound(conv.id))[0].content, { kind: 'text', text: 'Order 77\n\nWhere is my order?' });
    assert.equal((await post(mail('first-1'))).status, 200);
    assert.equal((await convs()).length, 1);
    assert.equal((await inbound(conv.id)).length, 1);
    // The same parse and threading path as the SMTP listener: In-Reply-To the customer's own mail, and plus-addresses.
    assert.equal((await post(mail('second-2', 'In-Reply-To: <first-1@gmail.test>\r\n', 'Any news?'))).status, 200);
    const plus = Buffer.from(mail('third-3', '', 'via plus').toString().replace('To: support@shop.test', `To: support+${conv.ref.thread.toLowerCase()}@shop.test`));
    assert.equal((await post(plus)).status, 200);
    assert.deepEqual((await inbound(conv.id)).map((m) => (m.content.kind === 'text' ? m.content.text : m.content.kind)), ['Order 77\n\nWhere is my order?', 'Any news?', 'via plus']);
    // And SMTP sees the same ticket: one path, two doors.
    await deliver((gw.channels.get('email') as EmailChannel).smtpPort!, { from: 'lilei@gmail.test', subject: 'x', text: 'over SMTP', inReplyTo: '<first-1@gmail.test>' });
    await eventually(async () => (await inbound(conv.id)).length === 4, 'the SMTP mail joined');
    assert.equal((await convs()).length, 1);
  });

  it('a wrong, missing or non-Bearer secret is 403 invalid_signature and stores nothing', async () => {
    for (const auth of [`Bearer ${SECRET}x`, null, SECRET, `Basic ${Buffer.from(`x:${SECRET}`).toString('base64')}`, 'Bearer ']) {
      const res = await post(mail(`bad-${auth?.length}`), auth);
      assert.equal(res.status, 403, String(auth));
      assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'invalid_signature');
    }
    assert.equal((await convs()).length, 0);
  });

  it('a mail over max_bytes is 413 and stores nothing; noise is 200 and makes no ticket; an unparsable one is kept', async () => {
    const big = mail('big-1', '', 'x'.repeat(210_000));
    const res = await post(big);
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'payload_too_large');
    assert.equal((await post(fixture('out-of-office.eml', { IN_REPLY_TO: '<kefu.X.TABCDEFGHJ@shop.test>' }))).status, 200);
    assert.equal((await convs()).length, 0);
    assert.equal((await post(Buffer.from('no headers at all'))).status, 200);
    const kept = JSON.parse((await gw.store.channelState.get('email', 'unprocessable')) ?? '[]') as unknown[];
    assert.equal(kept.length, 1);
  });

  it('with no inbound_secret configured the route refuses everything', async () => {
    await gw.close();
    gw = await startGateway(`${emailConfig(relay.port)}\n[[plugins]]\nname = "offline-notice"\n`);
    await eventually(() => gw.channels.isRunning('email'), 'email running');
    assert.equal((await post(mail('x-1'), 'Bearer ')).status, 403);
    assert.equal((await post(mail('x-2'))).status, 403);
    assert.equal((await convs()).length, 0);
  });
});
