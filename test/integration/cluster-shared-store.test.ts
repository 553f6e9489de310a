import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { cid, connectAgent, json, loginAgent, visitorSession } from '../helpers/clients.js';
import { mongoStoreConfig, mongoTarget } from '../helpers/mongo.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';
import { ACCOUNTS, FakeTwilio, inbound, smsConfig, twilioPost } from '../channels/sms/fake-twilio.js';
import { FakeWechat, MP, wechatConfig } from '../fixtures/channels/wechat/fake-wechat.js';
import { msgId, openid, textPush, wechatPush } from '../fixtures/channels/wechat/wechat-push.js';

// The SDK would rename hosts from these; the tests' traffic must stay on 127.0.0.1.
delete process.env.TWILIO_REGION;
delete process.env.TWILIO_EDGE;

const redis = await startRedis();
const target = await mongoTarget();
const CUSTOMER = '+15557654321';
// Both suites below use this one redis-server.
after(async () => { if (!('skip' in redis)) await redis.close(); });

describe('cluster mode: two gateways on one MongoDB database and one Redis (inbound dedupe and the customer quota across nodes)', () => {
  const skip = 'skip' in redis ? redis.skip : 'skip' in target ? target.skip : undefined;
  if (skip) {
    it.skip(`a vendor retry landing on the other node is one message; the quota is one per customer: ${skip}`);
    return;
  }
  const r = redis as TestRedis;
  const mongo = target as Exclude<typeof target, { skip: string }>;
  let fake: FakeTwilio;
  let database: string;
  let a: TestGateway;
  let b: TestGateway;

  const start = (node: string, quota: number, channel = smsConfig(fake)) => startGateway(`${mongoStoreConfig(mongo, database)}\n${channel}\n[cluster]\nredis_url = "${r.url}"\nnode_id = "${node}"\nkey_prefix = "${database}:"\n[ratelimit]\ncustomer_quota = ${quota}\nburst = 1\n`);
  beforeEach(async () => {
    fake = await new FakeTwilio().listen();
    database = mongo.freshDatabase();
  });
  afterEach(async () => {
    await a?.close();
    await b?.close();
    await fake.close();
    const client = await MongoClient.connect(mongo.url);
    try { await client.db(database).dropDatabase(); } finally { await client.close(); }
  });
  // The emulator is shared by every MongoDB test file of this process (helpers/mongo.ts): stopping
  // it here would cut off the files that run after this one. Each test drops its database.

  const smsInbound = async (g: TestGateway) => {
    const conv = await g.store.findConversationByRef({ channel: 'sms', account: ACCOUNTS.main.number, thread: CUSTOMER });
    return conv ? (await g.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound') : [];
  };

  it('Twilio retrying a webhook on the other node (after, and at the same time as, the first) stores one message; every delivery is answered 200', async () => {
    a = await start('a', 0);
    b = await start('b', 0);
    await eventually(() => a.channels.isRunning('sms') && b.channels.isRunning('sms'), 'sms running on both');
    const first = inbound(CUSTOMER, 'where is my parcel?');
    assert.equal((await twilioPost(a.publicUrl, first)).status, 200);
    assert.equal((await twilioPost(b.publicUrl, first)).status, 200, 'the retry on node b');
    const second = inbound(CUSTOMER, 'hello?');
    const both = await Promise.all([twilioPost(a.publicUrl, second), twilioPost(b.publicUrl, second), twilioPost(a.publicUrl, second)]);
    assert.deepEqual(both.map((x) => x.status), [200, 200, 200]);
    for (const g of [a, b]) {
      const texts = (await smsInbound(g)).map((m) => (m.content.kind === 'text' ? m.content.text : ''));
      assert.deepEqual(texts, ['where is my parcel?', 'hello?'], 'one message each, seen alike from both nodes');
    }
  });

  it('delivery ticks cross nodes: an agent on B replies by SMS; Twilio\'s status callback lands on A; B\'s workspace shows sent, then delivered', async () => {
    a = await start('a', 0);
    b = await start('b', 0);
    await eventually(() => a.channels.isRunning('sms') && b.channels.isRunning('sms'), 'sms running on both');
    const token = await loginAgent(b.workspaceUrl, 'admin', b.adminPassword);
    const agent = await connectAgent(b.workspaceUrl, token);
    try {
      assert.equal((await twilioPost(a.publicUrl, inbound(CUSTOMER, 'where is my parcel?'))).status, 200);
      const conv = (await eventually(() => b.store.findConversationByRef({ channel: 'sms', account: ACCOUNTS.main.number, thread: CUSTOMER }), 'the conversation'))!;
      const claim = await json(`${b.workspaceUrl}/api/conversations/${conv.id}/claim`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      assert.equal(claim.status, 200, JSON.stringify(claim.body));
      const clientId = cid();
      agent.send({ type: 'send', conversationId: conv.id, clientId, text: 'It left Hangzhou.' });
      const ack = await agent.wait((f) => (f.type === 'ack' || f.type === 'error') && f.clientId === clientId);
      assert.equal(ack.type, 'ack', JSON.stringify(ack));
      await agent.wait((f) => f.type === 'delivery' && f.messageId === ack.id && f.state === 'sent');
      const sent = fake.created.find((c) => c.Body === 'It left Hangzhou.')!;
      const status = await twilioPost(a.publicUrl, { MessageSid: sent.sid, SmsSid: sent.sid, AccountSid: ACCOUNTS.main.sid, From: ACCOUNTS.main.number, To: CUSTOMER,
        ApiVersion: '2010-04-01', MessageStatus: 'delivered', SmsStatus: 'delivered' }, { path: '/channels/sms/twilio/status' });
      assert.equal(status.status, 204);
      await agent.wait((f) => f.type === 'delivery' && f.messageId === ack.id && f.state === 'delivered');
    } finally { await agent.close(); }
  });

  it('WeChat pushing the same message to both nodes at once stores it once; both are answered success', async () => {
    const wechat = await new FakeWechat().listen();
    try {
      a = await start('a', 0, wechatConfig(wechat));
      b = await start('b', 0, wechatConfig(wechat));
      const customer = openid();
      const push = textPush(customer, '我的订单呢', { id: msgId() });
      const answers = await Promise.all([wechatPush(a.publicUrl, push), wechatPush(b.publicUrl, push), wechatPush(b.publicUrl, push)]);
      assert.deepEqual(answers.map((x) => x.text), ['success', 'success', 'success']);
      const conv = (await a.store.findConversationByRef({ channel: 'wechat', account: MP.appid, thread: customer }))!;
      const stored = (await b.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound');
      assert.equal(stored.length, 1);
    } finally {
      await a?.close(); await b?.close();
      await wechat.close();
    }
  });

  it('the customer quota holds across nodes: a visitor sending through both gets burst + 1, then 429 on either', async () => {
    a = await start('a', 1);
    b = await start('b', 1);
    const s = await visitorSession(a.publicUrl);
    const send = (g: TestGateway, i: number) => json(`${g.publicUrl}/v1/visitor/messages`, { method: 'POST', headers: { authorization: `Bearer ${s.token}` },
      json: { clientId: `c-${i}-${Date.now()}`, text: `message ${i}` } });
    const statuses = [];
    for (const [i, g] of [a, b, a, b].entries()) statuses.push((await send(g, i)).status);
    assert.deepEqual(statuses, [201, 201, 429, 429]);
  });
});

describe('cluster mode: the web channel\'s per-address limits across nodes (two gateways, own stores, one Redis)', () => {
  if ('skip' in redis) {
    it.skip(`new sessions per address counted across nodes: ${redis.skip}`);
    return;
  }
  const r = redis as TestRedis;
  let gws: TestGateway[] = [];
  afterEach(async () => { for (const g of gws) await g.close(); gws = []; });

  it('new visitor sessions from one address: burst + 1 in total however they are spread over the nodes', async () => {
    const conf = (node: string) => `[cluster]\nredis_url = "${r.url}"\nnode_id = "${node}"\nkey_prefix = "address-test:"\n[ratelimit]\nsessions_per_min = 1\nsessions_burst = 2\n`;
    gws = [await startGateway(conf('a')), await startGateway(conf('b'))];
    const statuses = [];
    for (const g of [gws[0], gws[1], gws[0], gws[1], gws[0]]) statuses.push((await json(`${g.publicUrl}/v1/visitor/session`, { method: 'POST', json: {} })).status);
    assert.deepEqual(statuses, [200, 200, 200, 429, 429]);
  });
});
