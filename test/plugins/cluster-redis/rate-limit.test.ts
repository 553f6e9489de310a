import assert from 'node:assert/strict';
import pino from 'pino';
import { RedisLink } from '../../../plugins/cluster-redis/connection.js';
import { RedisRateLimiter } from '../../../plugins/cluster-redis/rate-limit.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { eventually } from '../../helpers/gateway.js';

const logger = pino({ level: process.env.KEFU_TEST_LOG ?? 'silent' });

describe('cluster-redis: rate limits across nodes (GCRA in Lua, real redis-server)', function () {
  let redis: TestRedis;
  const links: RedisLink[] = [];
  const limiter = async (quota: number, burst: number) => {
    const link = await RedisLink.open(redis.url, logger);
    links.push(link);
    assert.ok(await link.whenReady(5000));
    return new RedisRateLimiter(link, 'kefu-test:rl:customer:', quota, burst);
  };

  before(async function () {
    const r = await startRedis();
    if ('skip' in r) { console.log(`      skipped: ${r.skip}`); return this.skip(); }
    redis = r;
  });
  afterEach(async () => {
    if (links[0]?.ready()) await links[0].cmd.flushall();
    for (const l of links.splice(0)) await l.close();
  });
  after(async () => { await redis?.close(); });

  it('two nodes share one quota per key: burst + 1 at once in total, then the wait; other keys are not affected', async () => {
    const a = await limiter(6, 2); // one per 10 s, 2 extra at once
    const b = await limiter(6, 2);
    const waits = [await a.take('cust1'), await b.take('cust1'), await a.take('cust1'), await b.take('cust1'), await a.take('cust1')];
    assert.deepEqual(waits.slice(0, 3), [0, 0, 0]);
    assert.ok(waits[3] > 0 && waits[3] <= 10, `then a wait of at most one interval (${waits[3]} s)`);
    assert.ok(waits[4] > 0);
    assert.equal(await b.take('cust2'), 0);
  });

  it('a refused take does not consume: the quota holds however many nodes ask', async () => {
    const nodes = await Promise.all([limiter(60, 4), limiter(60, 4), limiter(60, 4)]);
    const waits = await Promise.all(Array.from({ length: 30 }, (_, i) => nodes[i % 3].take('flood')));
    assert.equal(waits.filter((w) => w === 0).length, 5, 'burst 4 + 1, across the three nodes together');
  });

  it('quota 0 is off and answers synchronously; reconfigured, the new rate applies', async () => {
    const a = await limiter(0, 0);
    assert.equal(a.take('x'), 0);
    a.configure(6, 0);
    assert.equal(await a.take('x'), 0);
    assert.ok((await a.take('x')) > 0);
  });

  it('while Redis is down each node counts alone (synchronously), and shares again once it is back', async () => {
    const a = await limiter(6, 0);
    await redis.stop();
    await eventually(() => !links[0].ready(), 'the outage is seen');
    const w1 = a.take('cust');
    assert.equal(typeof w1, 'number', 'no promise while Redis is away');
    assert.equal(w1, 0);
    assert.ok((a.take('cust') as number) > 0, 'the local count still limits');
    await redis.start();
    await eventually(() => links[0].ready(), 'back', 15_000);
    const w = a.take('other');
    assert.equal(typeof w, 'object');
    assert.equal(await w, 0);
  });
});
