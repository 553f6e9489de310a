import assert from 'node:assert/strict';
import pino from 'pino';
import { ConversationBus } from '../../../core/bus/conversation-bus.js';
import { compose } from '../../../core/bus/pipeline.js';
import { SqliteStore } from '../../../core/store/sqlite-store.js';
import { GcraRateLimiter } from '../../../core/ratelimit/rate-limiter.js';
import { KefuError } from '../../../core/errors.js';
import type { InboundMessage, Message } from '../../../core/model/message.js';

function setup(quota = 0) {
  const store = new SqliteStore({ path: ':memory:', commitIntervalMs: 1 });
  const sent: Message[] = [];
  const limiter = new GcraRateLimiter(quota, 0);
  const bus = new ConversationBus({ store, limiter, logger: pino({ level: 'silent' }),
    limits: () => ({ maxTextChars: 100, defaultQueue: 'general' }), sendOut: async (m) => { sent.push(m); } });
  return { store, bus, sent, limiter, close: async () => { limiter.close(); await store.close(); } };
}

const inbound = (text: string, thread = 'v1', sourceId?: string): InboundMessage =>
  ({ ref: { channel: 'web', account: 'default', thread }, customer: { externalId: thread }, sourceId, content: { kind: 'text', text } });

describe('ConversationBus', () => {
  it('runs stages in order, ingest before the ack and the rest after, per conversation in seq order', async () => {
    const t = setup();
    const seen: string[] = [];
    for (const s of ['ingest', 'classify', 'decide', 'route', 'deliver'] as const) {
      t.bus.use(s, async (ctx, next) => { seen.push(`${s}:${(ctx.message.content as any).text}`); await next(); });
    }
    // decide is held open: the ack must not wait for it (durable is enough).
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    t.bus.use('decide', async (_ctx, next) => { await held; await next(); });
    const r1 = await t.bus.ingest(inbound('a'));
    assert.equal(r1.status, 'accepted');
    assert.equal(r1.message.seq, 1);
    assert.equal((await t.store.listMessages(r1.conversation.id, {})).length, 1, 'durable when acknowledged');
    await t.bus.ingest(inbound('b'));
    assert.ok(!seen.includes('deliver:a'));
    release();
    await t.bus.idle();
    const of = (m: string) => seen.filter((x) => x.endsWith(`:${m}`)).map((x) => x.split(':')[0]);
    assert.deepEqual(of('a'), ['ingest', 'classify', 'decide', 'route', 'deliver']);
    assert.deepEqual(of('b'), ['ingest', 'classify', 'decide', 'route', 'deliver']);
    assert.ok(seen.indexOf('deliver:a') < seen.indexOf('classify:b'), 'b is processed after a (same conversation)');
    assert.equal((await t.store.getConversation(r1.conversation.id))?.status, 'queued');
    await t.close();
  });

  it('an ingest middleware that throws rejects the message: nothing stored, the conversation intact', async () => {
    const t = setup();
    t.bus.use('ingest', async (ctx, next) => {
      if ((ctx.message.content as any).text === 'spam') throw new KefuError('forbidden', 'blocked');
      await next();
    });
    const ok = await t.bus.ingest(inbound('hello'));
    await assert.rejects(t.bus.ingest(inbound('spam')), (e: KefuError) => e.code === 'forbidden');
    const ok2 = await t.bus.ingest(inbound('again'));
    assert.equal(ok2.message.seq, 2);
    assert.deepEqual((await t.store.listMessages(ok.conversation.id, {})).map((m) => (m.content as any).text), ['hello', 'again']);
    await t.close();
  });

  it('dedupes concurrent and later retries of the same sourceId', async () => {
    const t = setup();
    const [a, b] = await Promise.all([t.bus.ingest(inbound('x', 'v1', 'src-1')), t.bus.ingest(inbound('x', 'v1', 'src-1'))]);
    const c = await t.bus.ingest(inbound('x', 'v1', 'src-1'));
    assert.deepEqual([a.status, b.status, c.status].sort(), ['accepted', 'duplicate', 'duplicate']);
    assert.equal(new Set([a.message.id, b.message.id, c.message.id]).size, 1);
    assert.equal((await t.store.listMessages(a.conversation.id, {})).length, 1);
    await t.close();
  });

  it('two first messages racing create one conversation', async () => {
    const t = setup();
    const [a, b] = await Promise.all([t.bus.ingest(inbound('1', 'race')), t.bus.ingest(inbound('2', 'race'))]);
    assert.equal(a.conversation.id, b.conversation.id);
    assert.deepEqual([a.message.seq, b.message.seq].sort(), [1, 2]);
    await t.close();
  });

  it('a failing classify plugin does not stop delivery', async () => {
    const t = setup();
    t.bus.use('classify', () => { throw new Error('model crashed'); });
    const delivered: string[] = [];
    t.bus.on('message', (m) => delivered.push(m.id));
    const r = await t.bus.ingest(inbound('still here'));
    await t.bus.idle();
    assert.deepEqual(delivered, [r.message.id]);
    await t.close();
  });

  it('validates content and enforces the per-customer rate limit', async () => {
    const t = setup(2);
    await assert.rejects(t.bus.ingest(inbound('')), (e: KefuError) => e.code === 'validation_failed');
    await assert.rejects(t.bus.ingest(inbound('x'.repeat(101))), (e: KefuError) => e.code === 'payload_too_large');
    await t.bus.ingest(inbound('one'));
    await assert.rejects(t.bus.ingest(inbound('two')), (e: KefuError) => e.code === 'rate_limited' && (e.details?.retryAfter as number) > 0);
    await t.bus.ingest(inbound('other customer', 'v2'));
    await t.close();
  });

  it('send: stores outbound, hands non-private messages to the channel, keeps private notes inside', async () => {
    const t = setup();
    const r = await t.bus.ingest(inbound('hi'));
    const agent = { id: 'A1', role: 'agent' as const, name: 'Ann' };
    await t.bus.send({ conversationId: r.conversation.id, from: agent, content: { kind: 'text', text: 'hello' }, clientId: 'reply-0001' });
    await t.bus.send({ conversationId: r.conversation.id, from: agent, content: { kind: 'text', text: 'note' }, private: true });
    const again = await t.bus.send({ conversationId: r.conversation.id, from: agent, content: { kind: 'text', text: 'hello' }, clientId: 'reply-0001' });
    assert.equal(again.status, 'duplicate');
    await new Promise((res) => setImmediate(res));
    assert.deepEqual(t.sent.map((m) => (m.content as any).text), ['hello']);
    await assert.rejects(t.bus.send({ conversationId: 'nope', from: agent, content: { kind: 'text', text: 'x' } }), (e: KefuError) => e.code === 'conversation_not_found');
    await t.close();
  });
});

describe('compose', () => {
  it('runs middleware around the core step and refuses next() twice', async () => {
    const log: string[] = [];
    const run = compose([async (_c, next) => { log.push('a>'); await next(); log.push('<a'); }], () => { log.push('core'); });
    await run({} as any);
    assert.deepEqual(log, ['a>', 'core', '<a']);
    const twice = compose([async (_c, next) => { await next(); await next(); }], () => {});
    await assert.rejects(twice({} as any), /multiple/);
  });
});
