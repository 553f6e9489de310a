import assert from 'node:assert/strict';
import pino from 'pino';
import { RedisLink } from '../../../plugins/cluster-redis/connection.js';
import { Leases } from '../../../plugins/cluster-redis/leases.js';
import { RedisSecrets } from '../../../plugins/cluster-redis/secrets.js';
import type { Lease } from '../../../core/cluster/cluster.js';
import { startRedis, type TestRedis } from '../../helpers/redis.js';
import { eventually, sleep } from '../../helpers/gateway.js';

const logger = pino({ level: process.env.KEFU_TEST_LOG ?? 'silent' });
const TTL = 1000;

describe('cluster-redis: leader leases with fencing (real redis-server)', function () {
  let redis: TestRedis;
  let n = 0;
  const opened: { link: RedisLink; leases: Leases }[] = [];
  /** One node: its own connection and lease manager. */
  const node = async (name = `node${++n}`) => {
    const link = await RedisLink.open(redis.url, logger);
    assert.ok(await link.whenReady(5000));
    const leases = new Leases(link, { prefix: 'kefu-test:', nodeId: name, ttlMs: TTL, logger });
    const o = { link, leases, name };
    opened.push(o);
    return o;
  };
  const stops: AbortController[] = [];
  const hold = (leases: Leases, name: string, onWait?: () => void) => {
    const c = new AbortController();
    stops.push(c);
    return { stop: c, lease: leases.leader(name, c.signal, onWait) };
  };

  before(async function () {
    const r = await startRedis();
    if ('skip' in r) { console.log(`      skipped: ${r.skip}`); return this.skip(); }
    redis = r;
  });
  afterEach(async () => {
    for (const c of stops.splice(0)) c.abort();
    for (const o of opened.splice(0)) { await o.leases.close(); await o.link.close(); }
    const admin = await RedisLink.open(redis.url, logger);
    await admin.whenReady(5000);
    await admin.cmd.flushall();
    await admin.close();
  });
  after(async () => { await redis?.close(); });

  it('one holder per name; the waiter is told it waits and takes over at once when the holder releases, with a larger fence', async () => {
    const a = await node();
    const b = await node();
    const first = await hold(a.leases, 'dingtalk:app1').lease;
    let waiting = 0;
    const second = hold(b.leases, 'dingtalk:app1', () => waiting++);
    await eventually(() => waiting === 1, 'the second node waits');
    // Several renewal periods pass: the holder keeps it, the waiter keeps waiting.
    await sleep(TTL * 2);
    assert.equal(first.signal.aborted, false);
    assert.deepEqual(a.leases.holds().map((h) => h.name), ['dingtalk:app1']);
    assert.deepEqual(b.leases.holds(), []);
    stops[0].abort();
    const taken = await second.lease;
    assert.equal(first.signal.aborted, true);
    assert.ok(taken.fence > first.fence, `fence ${taken.fence} > ${first.fence}`);
    assert.deepEqual(b.leases.holds().map((h) => h.name), ['dingtalk:app1']);
  });

  it('different names are held independently', async () => {
    const a = await node();
    const b = await node();
    const x = await hold(a.leases, 'feishu:x').lease;
    const y = await hold(b.leases, 'feishu:y').lease;
    assert.equal(x.signal.aborted || y.signal.aborted, false);
  });

  it('a holder that dies without releasing (its connection cut, renewals stop) is taken over after the ttl; it knows it lost before then', async () => {
    const a = await node();
    const b = await node();
    const first = await hold(a.leases, 'wechat').lease;
    const second = hold(b.leases, 'wechat');
    await sleep(TTL / 2);
    const died = Date.now();
    a.link.cmd.disconnect(); // as after kill -9: nothing is released
    let lostAt = 0;
    first.signal.addEventListener('abort', () => { lostAt = Date.now(); });
    const taken = await second.lease;
    const tookAt = Date.now();
    assert.ok(lostAt > 0 && lostAt <= tookAt, 'the old holder stopped before the new one started');
    assert.ok(taken.fence > first.fence);
    console.log(`      measured: takeover ${tookAt - died} ms after the holder died (ttl ${TTL} ms; bound ttl + ttl/4 after its last renewal)`);
  });

  it('a lease taken from under its holder (another value in Redis) is detected at the next renewal: the holder\'s signal aborts', async () => {
    const a = await node();
    const first = await hold(a.leases, 'stolen').lease;
    await a.link.cmd.set('kefu-test:lease:stolen', '999:intruder', 'PX', 60_000);
    await eventually(() => first.signal.aborted, 'the holder notices');
    assert.deepEqual(a.leases.holds(), []);
  });

  it('a Redis restart: the holder gives up (it cannot renew), and once Redis is back the lease is held again with a fence above all earlier ones', async () => {
    const a = await node();
    const b = await node();
    const leases: Lease[] = [];
    const loop = async (o: { leases: Leases }, stop: AbortController) => {
      while (!stop.signal.aborted) {
        const l = await o.leases.leader('restart', stop.signal);
        if (l.signal.aborted) break;
        leases.push(l);
        await new Promise((r) => l.signal.addEventListener('abort', r, { once: true }));
      }
    };
    const sa = new AbortController(); const sb = new AbortController();
    stops.push(sa, sb);
    void loop(a, sa); void loop(b, sb);
    await eventually(() => leases.length === 1, 'first holder');
    const before = leases[0];
    await redis.stop();
    await eventually(() => before.signal.aborted, 'the holder gave up', 10_000);
    await redis.start();
    await eventually(() => leases.length === 2 && !leases[1].signal.aborted, 'held again', 15_000);
    assert.ok(leases[1].fence > before.fence, `fence ${leases[1].fence} > ${before.fence} although Redis lost its data`);
    assert.equal([a, b].reduce((k, o) => k + o.leases.holds().length, 0), 1, 'one holder');
  });

  it('shared secrets: nodes finding a secret stale together fetch it once; the others read what the fetcher wrote', async () => {
    const nodes = await Promise.all([node(), node(), node()]);
    let fetches = 0;
    const fetch = async () => { fetches++; await sleep(100); return { value: `token-${fetches}`, expiresAt: Date.now() + 7200_000 }; };
    const stale = (cur?: { value: string; expiresAt: number }) => !cur;
    const got = await Promise.all(nodes.map((o) => new RedisSecrets(o.link, o.leases, 'kefu-test:', logger).refresh('wechat-token:wx1', stale, fetch)));
    assert.equal(fetches, 1);
    assert.deepEqual(got.map((s) => s.value), ['token-1', 'token-1', 'token-1']);
    const again = await new RedisSecrets(nodes[0].link, nodes[0].leases, 'kefu-test:', logger).get('wechat-token:wx1');
    assert.equal(again?.value, 'token-1');
    // Refused by WeChat: the one who refreshes replaces exactly that value.
    const refused = (cur?: { value: string }) => !cur || cur.value === 'token-1';
    const next = await Promise.all(nodes.map((o) => new RedisSecrets(o.link, o.leases, 'kefu-test:', logger).refresh('wechat-token:wx1', refused, fetch)));
    assert.equal(fetches, 2);
    assert.deepEqual(next.map((s) => s.value), ['token-2', 'token-2', 'token-2']);
  });
});
