import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { FakeWechat, MP, wechatConfig } from '../fixtures/channels/wechat/fake-wechat.js';
import { openid, textPush, wechatPush } from '../fixtures/channels/wechat/wechat-push.js';

const redis = await startRedis();
const AGENT = { id: 'A_wechat', role: 'agent' as const, name: 'Ann' };

describe('cluster mode: one WeChat access token for all nodes (two gateways, one redis-server, the fake WeChat API)', () => {
  if ('skip' in redis) {
    it.skip(`nodes share the token and refresh it once: ${redis.skip}`);
    return;
  }
  const r = redis as TestRedis;
  let fake: FakeWechat;
  let gws: TestGateway[] = [];
  beforeEach(async () => { fake = await new FakeWechat().listen(); });
  afterEach(async () => { for (const g of gws) await g.close(); gws = []; await fake.close(); });
  after(() => r.close());

  const tokenCalls = () => fake.tokenCalls.filter((c) => c.appid === MP.appid).length;

  it('two nodes sending at once fetch the token once; when WeChat rotates it, one node refreshes and the other reads the new one', async () => {
    const prefix = `wechat-${Date.now()}:`;
    const conf = (node: string) => `${wechatConfig(fake)}\n[cluster]\nredis_url = "${r.url}"\nnode_id = "${node}"\nkey_prefix = "${prefix}"\n[ratelimit]\ncustomer_quota = 0\n`;
    gws = [await startGateway(conf('a')), await startGateway(conf('b'))];
    await eventually(() => gws.every((g) => g.channels.isRunning('wechat')), 'wechat running on both');
    const customers = [openid(), openid()];
    // Each node answers its customer with the offline notice: both need a token at the same time.
    const pushed = await Promise.all(gws.map((g, i) => wechatPush(g.publicUrl, textPush(customers[i], 'hello'))));
    assert.deepEqual(pushed.map((p) => p.text), ['success', 'success']);
    await eventually(() => customers.every((c) => fake.sent.some((s) => s.touser === c)), 'both notices sent');
    assert.equal(tokenCalls(), 1, 'one stable_token call for the two nodes');

    fake.invalidate(MP.appid); // the token both nodes hold is now refused with 40001
    await Promise.all(gws.map(async (g, i) => {
      const conv = (await g.store.findConversationByRef({ channel: 'wechat', account: MP.appid, thread: customers[i] }))!;
      await g.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'text', text: `answer ${i}` } });
    }));
    await eventually(() => [0, 1].every((i) => fake.sent.some((s) => s.touser === customers[i] && s.body.text?.content === `answer ${i}`)), 'both answers delivered');
    assert.equal(tokenCalls(), 2, 'one refresh for the two nodes');
  });
});
