import assert from 'node:assert/strict';
import pino from 'pino';
import { RedisLink } from '../../../plugins/cluster-redis/connection.js';
import { RedisFanout } from '../../../plugins/cluster-redis/fanout.js';
import type { RemoteEvent } from '../../../core/cluster/cluster.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { eventually } from '../../helpers/gateway.js';

const logger = pino({ level: process.env.KEFU_TEST_LOG ?? 'silent' });

const started = await startRedis();

describe('cluster-redis: bus events between nodes (real redis-server)', function () {
  if ('skip' in started) {
    it.skip(`order, own events ignored, resync after a restart: ${started.skip}`);
    return;
  }
  const redis: TestRedis = started;
  const links: RedisLink[] = [];
  after(() => redis.close());
  afterEach(async () => { await Promise.all(links.splice(0).map((l) => l.close())); });
  const signal = (origin: string, seq: number): RemoteEvent =>
    ({ origin, kind: 'signal', signal: { conversationId: 'C1', from: { id: 'u', role: 'agent' }, event: 'read', seq } });
  const node = async (nodeId: string) => {
    const link = await RedisLink.open(redis.url, logger);
    links.push(link);
    assert.ok(await link.whenReady(5000));
    const fanout = new RedisFanout(link, { prefix: 'fanout-test:', nodeId, logger });
    await fanout.start();
    const got: RemoteEvent[] = [];
    let resyncs = 0;
    fanout.onRemote((e) => got.push(e));
    fanout.onResync(() => { resyncs++; });
    return { link, fanout, got, resyncs: () => resyncs };
  };

  it('an event reaches the other node, in order, with its timestamps as Dates; never its own node', async () => {
    const a = await node('a');
    const b = await node('b');
    const sentAt = new Date('2026-12-02T01:02:03.456Z');
    const message = { id: 'M1', seq: 1, conversationId: 'C1', direction: 'inbound', from: { id: 'c', role: 'customer' }, content: { kind: 'text', text: 'hi' }, sentAt };
    a.fanout.publish({ origin: 'a', kind: 'message', message, conversation: { id: 'C1', updatedAt: sentAt } } as unknown as RemoteEvent);
    for (let seq = 1; seq <= 20; seq++) a.fanout.publish(signal('a', seq));
    await eventually(() => b.got.length === 21, 'all 21 on b');
    const first = b.got[0] as Extract<RemoteEvent, { kind: 'message' }>;
    assert.ok(first.message.sentAt instanceof Date);
    assert.equal(first.message.sentAt.getTime(), sentAt.getTime());
    assert.ok(first.conversation.updatedAt instanceof Date);
    assert.deepEqual(b.got.slice(1).map((e) => (e.kind === 'signal' ? e.signal.seq : 0)), Array.from({ length: 20 }, (_, i) => i + 1));
    // Redis delivers to a's subscriber in publish order: a's own 21 would have come before b's.
    b.fanout.publish(signal('b', 99));
    await eventually(() => a.got.length > 0, 'b\'s event on a');
    assert.deepEqual(a.got.map((e) => e.origin), ['b'], 'a never gets its own events');
    assert.ok(b.got.every((e) => e.origin === 'a'));
  });

  it('a Redis restart makes every node resync; what is published after arrives again', async () => {
    const a = await node('a');
    const b = await node('b');
    await redis.stop();
    await eventually(() => !a.link.ready() && !b.link.ready(), 'both down');
    a.fanout.publish(signal('a', 1));
    await redis.start();
    await eventually(() => a.resyncs() > 0 && b.resyncs() > 0, 'both resynced', 20_000);
    await eventually(() => a.link.ready() && b.link.ready(), 'both ready', 20_000);
    a.fanout.publish(signal('a', 2));
    await eventually(() => b.got.some((e) => e.kind === 'signal' && e.signal.seq === 2), 'the event after the restart');
    assert.ok(!b.got.some((e) => e.kind === 'signal' && e.signal.seq === 1), 'pub/sub keeps nothing: the lost one is the resync\'s to make good');
  });

  it('an unreadable or foreign message on the channel is dropped, and the next event still arrives', async () => {
    const b = await node('b');
    const raw = await node('raw');
    await raw.link.cmd.publish('fanout-test:ev:message', '{not json');
    await raw.link.cmd.publish('fanout-test:ev:message', JSON.stringify({ origin: 'x', kind: 'nonsense' }));
    raw.fanout.publish(signal('raw', 7));
    await eventually(() => b.got.length === 1, 'the good event');
    assert.equal(b.got[0].kind, 'signal');
  });
});
