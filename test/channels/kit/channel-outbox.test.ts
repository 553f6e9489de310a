import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApiTokens } from '../../../channels/api/tokens.js';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { startChild } from '../../helpers/child-gateway.js';
import { FakeVendor, fakepushConfig, vendorPost } from '../../helpers/fake-vendor.js';
import { FakepushChannel } from '../../fixtures/channels/fakepush/index.js';
import type { Conversation } from '../../../core/model/message.js';
import type { DeliveryUpdate } from '../../../core/model/delivery.js';

const SECRET = 'fake-secret-1';
const AGENT = { id: 'A_test', role: 'agent' as const, name: 'Ann' };

/** A fake clock for retry timing: tests move it and pump instead of waiting. */
class Clock { t = Date.now(); now = () => this.t; advance(ms: number) { this.t += ms; } }

describe('channel kit: the durable outbox for push channels (fake vendor over HTTP)', () => {
  let vendor: FakeVendor;
  let gw: TestGateway;
  let clock: Clock;
  let updates: DeliveryUpdate[];

  async function boot(extra = '') {
    clock = new Clock();
    gw = await startGateway(`${fakepushConfig(vendor, SECRET)}[ratelimit]\ncustomer_quota = 0\n${extra}`, { channels: [new FakepushChannel()], now: clock.now });
    updates = [];
    gw.bus.on('delivery', (u) => updates.push(u));
  }
  /** A customer writes in over the webhook: the conversation every reply goes back to. */
  async function customerConversation(from = '+8613800000001'): Promise<Conversation> {
    const r = await vendorPost(gw.publicUrl, SECRET, { type: 'message', id: `in${from.slice(1)}${Date.now()}`, from, text: 'hello' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    // Nobody is online: the gateway's notice goes out first; the tests' scripts are for what follows.
    await eventually(() => vendor.accepted.some((a) => a.to === from && a.text.startsWith('No agent')), 'the offline notice');
    return (await gw.store.findConversationByRef({ channel: 'fakepush', account: 'default', thread: from }))!;
  }
  /** What the vendor accepted, without the gateway's own notices ("No agent is online…"). */
  const replies = () => vendor.accepted.filter((a) => !a.text.startsWith('No agent'));
  const reply = (conv: Conversation, text: string) => gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'text', text } });
  const stateOf = async (messageId: string) => (await gw.store.outbox.byMessage([messageId])).get(messageId);
  /** Moves the clock past every retry that is waiting, then delivers what is due. */
  async function drain(rounds = 40) {
    for (let i = 0; i < rounds; i++) { clock.advance(15 * 60_000); await gw.outbox.pump(); }
  }

  beforeEach(async () => { vendor = await new FakeVendor().listen(); });
  afterEach(async () => { await gw?.close(); await vendor.close(); });

  it('a reply is recorded with its message, sent with the message id as idempotency key, and the agent sees queued → sent', async () => {
    await boot();
    const conv = await customerConversation();
    const r = await reply(conv, 'Your parcel left Hangzhou.');
    const item = await stateOf(r.message.id);
    assert.ok(item, 'the outbox row is there as soon as the message is');
    await eventually(async () => (await stateOf(r.message.id))?.status === 'sent', 'sent');
    assert.deepEqual(replies().map((a) => [a.to, a.text, a.key]), [['+8613800000001', 'Your parcel left Hangzhou.', r.message.id]]);
    assert.equal((await stateOf(r.message.id))!.vendorId, replies()[0].id, "the vendor's id is kept");
    assert.deepEqual(updates.filter((u) => u.messageId === r.message.id).map((u) => u.state), ['queued', 'sent']);
  });

  it('a send that fails three times then succeeds is delivered once, and the replies behind it wait their turn', async () => {
    await boot();
    const conv = await customerConversation();
    vendor.script = [{ status: 503 }, { status: 500 }, { status: 502 }];
    const sent = [];
    for (const t of ['one', 'two', 'three']) sent.push((await reply(conv, t)).message);
    await gw.outbox.pump();
    assert.equal(replies().length, 0, 'the head failed; nothing behind it overtook it');
    await drain(5);
    assert.deepEqual(replies().map((a) => a.text), ['one', 'two', 'three']);
    assert.equal(vendor.attempts.filter((a) => a.text === 'one').length, 4);
    assert.equal(vendor.attempts.filter((a) => a.text === 'two').length, 1, 'no attempt of "two" while "one" was failing');
    const head = (await stateOf(sent[0].id))!;
    assert.equal(head.status, 'sent');
    assert.equal(head.attempts, 4);
  });

  it('a permanent failure is visible as failed with the vendor\'s code; the next reply goes out; Retry sends it again', async () => {
    await boot();
    const conv = await customerConversation();
    vendor.script = [{ status: 400, code: 'invalid_number', message: 'The number is not a mobile number' }];
    const bad = (await reply(conv, 'first')).message;
    const good = (await reply(conv, 'second')).message;
    await drain(2);
    const failed = (await stateOf(bad.id))!;
    assert.equal(failed.status, 'failed');
    assert.match(failed.lastError!, /^invalid_number: .*not a mobile number/);
    assert.deepEqual(replies().map((a) => a.text), ['second']);
    const failedUpdate = updates.find((u) => u.messageId === bad.id && u.state === 'failed')!;
    assert.deepEqual(failedUpdate.error, { code: 'invalid_number', message: 'The number is not a mobile number' });
    await gw.channels.outbox.retry(bad.id);
    await drain(1);
    assert.deepEqual(replies().map((a) => a.text), ['second', 'first']);
    assert.deepEqual(updates.filter((u) => u.messageId === bad.id).map((u) => u.state), ['queued', 'failed', 'queued', 'sent']);
    await assert.rejects(gw.channels.outbox.retry(good.id), /not failed/);
  });

  it('a vendor down for a while holds every conversation\'s queue, then drains each in order; 429 Retry-After is honoured', async () => {
    await boot();
    const a = await customerConversation('+8613800000001');
    const b = await customerConversation('+8613800000002');
    vendor.down = true;
    for (let i = 1; i <= 5; i++) { await reply(a, `a${i}`); await reply(b, `b${i}`); }
    await drain(6); // 6 attempts of fake time each, well short of giving up
    assert.equal(replies().length, 0);
    assert.equal(await gw.store.outbox.pending('channel:fakepush'), 10);
    vendor.down = false;
    await drain(6); // one per conversation per pass: its head, then the next
    assert.deepEqual(replies().filter((x) => x.to.endsWith('1')).map((x) => x.text), ['a1', 'a2', 'a3', 'a4', 'a5']);
    assert.deepEqual(replies().filter((x) => x.to.endsWith('2')).map((x) => x.text), ['b1', 'b2', 'b3', 'b4', 'b5']);

    vendor.script = [{ status: 429, code: 'rate_limited', retryAfter: 42 }];
    const m = (await reply(a, 'slow down')).message;
    await gw.outbox.pump();
    const waiting = (await stateOf(m.id))!;
    assert.equal(waiting.status, 'pending');
    assert.equal(waiting.nextAt, clock.now() + 42_000, 'next attempt exactly at Retry-After');
    clock.advance(41_000);
    await gw.outbox.pump();
    assert.equal(vendor.attempts.filter((x) => x.text === 'slow down').length, 1);
    clock.advance(1_000);
    await gw.outbox.pump();
    assert.equal((await stateOf(m.id))!.status, 'sent');
  });

  it('sends to a disabled channel wait, and go out in order once it is enabled again', async () => {
    await boot();
    const conv = await customerConversation();
    const original = readFileSync(gw.configFile, 'utf8');
    writeFileSync(gw.configFile, original.replace('[channels.fakepush]\nenabled = true', '[channels.fakepush]\nenabled = false'));
    gw.config.reload();
    await eventually(() => !gw.channels.isRunning('fakepush'), 'stopped');
    await reply(conv, 'while off 1');
    await reply(conv, 'while off 2');
    await drain(2);
    assert.equal(vendor.attempts.filter((a) => !a.text.startsWith('No agent')).length, 0);
    assert.equal((await vendorPost(gw.publicUrl, SECRET, { type: 'message', id: 'x1', from: '+1', text: 'hi' })).status, 404, 'its webhook answers channel_disabled');
    writeFileSync(gw.configFile, original);
    gw.config.reload();
    await eventually(() => gw.channels.isRunning('fakepush'), 'running again');
    await eventually(() => replies().length === 2, 'both sent');
    assert.deepEqual(replies().map((x) => x.text), ['while off 1', 'while off 2']);
  });

  it('status callbacks move the delivery forward (delivered, read), never back; private notes and edits are not sent', async () => {
    await boot();
    const conv = await customerConversation();
    const m = (await reply(conv, 'hi')).message;
    await eventually(async () => (await stateOf(m.id))?.status === 'sent', 'sent');
    const vendorId = (await stateOf(m.id))!.vendorId!;
    await vendorPost(gw.publicUrl, SECRET, { type: 'status', id: vendorId, state: 'read' });
    await vendorPost(gw.publicUrl, SECRET, { type: 'status', id: vendorId, state: 'delivered' }); // late, out of order
    assert.equal((await stateOf(m.id))!.status, 'read');
    assert.deepEqual(updates.filter((u) => u.messageId === m.id).map((u) => u.state), ['queued', 'sent', 'read']);
    const note = await gw.bus.send({ conversationId: conv.id, from: AGENT, private: true, content: { kind: 'text', text: 'internal' } });
    assert.equal(await stateOf(note.message.id), undefined);
    await gw.bus.editMessage(m, { content: { kind: 'text', text: 'edited' } });
    await gw.outbox.pump();
    assert.deepEqual(vendor.attempts.map((x) => x.text).filter((t) => !t.startsWith('No agent')), ['hi']);
  });

  it('the Slack-compatible API, outgoing webhooks and /metrics show the same delivery state', async () => {
    const hooks: any[] = [];
    const hook = createServer((req, res) => { let raw = ''; req.on('data', (c) => { raw += c; }); req.on('end', () => { hooks.push(JSON.parse(raw)); res.end('ok'); }); });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    try {
      await boot(`[[webhooks]]\nurl = "http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook"\nsecret = "webhook-secret-1"\nevents = ["message.delivery"]\n`);
      const conv = await customerConversation();
      vendor.down = true;
      const m = (await reply(conv, 'tracking: KF-1')).message;
      await gw.outbox.pump();
      const metrics = (await (await fetch(`${gw.workspaceUrl}/metrics`)).text());
      assert.match(metrics, /kefu_outbox_pending\{target="channel:fakepush"\} 1/);
      assert.match(metrics, /kefu_channel_sends_total\{channel="fakepush",result="retry"\} 1/);
      vendor.down = false;
      await drain(1);
      const token = (await new ApiTokens(gw.store.tokens, () => []).create('reader', ['channels:history'])).token;
      const history = await (await fetch(`${gw.publicUrl}/api/conversations.history?channel=${conv.id}`, { headers: { authorization: `Bearer ${token}` } })).json() as any;
      const mine = history.messages.find((x: any) => x.kefu.id === m.id);
      assert.equal(mine.kefu.delivery.state, 'sent');
      assert.equal(mine.kefu.delivery.attempts, 2);
      await eventually(() => hooks.some((h) => h.type === 'message.delivery' && h.message_id === m.id && h.delivery.state === 'sent'), 'webhook message.delivery');
      const states = hooks.filter((h) => h.message_id === m.id).map((h) => h.delivery.state);
      assert.deepEqual(states, ['queued', 'queued', 'sent'], 'queued, queued again after the failed attempt (with its error), sent');
    } finally {
      hook.closeAllConnections();
      await new Promise((r) => hook.close(r));
    }
  });

  it('a vendor that never answers holds only its own conversation: others go out meanwhile', async () => {
    await boot();
    const a = await customerConversation('+8613800000011');
    const b = await customerConversation('+8613800000012');
    vendor.script = ['hang'];
    await reply(a, 'stuck');
    await eventually(() => vendor.attempts.some((x) => x.text === 'stuck'), 'the hanging send is in flight');
    await reply(b, 'goes through');
    await eventually(() => replies().some((x) => x.text === 'goes through'), 'the other conversation is delivered');
  });

  it('a status report that beats the vendor\'s own answer is not lost; reports arriving together never go backwards', async () => {
    await boot();
    const conv = await customerConversation();
    vendor.beforeAnswer = (id) => vendorPost(gw.publicUrl, SECRET, { type: 'status', id, state: 'failed', error: { code: '30003', message: 'Unreachable handset' } }).then(() => undefined);
    const m = (await reply(conv, 'early report')).message;
    await eventually(async () => (await stateOf(m.id))?.status === 'failed', 'the early failure report applied after the send was recorded');
    assert.match((await stateOf(m.id))!.lastError!, /^30003: Unreachable handset/);
    vendor.beforeAnswer = undefined;
    const m2 = (await reply(conv, 'together')).message;
    await eventually(async () => (await stateOf(m2.id))?.status === 'sent', 'sent');
    const vendorId = (await stateOf(m2.id))!.vendorId!;
    await Promise.all([vendorPost(gw.publicUrl, SECRET, { type: 'status', id: vendorId, state: 'read' }), vendorPost(gw.publicUrl, SECRET, { type: 'status', id: vendorId, state: 'delivered' })]);
    assert.equal((await stateOf(m2.id))!.status, 'read');
  });

  it('a reply to a conversation whose channel is not registered waits in the outbox, visible as queued', async () => {
    await boot();
    const res = await gw.bus.ingest({ ref: { channel: 'ghost', account: 'default', thread: 'g1' }, customer: { externalId: 'g1' }, sourceId: 'g-1', content: { kind: 'text', text: 'hi' } });
    const m = (await reply(res.conversation, 'anyone there?')).message;
    assert.equal((await stateOf(m.id))!.status, 'pending');
    assert.ok(updates.some((u) => u.messageId === m.id && u.state === 'queued'));
  });

  it('webhooks: a bad or stale signature is 403 invalid_signature; a replayed message is stored once', async () => {
    await boot();
    const wrong = await vendorPost(gw.publicUrl, SECRET, { type: 'message', id: 'm1', from: '+1', text: 'x' }, { signature: 'ab'.repeat(32) });
    assert.equal(wrong.status, 403);
    assert.equal(wrong.body.error.code, 'invalid_signature');
    const stale = await vendorPost(gw.publicUrl, SECRET, { type: 'message', id: 'm1', from: '+1', text: 'x' }, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
    assert.equal(stale.status, 403);
    const first = await vendorPost(gw.publicUrl, SECRET, { type: 'message', id: 'm2', from: '+1', text: 'once' });
    const again = await vendorPost(gw.publicUrl, SECRET, { type: 'message', id: 'm2', from: '+1', text: 'once' });
    assert.deepEqual([first.body.duplicate, again.body.duplicate], [false, true]);
    const conv = (await gw.store.findConversationByRef({ channel: 'fakepush', account: 'default', thread: '+1' }))!;
    assert.equal((await gw.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound').length, 1);
  });
});

describe('channel kit: kill -9 between store and send', () => {
  it('replies stored while the vendor did not answer are delivered after a restart, in order, once each where the vendor dedupes', async function () {
    this.timeout(60_000);
    const vendor = await new FakeVendor().listen();
    const dir = mkdtempSync(join(tmpdir(), 'kefu-outbox-crash-'));
    const extra = `${fakepushConfig(vendor, SECRET)}[ratelimit]\ncustomer_quota = 0\n[auth]\nsession_ttl_h = 1\n`;
    try {
      let child = await startChild(dir, extra);
      const inbound = await vendorPost(child.url, SECRET, { type: 'message', id: 'in-1', from: '+8613800000009', text: 'where is my order?' });
      assert.equal(inbound.status, 200, JSON.stringify(inbound.body));
      // The vendor takes the first send and never answers it; everything behind it waits.
      await eventually(() => vendor.accepted.length === 1, 'the offline notice went out');
      vendor.script = ['hang'];
      const login = await (await fetch(`${child.workspace}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ login: 'admin', password: 'admin-password-1' }) })).json() as any;
      const auth = { authorization: `Bearer ${login.token}`, 'content-type': 'application/json' };
      const list = await (await fetch(`${child.workspace}/api/conversations?status=queued,assigned,pending,bot`, { headers: auth })).json() as any;
      assert.equal(list.conversations?.length, 1, JSON.stringify(list));
      const conv = list.conversations[0].id;
      for (const text of ['r1', 'r2', 'r3']) {
        const r = await fetch(`${child.workspace}/api/conversations/${conv}/messages`, { method: 'POST', headers: auth, body: JSON.stringify({ text }) });
        assert.equal(r.status, 201);
      }
      // Replying took the conversation: "Admin joined" goes out first, and that is the send left hanging.
      await eventually(() => vendor.attempts.length === 2, 'the first send after the notice is in flight');
      const hung = vendor.attempts[1];
      child.proc.kill('SIGKILL');
      await child.exited;
      child = await startChild(dir, extra);
      await eventually(() => vendor.accepted.length === 5, 'everything delivered after the restart', 30_000);
      assert.deepEqual(vendor.accepted.slice(1).map((a) => a.text), ['Admin joined the conversation', 'r1', 'r2', 'r3']);
      const again = vendor.attempts.filter((a) => a.text === hung.text);
      assert.equal(again.length, 2, 'the hanging send was sent again (at least once)…');
      assert.equal(new Set(again.map((a) => a.key)).size, 1, '…with the same idempotency key, so the vendor kept one');
      child.proc.kill('SIGTERM');
      await child.exited;
    } finally {
      await vendor.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
