import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import type { Conversation, InboundMessage, Participant } from '../../../core/model/message.js';
import { APP, FakeDingtalk, PNG, dingtalkConfig } from '../../fixtures/channels/dingtalk/fake-dingtalk.js';

const AGENT = { id: 'A_dt', role: 'agent' as const, name: 'Ann' };

describe('dingtalk channel, stream mode (dingtalk-stream SDK against a local fake DingTalk)', () => {
  let fake: FakeDingtalk;
  let gw: TestGateway;

  const start = async (o: Parameters<typeof dingtalkConfig>[1] = {}) => {
    gw = await startGateway(`[channels.dingtalk]\nenabled = true\n${dingtalkConfig(fake, o)}\n[ratelimit]\ncustomer_quota = 0\n`);
    await eventually(() => gw.channels.isRunning('dingtalk'), 'dingtalk running');
  };
  beforeEach(async () => { fake = await new FakeDingtalk().listen(); });
  afterEach(async () => { await gw?.close(); await fake.close(); });

  const connected = () => eventually(() => fake.open === 1 && gw.channels.health().dingtalk?.state === 'connected', 'stream connected');
  const ref = (staffId = 'manager4711') => ({ channel: 'dingtalk', account: APP.clientId, thread: `u:${staffId}` });
  const conversation = async (r = ref()) => (await gw.store.findConversationByRef(r))!;
  const inboundOf = async (conv: Conversation) => (await gw.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound');
  const replies = () => fake.sent.filter((s) => !s.text.startsWith('No agent'));
  const reply = async (conv: Conversation, text: string, from: Participant = AGENT) => (await gw.bus.send({ conversationId: conv.id, from, content: { kind: 'text', text } })).message;
  /** Holds the bus's ingest: the first call waits for release(); with `failLater` the later ones fail (a broken store). */
  const holdIngest = (failLater = false) => {
    const ingest = gw.bus.ingest.bind(gw.bus);
    let open!: () => void;
    const gate = new Promise<void>((r) => { open = r; });
    const h = { calls: 0, release: () => open(), restore: () => { gw.bus.ingest = ingest; } };
    gw.bus.ingest = async (m: InboundMessage) => {
      if (++h.calls > 1 && failLater) throw new Error('disk I/O error');
      await gate;
      return ingest(m);
    };
    return h;
  };
  /** Pushes a callback and waits for its ack (DingTalk's "received"). */
  const deliver = async (m: ReturnType<FakeDingtalk['message']>, what = 'acked') => { const id = fake.push(m); await eventually(() => fake.isAcked(id), what); };
  const stateOf = async (id: string) => (await gw.store.outbox.byMessage([id])).get(id);

  it('a 1:1 text is stored, then acknowledged; the employee\'s departments reach the conversation, looked up once', async () => {
    await start();
    await connected();
    assert.deepEqual(fake.openRequests[0].subscriptions, [{ type: 'CALLBACK', topic: '/v1.0/im/bot/messages/get' }]);
    const m = fake.message({ text: '  我的订单到哪了？' });
    const cb = fake.push(m);
    await eventually(() => fake.isAcked(cb), 'acked');
    const conv = await conversation();
    const [stored] = await inboundOf(conv);
    assert.equal(stored.sourceId, m.msgId);
    assert.deepEqual(stored.content, { kind: 'text', text: '我的订单到哪了？' });
    assert.equal(conv.customer.name, '小明');
    await eventually(async () => (await conversation()).meta?.department === '采购部 / 华东区', 'departments in meta');
    assert.equal((await conversation()).meta?.title, '采购经理');
    const second = fake.push(fake.message({ text: 'still there?' }));
    await eventually(() => fake.isAcked(second), 'second acked');
    await gw.bus.idle();
    assert.deepEqual(fake.directoryCalls, ['user:manager4711', 'dept:10', 'dept:20'], 'the directory is asked once per user');
  });

  it('a text over max_text_chars is stored cut, with a note, and acknowledged (refused, DingTalk would redeliver it every minute)', async () => {
    await start();
    await connected();
    const cb = fake.push(fake.message({ text: 'x'.repeat(5000) }));
    await eventually(() => fake.isAcked(cb), 'acked');
    const [stored] = await inboundOf(await conversation());
    const text = (stored.content as { text: string }).text;
    assert.equal(text.length, 4000);
    assert.match(text, /^x+\n\[… cut: the customer's message had 5000 characters\]$/);
  });

  it('a redelivered callback (same msgId) is stored once and acknowledged each time', async () => {
    await start();
    await connected();
    const m = fake.message({ text: 'once' });
    const a = fake.push(m);
    const b = fake.push(m);
    await eventually(() => fake.isAcked(a) && fake.isAcked(b), 'both acked');
    fake.redeliver();
    const c = fake.push(m);
    await eventually(() => fake.isAcked(c), 'third acked');
    assert.equal((await inboundOf(await conversation())).length, 1);
  });

  it('the ack waits for ingest: none while the store has not confirmed, none when ingest fails; the redelivery is stored', async () => {
    await start();
    await connected();
    const hold = holdIngest(true);
    const held = fake.push(fake.message({ text: 'held' }));
    await eventually(() => hold.calls === 1, 'ingest called');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(fake.isAcked(held), false, 'no ack before ingest resolved');
    hold.release();
    await eventually(() => fake.isAcked(held), 'acked after ingest');

    const failing = fake.push(fake.message({ text: 'lost?' }));
    await eventually(() => hold.calls === 2, 'second ingest called');
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(fake.isAcked(failing), false, 'a failed ingest is not acknowledged');
    hold.restore();
    fake.redeliver();
    await eventually(() => fake.isAcked(failing), 'redelivery acked');
    const texts = (await inboundOf(await conversation())).map((m) => m.content.kind === 'text' && m.content.text);
    assert.deepEqual(texts, ['held', 'lost?']);
  });

  it('reconnects after the server drops the socket; a callback unacked at the drop is redelivered and stored once', async () => {
    await start();
    await connected();
    const hold = holdIngest();
    const m = fake.message({ text: 'in flight at the drop' });
    const cb = fake.push(m);
    // The copy must be in ingest at the drop (a fixed sleep let a slow run drop it before it arrived, testing nothing).
    await eventually(() => hold.calls === 1, 'the first copy is being stored');
    fake.drop();
    await eventually(() => gw.channels.health().dingtalk.state !== 'connected', 'drop noticed');
    hold.release(); // the first copy is stored now; its ack has no socket to go to
    hold.restore();
    await eventually(() => fake.connections === 2 && fake.isAcked(cb), 'reconnected, and the redelivered copy acked');
    assert.equal((await inboundOf(await conversation())).length, 1);
    const after = fake.push(fake.message({ text: 'after the reconnect' }));
    await eventually(() => fake.isAcked(after), 'new callback acked');
    assert.equal((await inboundOf(await conversation())).length, 2);
    assert.equal(gw.channels.health().dingtalk.state, 'connected');
  });

  it('a half-dead socket (no frames within keepalive_ms) is detected, shown in health and replaced', async () => {
    await start({ keepaliveMs: 600 });
    await connected();
    const states: string[] = [];
    const seen = setInterval(() => { const h = gw.channels.health().dingtalk; states.push(`${h.state}|${h.detail ?? ''}`); }, 20);
    fake.halfDead = true;
    try {
      await eventually(() => states.some((s) => /half-dead/.test(s)), 'half-dead in health');
      fake.halfDead = false;
      await eventually(() => fake.connections === 2 && fake.open === 1, 'replaced');
      await connected();
    } finally { clearInterval(seen); }
    assert.ok(states.some((s) => s.startsWith('degraded|stream: no frames for')), states.join('\n'));
    const cb = fake.push(fake.message({ text: 'after half-dead' }));
    await eventually(() => fake.isAcked(cb), 'acked on the new socket');
  });

  it('the server\'s rebalancing (SYSTEM disconnect) moves to a new connection; a ping is echoed; a garbage frame is dropped', async () => {
    await start();
    await connected();
    fake.ping();
    await eventually(() => fake.pongs.length === 1, 'ping echoed');
    fake.raw('not json {');
    fake.raw(JSON.stringify({ type: 'SYSTEM' }));
    fake.rebalance();
    await eventually(() => fake.connections === 2 && fake.open === 1, 'reconnected');
    const cb = fake.push(fake.message({ text: 'after rebalance' }));
    await eventually(() => fake.isAcked(cb), 'acked');
  });

  it('a group message with an @ of the robot: a conversation per asker, the group named; the reply @s them in the group', async () => {
    await start();
    await connected();
    const m = fake.message({ group: true, text: '@李四 这批货什么时候到？', session: 'grp1' });
    await deliver(m, 'acked');
    const not = fake.message({ group: true, text: 'chatter', extra: { isInAtList: false } });
    const chatter = fake.push(not);
    await eventually(() => fake.isAcked(chatter), 'chatter acked (and ignored)');
    const conv = await conversation({ channel: 'dingtalk', account: APP.clientId, thread: 'g:cidGroupXYZ==:manager4711' });
    assert.equal(conv.meta?.group, '售后群');
    assert.deepEqual((await inboundOf(conv)).map((x) => x.content.kind === 'text' && x.content.text), ['@李四 这批货什么时候到？']);
    await reply(conv, 'Tomorrow.');
    await eventually(() => replies().length === 1, 'reply sent');
    assert.deepEqual(replies()[0], { ...replies()[0], via: 'session', to: 'grp1', text: 'Tomorrow.', at: ['manager4711'] });
  });

  it('a picture is stored as an image attachment; rich text keeps its text and pictures', async () => {
    await start();
    await connected();
    const pic = fake.message({ extra: { msgtype: 'picture', text: undefined, content: { downloadCode: 'dl-pic-1', pictureDownloadCode: 'pdl-1' } } });
    await deliver(pic, 'picture acked');
    const rich = fake.message({ extra: { msgtype: 'richText', text: undefined, content: { richText: [{ text: 'broken on arrival: ' }, { type: 'picture', downloadCode: 'dl-2' }, { text: 'see?' }] } } });
    await deliver(rich, 'rich text acked');
    const [a, b] = await inboundOf(await conversation());
    assert.equal(a.content.kind, 'media');
    if (a.content.kind !== 'media' || b.content.kind !== 'media') return assert.fail('media expected');
    assert.deepEqual(a.content.attachments.map((x) => [x.kind, x.mime, x.width]), [['image', 'image/png', 2]]);
    assert.equal(a.content.caption, undefined);
    assert.equal(b.content.caption, 'broken on arrival: see?');
    const stored = await fetch(`${gw.publicUrl}/media/${a.content.attachments[0].mediaId}`);
    assert.deepEqual(Buffer.from(await stored.arrayBuffer()), PNG);
  });

  it('replies: the sessionWebhook while valid, then (expired, or answering an errcode) the proactive batchSend with one cached token', async () => {
    await start();
    await connected();
    await deliver(fake.message({ text: 'hi', session: 'live' }), 'acked');
    const conv = await conversation();
    await eventually(() => fake.sent.length === 1, 'the offline notice went out');
    await reply(conv, 'one');
    await eventually(() => replies().length === 1, 'one sent');
    fake.deadSessions.add('live');
    const two = await reply(conv, 'two');
    await eventually(async () => (await stateOf(two.id))?.status === 'sent', 'two sent');
    await deliver(fake.message({ text: 'later', session: 'old', expiresIn: -1000 }), 'acked');
    await reply(conv, 'three');
    await eventually(() => replies().length === 3, 'three sent');
    assert.deepEqual(replies().map((s) => [s.via, s.to, s.msgKey, s.text]), [
      ['session', 'live', 'text', 'one'], ['batchSend', 'manager4711', 'sampleText', 'two'], ['batchSend', 'manager4711', 'sampleText', 'three']]);
    assert.equal(fake.tokenCalls, 1, 'the access token is cached');
    assert.match((await stateOf(two.id))!.vendorId!, /^pq\d+/);
  });

  it('an agent\'s image is uploaded as media and sent as a picture, its caption after; a bot\'s formatted answer goes as markdown', async () => {
    await start();
    await connected();
    await deliver(fake.message({ text: 'hi', session: 's-img' }), 'acked');
    const conv = await conversation();
    await deliver(fake.message({ extra: { msgtype: 'picture', text: undefined, content: { downloadCode: 'dl-label' } } }));
    const pic = (await inboundOf(conv))[1];
    const img = pic.content.kind === 'media' ? pic.content.attachments[0] : assert.fail('picture expected');
    await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'media', attachments: [img], caption: 'Is this the label?' } });
    await eventually(() => replies().length === 2, 'picture and caption sent');
    const bot = { id: 'B_faq', role: 'bot' as const, name: 'FAQ' };
    await reply(conv, '## Returns\n- within **7 days**\n- [form](https://example.com/r)', bot);
    await eventually(() => replies().length === 3, 'markdown sent');
    assert.deepEqual(fake.uploads.map((u) => u.type), ['image']);
    assert.deepEqual(replies().map((s) => [s.via, s.msgKey]), [['batchSend', 'sampleImageMsg'], ['session', 'text'], ['session', 'markdown']]);
    assert.match(replies()[0].param.photoURL, /^@media/);
    assert.equal(replies()[2].param.title, 'Returns');
  });

  it('a picture with a caption whose caption fails: the retry sends only the caption, the picture is not sent twice', async () => {
    let clock = Date.now();
    gw = await startGateway(`[channels.dingtalk]\nenabled = true\n${dingtalkConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n`, { now: () => clock });
    await connected();
    await deliver(fake.message({ extra: { msgtype: 'picture', text: undefined, content: { downloadCode: 'dl-x' } }, expiresIn: -1 }));
    await eventually(() => fake.sent.length === 1, 'the offline notice went out');
    const conv = await conversation();
    const pic = (await inboundOf(conv))[0];
    const img = pic.content.kind === 'media' ? pic.content.attachments[0] : assert.fail('picture expected');
    fake.script = ['ok', { status: 503, code: 'ServiceUnavailable' }];
    const m = (await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'media', attachments: [img], caption: 'This one?' } })).message;
    await eventually(() => fake.attempts.length === 3, 'picture sent, caption failed');
    for (let i = 0; i < 3; i++) { clock += 15 * 60_000; await gw.outbox.pump(); }
    await eventually(async () => (await stateOf(m.id))?.status === 'sent', 'sent');
    assert.deepEqual(replies().map((s) => s.msgKey), ['sampleImageMsg', 'sampleText']);
    assert.equal(fake.uploads.length, 1);
  });

  it('DingTalk errors: 503 and QPS throttling are retried, then a 400 fails visibly with DingTalk\'s code; the next reply goes out', async () => {
    let clock = Date.now();
    gw = await startGateway(`[channels.dingtalk]\nenabled = true\n${dingtalkConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n`, { now: () => clock });
    await connected();
    await deliver(fake.message({ text: 'hi', expiresIn: -1 }), 'acked');
    await eventually(() => fake.sent.length === 1, 'the offline notice went out');
    const conv = await conversation();
    fake.script = [{ status: 503, code: 'ServiceUnavailable' }, { status: 403, code: 'Forbidden.AccessDenied.QpsLimitForApi', message: 'qps' }, { status: 400, code: 'invalidParameter.userIds', message: 'bad user' }];
    const a = await reply(conv, 'first');
    const b = await reply(conv, 'second');
    for (let i = 0; i < 6; i++) { clock += 15 * 60_000; await gw.outbox.pump(); }
    await eventually(async () => (await stateOf(b.id))?.status === 'sent', 'second sent');
    const first = (await stateOf(a.id))!;
    assert.equal(first.status, 'failed');
    assert.equal(first.attempts, 3);
    assert.match(first.lastError!, /^invalidParameter\.userIds: bad user/);
    assert.deepEqual(fake.attempts.filter((x) => !x.text.startsWith('No agent')).map((x) => [x.text, x.answer]),
      [['first', '503'], ['first', '403'], ['first', '400'], ['second', 'ok']], 'the failing head held the second until it failed');
  });

  it('disabling the channel closes its stream; enabling it again reconnects', async () => {
    await start();
    await connected();
    const toggle = (on: boolean) => {
      writeFileSync(gw.configFile, readFileSync(gw.configFile, 'utf8').replace(/(\[channels\.dingtalk\]\nenabled = )(true|false)/, `$1${on}`));
      gw.config.reload();
    };
    toggle(false);
    await eventually(() => fake.open === 0 && gw.channels.health().dingtalk.state === 'stopped', 'stream closed');
    const waiting = fake.push(fake.message({ text: 'while disabled' }));
    toggle(true);
    await eventually(() => fake.isAcked(waiting), 'redelivered on the new connection and acked');
    assert.equal(fake.connections, 2);
  });

  it('wrong credentials show auth_failed in health, naming the app', async () => {
    await start({ streamSecret: 'not-the-secret-at-all' });
    await eventually(() => gw.channels.health().dingtalk?.state === 'auth_failed', 'auth_failed');
    assert.match(gw.channels.health().dingtalk.detail!, /^stream: DingTalk refused the app's credentials/);
    assert.equal(fake.open, 0);
  });
});
