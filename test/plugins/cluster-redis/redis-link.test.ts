import assert from 'node:assert/strict';
import pino from 'pino';
import { RedisLink } from '../../../plugins/cluster-redis/connection.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { eventually } from '../../helpers/gateway.js';

const logger = pino({ level: process.env.KEFU_TEST_LOG ?? 'silent' });

describe('cluster-redis: the Redis link (real redis-server)', function () {
  let redis: TestRedis;
  const links: RedisLink[] = [];
  const open = async () => { const l = await RedisLink.open(redis.url, logger); links.push(l); assert.ok(await l.whenReady(5000)); return l; };

  before(async function () {
    const r = await startRedis();
    if ('skip' in r) { console.log(`      skipped: ${r.skip}`); return this.skip(); }
    redis = r;
  });
  afterEach(async () => { for (const l of links.splice(0)) await l.close(); });
  after(async () => { await redis?.close(); });

  it('is not ready while Redis is down and ready again when it returns, by itself; commands fail at once meanwhile', async () => {
    const link = await open();
    assert.equal(link.ready(), true);
    await redis.stop();
    await eventually(() => !link.ready(), 'not ready');
    await assert.rejects(link.cmd.get('k'), 'a command while Redis is away fails instead of waiting in a queue');
    await redis.start();
    await eventually(() => link.ready(), 'ready again', 15_000);
    assert.equal(await link.cmd.set('k', 'v'), 'OK');
  });

  it('subscriptions are re-established after a Redis restart (messages published after it arrive)', async () => {
    const listener = await open();
    const publisher = await open();
    const got: string[] = [];
    await listener.subscribe('kefu-test:news', (m) => got.push(m));
    await publisher.cmd.publish('kefu-test:news', 'before');
    await eventually(() => got.includes('before'), 'the first message');
    await redis.stop();
    await eventually(() => !listener.ready() && !publisher.ready(), 'both see the outage');
    await redis.start();
    await eventually(() => listener.ready() && publisher.ready(), 'both back', 15_000);
    // A publish can race the resubscribe that follows the reconnect: publish until one arrives.
    await eventually(async () => { await publisher.cmd.publish('kefu-test:news', 'after'); return got.includes('after'); }, 'a message after the restart');
    assert.equal(got.filter((m) => m === 'before').length, 1);
  });
});
