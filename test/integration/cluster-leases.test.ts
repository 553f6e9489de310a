import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { RedisLink } from '../../plugins/cluster-redis/connection.js';
import { startGateway, eventually, sleep, type TestGateway } from '../helpers/gateway.js';
import { json } from '../helpers/clients.js';
import { startChild } from '../helpers/child-gateway.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { APP, FakeDingtalk, dingtalkConfig } from '../fixtures/channels/dingtalk/fake-dingtalk.js';
import { FakeFeishu } from '../fixtures/channels/feishu/fake-feishu.js';
import { feishuConfig, messageEvent, seed, WS_APP } from '../channels/feishu/feishu-helpers.js';

const redis = await startRedis();
// Short for quick takeovers, but a holder stalled past ttl − ttl/5 rightly gives its lease up, and a
// gateway starting in this same process blocks the event loop for a while on a busy machine.
const TTL = 3000;
const DINGTALK = `dingtalk:${APP.clientId}`;
const FEISHU = `feishu:${WS_APP.id}`;

describe('cluster mode: one node holds each vendor long connection (two gateways, one redis-server, the DingTalk and Feishu fakes)', () => {
  if ('skip' in redis) {
    it.skip(`one holder per app, taken over when it stops or dies: ${redis.skip}`);
    return;
  }
  const r = redis as TestRedis;
  let dingtalk: FakeDingtalk;
  let feishu: FakeFeishu;
  let gws: TestGateway[] = [];
  let dirs: string[] = [];

  beforeEach(async () => {
    dingtalk = await new FakeDingtalk().listen();
    feishu = await new FakeFeishu().listen();
    seed(feishu);
  });
  afterEach(async () => {
    for (const g of gws) await g.close();
    gws = [];
    await dingtalk.close();
    await feishu.close();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
    dirs = [];
    // A killed node's lease would outlive the test by up to a ttl.
    const link = await RedisLink.open(r.url, pino({ level: 'silent' }));
    await link.whenReady(5000);
    await link.cmd.flushall();
    await link.close();
  });
  after(() => r.close());

  const cluster = (node: string) => `[cluster]\nredis_url = "${r.url}"\nnode_id = "${node}"\nlease_ttl_ms = ${TTL}\n[ratelimit]\ncustomer_quota = 0\n`;
  const dingtalkOnly = (node: string) => `[channels.dingtalk]\nenabled = true\n${dingtalkConfig(dingtalk, { http: false })}\n${cluster(node)}`;
  const start = async (node: string, extra: string) => {
    const g = await startGateway(extra);
    gws.push(g);
    return g;
  };
  const leasesOf = async (g: { workspaceUrl: string }) => ((await json(`${g.workspaceUrl}/readyz`)).body.cluster.leases as { name: string }[]).map((l) => l.name);
  const holderOf = async (lease: string) => {
    const held = await Promise.all(gws.map(async (g) => (await leasesOf(g)).includes(lease)));
    assert.equal(held.filter(Boolean).length, 1, `exactly one node holds ${lease}`);
    return gws[held.indexOf(true)];
  };
  const dingtalkInbound = async (g: TestGateway) => {
    const conv = await g.store.findConversationByRef({ channel: 'dingtalk', account: APP.clientId, thread: 'u:manager4711' });
    return conv ? (await g.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound').map((m) => m.content.kind === 'text' ? m.content.text : '') : [];
  };
  const feishuInbound = async (g: TestGateway) => {
    const conv = await g.store.findConversationByRef({ channel: 'feishu', account: WS_APP.id, thread: 'oc_p2p_alice' });
    return conv ? (await g.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound').map((m) => m.content.kind === 'text' ? m.content.text : '') : [];
  };

  it('each app has one connection, held by one node; the other is standby; when the holder stops the other takes over and messages go on', async () => {
    const config = (node: string) => `${feishuConfig(feishu)}\n${dingtalkOnly(node)}`;
    await start('a', config('a'));
    await start('b', config('b'));
    await eventually(() => dingtalk.open === 1 && feishu.open(WS_APP.id) === 1, 'both apps connected');
    await sleep(TTL * 1.5); // several renewals: nobody flaps, nobody connects twice
    assert.equal(dingtalk.connections, 1);
    assert.equal(feishu.connections.filter((a) => a === WS_APP.id).length, 1);
    const dtHolder = await holderOf(DINGTALK);
    const fsHolder = await holderOf(FEISHU);
    const standby = gws.find((g) => g !== dtHolder)!;
    assert.match(String(standby.channels.health().dingtalk?.detail), /standby/);

    const cb = dingtalk.push(dingtalk.message({ text: 'first, to the holder' }));
    await eventually(() => dingtalk.isAcked(cb), 'dingtalk ack');
    assert.deepEqual(await dingtalkInbound(dtHolder), ['first, to the holder']);
    const ev = feishu.push(WS_APP.id, messageEvent({ app: WS_APP.id, text: 'feishu, to the holder' }));
    await eventually(() => ev.acks.some((a) => a.code === 200), 'feishu ack');
    assert.deepEqual(await feishuInbound(fsHolder), ['feishu, to the holder']);

    // The DingTalk holder stops cleanly: it releases, the other node connects.
    await dtHolder.close();
    gws = gws.filter((g) => g !== dtHolder);
    const survivor = gws[0];
    await eventually(async () => dingtalk.open === 1 && (await leasesOf(survivor)).includes(DINGTALK), 'the other node holds the stream');
    await eventually(async () => feishu.open(WS_APP.id) === 1 && (await leasesOf(survivor)).includes(FEISHU), 'and the long connection');
    const cb2 = dingtalk.push(dingtalk.message({ text: 'second, to the new holder' }));
    await eventually(() => dingtalk.isAcked(cb2), 'second dingtalk ack');
    assert.ok((await dingtalkInbound(survivor)).includes('second, to the new holder'));
    const ev2 = feishu.push(WS_APP.id, messageEvent({ app: WS_APP.id, text: 'feishu, to the new holder' }));
    await eventually(() => ev2.acks.some((a) => a.code === 200), 'second feishu ack');
    assert.ok((await feishuInbound(survivor)).includes('feishu, to the new holder'));
  });

  it('Redis restarts (empty): the holder gives the stream up, and once Redis is back exactly one node holds it again, by itself', async () => {
    await start('a', dingtalkOnly('a'));
    await start('b', dingtalkOnly('b'));
    await eventually(async () => dingtalk.open === 1 && (await Promise.all(gws.map(leasesOf))).flat().includes(DINGTALK), 'one holder');
    await r.stop();
    await eventually(() => dingtalk.open === 0, 'the holder closed its stream: it cannot prove it still holds the lease', 15_000);
    await r.start();
    await eventually(async () => dingtalk.open === 1 && (await Promise.all(gws.map(leasesOf))).flat().filter((l) => l === DINGTALK).length === 1, 'held again', 20_000);
    const holder = await holderOf(DINGTALK);
    const cb = dingtalk.push(dingtalk.message({ text: 'after the Redis restart' }));
    await eventually(() => dingtalk.isAcked(cb), 'acked');
    assert.deepEqual(await dingtalkInbound(holder), ['after the Redis restart']);
  });

  it('kill -9 of the holder: the standby node takes over after the lease lapses, and a callback left unacknowledged is stored there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kefu-cluster-child-'));
    dirs.push(dir);
    const child = await startChild(dir, dingtalkOnly('doomed'));
    try {
      await eventually(async () => dingtalk.open === 1 && (await leasesOf({ workspaceUrl: child.workspace })).includes(DINGTALK), 'the child holds the stream');
      const b = await start('b', dingtalkOnly('b'));
      await eventually(() => /standby/.test(String(b.channels.health().dingtalk?.detail)), 'b is standby');
      dingtalk.halfDead = true; // the callback below reaches nobody: the child dies before acking it
      const cb = dingtalk.push(dingtalk.message({ text: 'sent while the holder died' }));
      const killed = Date.now();
      child.proc.kill('SIGKILL');
      await child.exited;
      dingtalk.halfDead = false;
      await eventually(async () => (await leasesOf(b)).includes(DINGTALK) && dingtalk.open === 1, 'b took over', 15_000);
      const took = Date.now() - killed;
      await eventually(() => dingtalk.isAcked(cb), 'redelivered to b and acked');
      assert.deepEqual(await dingtalkInbound(b), ['sent while the holder died']);
      console.log(`      measured: DingTalk stream taken over ${took} ms after kill -9 (lease ttl ${TTL} ms)`);
    } finally {
      if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
    }
  });
});
