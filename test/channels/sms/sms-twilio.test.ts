import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import type { Conversation } from '../../../core/model/message.js';
import { ACCOUNTS, FakeTwilio, PUBLIC, inbound, messageSid, smsConfig, twilioPost } from './fake-twilio.js';

// The SDK would rename hosts from these; the tests' traffic must stay on 127.0.0.1.
delete process.env.TWILIO_REGION;
delete process.env.TWILIO_EDGE;

const AGENT = { id: 'A_sms', role: 'agent' as const, name: 'Ann' };
const CUSTOMER = '+15557654321';

describe('sms channel (twilio SDK against a local fake Twilio REST API)', () => {
  let fake: FakeTwilio;
  let gw: TestGateway;
  let clock: number;

  beforeEach(async () => {
    fake = await new FakeTwilio().listen();
    clock = Date.now();
    gw = await startGateway(`${smsConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n`, { now: () => clock });
    await eventually(() => gw.channels.isRunning('sms'), 'sms running');
  });
  afterEach(async () => { await gw?.close(); await fake.close(); });

  const mainRef = (from = CUSTOMER) => ({ channel: 'sms', account: ACCOUNTS.main.number, thread: from });
  const conversation = async (ref = mainRef()) => (await gw.store.findConversationByRef(ref))!;
  const inboundOf = async (conv: Conversation) => (await gw.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound');
  /** Texts Twilio accepted, without the gateway's own "No agent is online" notices. */
  const replies = () => fake.created.filter((c) => !c.Body.startsWith('No agent'));
  const reply = async (conv: Conversation, text: string) => (await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'text', text } })).message;
  const stateOf = async (id: string) => (await gw.store.outbox.byMessage([id])).get(id);
  const drain = async (rounds = 6) => { for (let i = 0; i < rounds; i++) { clock += 15 * 60_000; await gw.outbox.pump(); } };
  async function customerWrites(text = 'hello', from = CUSTOMER) {
    const r = await twilioPost(gw.publicUrl, inbound(from, text));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return conversation(mainRef(from));
  }

  it('a signed inbound text is stored before Twilio gets its empty TwiML answer', async () => {
    const params = inbound(CUSTOMER, 'Where is my order 1234?');
    const r = await twilioPost(gw.publicUrl, params);
    assert.equal(r.status, 200);
    assert.match(r.type, /^text\/xml/);
    assert.equal(r.body, '<?xml version="1.0" encoding="UTF-8"?><Response/>');
    const conv = await conversation();
    const [m] = await inboundOf(conv);
    assert.equal(m.sourceId, params.MessageSid);
    assert.deepEqual(m.content, { kind: 'text', text: 'Where is my order 1234?' });
    assert.equal(conv.customer.role, 'customer');
  });

  it('tampered and unsigned webhooks are 403 invalid_signature and store nothing', async () => {
    const params = inbound(CUSTOMER, 'original');
    const tampered = await twilioPost(gw.publicUrl, params, { tamper: { Body: 'changed on the way' } });
    assert.equal(tampered.status, 403);
    assert.equal(tampered.body.error.code, 'invalid_signature');
    const unsigned = await twilioPost(gw.publicUrl, params, { signature: null });
    assert.equal(unsigned.status, 403);
    const otherToken = await twilioPost(gw.publicUrl, params, { token: ACCOUNTS.pool.token });
    assert.equal(otherToken.status, 403, "another account's token does not sign for this one");
    const status = await twilioPost(gw.publicUrl, { MessageSid: messageSid(), AccountSid: ACCOUNTS.main.sid, MessageStatus: 'delivered' },
      { path: '/channels/sms/twilio/status', signature: 'bm90LWEtc2lnbmF0dXJl' });
    assert.equal(status.status, 403);
    assert.equal(await gw.store.findConversationByRef(mainRef()), undefined);
  });

  it('behind a proxy with a query string: valid against public_url + path + query, not against the address the gateway sees', async () => {
    const path = '/channels/sms/twilio?tenant=acme&x=1%202';
    const ok = await twilioPost(gw.publicUrl, inbound(CUSTOMER, 'via proxy'), { path });
    assert.equal(ok.status, 200);
    const local = await twilioPost(gw.publicUrl, inbound(CUSTOMER, 'signed for the inner URL'), { path, signedUrl: `${gw.publicUrl}${path}` });
    assert.equal(local.status, 403);
    const noQuery = await twilioPost(gw.publicUrl, inbound(CUSTOMER, 'query dropped'), { path, signedUrl: `${PUBLIC}/channels/sms/twilio` });
    assert.equal(noQuery.status, 403);
    assert.equal((await inboundOf(await conversation())).length, 1);
  });

  it('a number of a Messaging Service pool is accepted (found by MessagingServiceSid) and replies go out through the service', async () => {
    const r = await twilioPost(gw.publicUrl, inbound(CUSTOMER, 'pool hello', { pool: true }), { token: ACCOUNTS.pool.token });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const conv = await conversation({ channel: 'sms', account: ACCOUNTS.pool.service, thread: CUSTOMER });
    assert.ok(conv);
    await reply(conv, 'from the pool');
    await eventually(() => replies().length === 1, 'reply sent');
    const [c] = replies();
    assert.equal(c.account, ACCOUNTS.pool.sid, "sent with the pool account's credentials");
    assert.equal(c.MessagingServiceSid, ACCOUNTS.pool.service);
    assert.equal(c.From, undefined);
  });

  it('a redelivered MessageSid is stored once', async () => {
    const params = inbound(CUSTOMER, 'twice?');
    for (let i = 0; i < 3; i++) assert.equal((await twilioPost(gw.publicUrl, params)).status, 200);
    assert.equal((await inboundOf(await conversation())).length, 1);
  });

  it('MMS: every MediaUrlN is fetched with the account credentials from the media host only, within the size limit; agents\' images go out as MMS', async () => {
    const sid = messageSid('MM');
    const params = inbound(CUSTOMER, 'photos of the damage', { sid, extra: {
      NumMedia: '4',
      MediaUrl0: fake.mediaUrl(ACCOUNTS.main.sid, sid, 'ME01'), MediaContentType0: 'image/png',
      MediaUrl1: fake.mediaUrl(ACCOUNTS.main.sid, sid, 'ME02'), MediaContentType1: 'image/png',
      MediaUrl2: 'https://media.evil.example.com/steal.png', MediaContentType2: 'image/png',
      MediaUrl3: fake.mediaUrl(ACCOUNTS.main.sid, sid, 'MEbig'), MediaContentType3: 'image/png',
    } });
    await gw.close();
    gw = await startGateway(`${smsConfig(fake).replace('[server]\n', '[server]\nmax_upload_bytes = 102400\n')}\n[ratelimit]\ncustomer_quota = 0\n`, { now: () => clock });
    const r = await twilioPost(gw.publicUrl, params);
    assert.equal(r.status, 200);
    const [m] = await inboundOf(await conversation());
    assert.equal(m.content.kind, 'media');
    if (m.content.kind !== 'media') return;
    assert.deepEqual(m.content.attachments.map((a) => [a.kind, a.mime, a.width]), [['image', 'image/png', 2], ['image', 'image/png', 2]]);
    assert.equal(m.content.caption, 'photos of the damage\n[2 attachments could not be fetched from Twilio]');
    const auth = `Basic ${Buffer.from(`${ACCOUNTS.main.sid}:${ACCOUNTS.main.token}`).toString('base64')}`;
    const twilioHops = fake.mediaRequests.filter((q) => q.path.includes('/Media/'));
    assert.deepEqual(twilioHops.map((q) => q.auth), [auth, auth, auth], 'Twilio media hops carry the credentials');
    assert.ok(fake.mediaRequests.filter((q) => q.path.startsWith('/cdn/')).every((q) => !q.auth), 'the CDN hop does not');
    assert.ok(!fake.mediaRequests.some((q) => q.path.includes('steal')));
    const stored = await fetch(`${gw.publicUrl}/media/${m.content.attachments[0].mediaId}`);
    assert.equal(stored.status, 200);

    // An agent's image goes back as MMS, by its public media URL; a caption-less one has no Body.
    const conv = await conversation();
    const [img] = m.content.attachments;
    await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'media', attachments: [img], caption: 'Is this the one?' } });
    await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'media', attachments: [img] } });
    await eventually(() => replies().length === 2, 'two MMS sent');
    assert.deepEqual(replies().map((c) => [c.Body, c.MediaUrl]), [['Is this the one?', [`${PUBLIC}/media/${img.mediaId}`]], ['', [`${PUBLIC}/media/${img.mediaId}`]]]);
  });

  it('a reply reaches Twilio through the outbox with From, To, Body and the status callback URL; callbacks move it to delivered or failed', async () => {
    const conv = await customerWrites();
    const first = await reply(conv, 'Your parcel left Hangzhou.');
    const second = await reply(conv, 'It arrives tomorrow.');
    await eventually(async () => (await stateOf(second.id))?.status === 'sent', 'both sent');
    assert.deepEqual(replies().map((c) => [c.From, c.To, c.Body, c.StatusCallback]), [
      [ACCOUNTS.main.number, CUSTOMER, 'Your parcel left Hangzhou.', `${PUBLIC}/channels/sms/twilio/status`],
      [ACCOUNTS.main.number, CUSTOMER, 'It arrives tomorrow.', `${PUBLIC}/channels/sms/twilio/status`],
    ]);
    assert.equal((await stateOf(first.id))!.vendorId, replies()[0].sid);
    const status = (sid: string, extra: Record<string, string>) => twilioPost(gw.publicUrl,
      { MessageSid: sid, SmsSid: sid, AccountSid: ACCOUNTS.main.sid, From: ACCOUNTS.main.number, To: CUSTOMER, ApiVersion: '2010-04-01', ...extra },
      { path: '/channels/sms/twilio/status' });
    assert.equal((await status(replies()[0].sid, { MessageStatus: 'sent', SmsStatus: 'sent' })).status, 204);
    assert.equal((await status(replies()[0].sid, { MessageStatus: 'delivered', SmsStatus: 'delivered' })).status, 204);
    assert.equal((await status(replies()[1].sid, { MessageStatus: 'undelivered', SmsStatus: 'undelivered', ErrorCode: '30003' })).status, 204);
    assert.equal((await stateOf(first.id))!.status, 'delivered');
    const failed = (await stateOf(second.id))!;
    assert.equal(failed.status, 'failed');
    assert.match(failed.lastError!, /^30003: The handset is unreachable/);
  });

  it('Twilio 21211 is a permanent failure with its code; 21610 marks the customer opted out', async () => {
    const conv = await customerWrites();
    await eventually(() => fake.attempts.length >= 1, 'the offline notice went first');
    fake.script = [{ status: 400, code: 21211, message: "The 'To' number is not a valid phone number." }, { status: 400, code: 21610, message: 'Attempt to send to unsubscribed recipient' }];
    const bad = await reply(conv, 'one');
    const stop = await reply(conv, 'two');
    const after = await reply(conv, 'three');
    // The three go one after another (each settled attempt starts the next): wait for the last.
    await eventually(async () => { await drain(1); return (await stateOf(after.id))?.status === 'failed'; }, 'all three settled');
    assert.match((await stateOf(bad.id))!.lastError!, /^21211: The number is not a valid phone number/);
    assert.equal((await stateOf(stop.id))!.status, 'failed');
    assert.match((await stateOf(stop.id))!.lastError!, /^21610: The customer has opted out/);
    assert.equal((await stateOf(after.id))!.status, 'failed', 'known opted out now: not even tried');
    assert.match((await stateOf(after.id))!.lastError!, /^opted_out: /);
    assert.equal(fake.attempts.filter((a) => a.Body === 'three').length, 0);
    assert.ok((await conversation()).tags.includes('sms-opted-out'));
  });

  it('STOP is stored and opts the customer out (sends fail visibly, nothing reaches Twilio); START opts back in', async () => {
    const conv = await customerWrites();
    assert.equal((await twilioPost(gw.publicUrl, inbound(CUSTOMER, '  stop '))).status, 200);
    const texts = (await inboundOf(conv)).map((m) => m.content.kind === 'text' ? m.content.text : '');
    assert.deepEqual(texts, ['hello', '  stop '], 'the opt-out message itself is kept');
    assert.ok((await conversation()).tags.includes('sms-opted-out'));
    const blocked = await reply(conv, 'Are you still there?');
    await eventually(async () => (await stateOf(blocked.id))?.status === 'failed', 'failed');
    assert.match((await stateOf(blocked.id))!.lastError!, /^opted_out: The customer has opted out/);
    assert.ok(!fake.attempts.some((a) => a.Body === 'Are you still there?'));
    assert.equal((await twilioPost(gw.publicUrl, inbound(CUSTOMER, 'START'))).status, 200);
    assert.ok(!(await conversation()).tags.includes('sms-opted-out'));
    const welcome = await reply(conv, 'Welcome back');
    await eventually(async () => (await stateOf(welcome.id))?.status === 'sent', 'sent');
    assert.deepEqual(replies().map((c) => c.Body), ['Welcome back']);
  });

  it('Twilio 503 then 429 with Retry-After then ok: delivered once, in order', async () => {
    const conv = await customerWrites();
    await eventually(() => fake.attempts.length >= 1, 'the offline notice went first');
    fake.script = [{ status: 503, message: 'Service Unavailable' }, { status: 429, code: 20429, message: 'Too Many Requests', retryAfter: 42 }];
    const a = await reply(conv, 'first');
    await reply(conv, 'second');
    await gw.outbox.pump();
    clock += 3000; // past the first backoff (2 s ± 25 %)
    await gw.outbox.pump();
    const waiting = (await stateOf(a.id))!;
    assert.equal(waiting.status, 'pending');
    assert.match(waiting.lastError!, /^20429: /);
    assert.equal(waiting.nextAt, clock + 42_000, "Twilio's Retry-After, to the millisecond");
    await drain(3);
    assert.deepEqual(replies().map((c) => c.Body), ['first', 'second']);
    assert.equal(fake.attempts.filter((x) => x.Body === 'first').length, 3);
  });
});

describe('sms channel over the customer quota (Twilio never redelivers a refused webhook)', () => {
  let fake: FakeTwilio;
  let gw: TestGateway;
  beforeEach(async () => {
    fake = await new FakeTwilio().listen();
    gw = await startGateway(`${smsConfig(fake)}\n[ratelimit]\ncustomer_quota = 1\nburst = 0\n`);
    await eventually(() => gw.channels.isRunning('sms'), 'sms running');
  });
  afterEach(async () => { await gw?.close(); await fake.close(); });

  it('keeps every text past the quota (200, stored, shown to agents) but the bot (decide) and classify stages skip them', async () => {
    const decided: string[] = [];
    const shown: string[] = [];
    gw.bus.use('decide', async (ctx, next) => { decided.push((ctx.message.content as { text: string }).text); await next(); });
    gw.bus.on('message', (m) => { if (m.direction === 'inbound') shown.push((m.content as { text: string }).text); });
    const texts = ['where is my order 1234?', 'hello??', 'anyone there', 'I want a refund', 'REFUND NOW'];
    for (const t of texts) {
      const r = await twilioPost(gw.publicUrl, inbound(CUSTOMER, t));
      assert.equal(r.status, 200, JSON.stringify(r.body));
    }
    await gw.bus.idle();
    const conv = (await gw.store.findConversationByRef({ channel: 'sms', account: ACCOUNTS.main.number, thread: CUSTOMER }))!;
    const inbound_ = (await gw.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound');
    assert.deepEqual(inbound_.map((m) => (m.content as { text: string }).text), texts, 'none lost, in order');
    assert.deepEqual(shown, texts, 'every one reaches the agents live');
    assert.deepEqual(decided, texts.slice(0, 1), 'only the one within the quota may get an automatic answer');
    assert.notEqual(conv.status, 'bot', 'still routed to a human');
  });
});
