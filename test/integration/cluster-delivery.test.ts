import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { cid, connectAgent, connectVisitor, json, loginAgent, type FrameSocket, type Visitor } from '../helpers/clients.js';
import { mongoStoreConfig, mongoTarget } from '../helpers/mongo.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const redis = await startRedis();
const target = await mongoTarget();
after(async () => { if (!('skip' in redis)) await redis.close(); });

/** Every text the agent socket got for a conversation, live or in history frames, in arrival order. */
function agentTexts(agent: FrameSocket, conversationId: string): string[] {
  const out: string[] = [];
  for (const f of agent.frames) {
    const messages = f.type === 'message' ? [f.message] : f.type === 'history' && f.conversationId === conversationId ? f.messages : [];
    for (const m of messages) if (m.conversationId === conversationId && m.content.kind === 'text' && m.from.role !== 'system') out.push(m.content.text);
  }
  return out;
}

const visitorTexts = (v: Visitor) => v.socket.frames.filter((f) => f.type === 'message' && f.message.from.role === 'agent').map((f) => f.message.content.text);

describe('cluster mode: a visitor on node A and an agent on node B (one MongoDB database, one redis-server)', () => {
  const skip = 'skip' in redis ? redis.skip : 'skip' in target ? target.skip : undefined;
  if (skip) {
    it.skip(`messages, typing and a Redis restart across nodes: ${skip}`);
    return;
  }
  const r = redis as TestRedis;
  const mongo = target as Exclude<typeof target, { skip: string }>;
  let database: string;
  let a: TestGateway;
  let b: TestGateway;
  let visitor: Visitor;
  let agent: FrameSocket;
  let conversationId: string;

  const start = (node: string) => startGateway(`${mongoStoreConfig(mongo, database)}\n[cluster]\nredis_url = "${r.url}"\nnode_id = "${node}"\nkey_prefix = "${database}:"\n[ratelimit]\ncustomer_quota = 600\n`);
  const say = async (text: string) => {
    const clientId = cid();
    visitor.socket.send({ type: 'send', clientId, text });
    const ack = await visitor.socket.wait((f) => (f.type === 'ack' || f.type === 'error') && f.clientId === clientId);
    assert.equal(ack.type, 'ack', JSON.stringify(ack));
  };
  const reply = async (text: string) => {
    const clientId = cid();
    agent.send({ type: 'send', conversationId, clientId, text });
    const ack = await agent.wait((f) => (f.type === 'ack' || f.type === 'error') && f.clientId === clientId);
    assert.equal(ack.type, 'ack', JSON.stringify(ack));
  };
  const readyz = (g: TestGateway) => json(`${g.workspaceUrl}/readyz`).then((x) => x.status);

  beforeEach(async () => {
    database = mongo.freshDatabase();
    a = await start('a');
    b = await start('b');
    const token = await loginAgent(b.workspaceUrl, 'admin', b.adminPassword);
    agent = await connectAgent(b.workspaceUrl, token);
    visitor = await connectVisitor(a.publicUrl);
    await say('hello from node a');
    // No agent is online on A, so it waits there; B learns of it from A's 'created' event.
    const created = await agent.wait((f) => f.type === 'conversation' && f.conversation.customer?.id !== undefined);
    conversationId = created.conversation.id;
    const claim = await json(`${b.workspaceUrl}/api/conversations/${conversationId}/claim`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(claim.status, 200, JSON.stringify(claim.body));
    // Assigned (by the assigning node or the claim), the agent is sent what came before as history;
    // then it opens the conversation from the last seq it has, as the workspace does.
    const caughtUp = await agent.wait((f) => f.type === 'history' && f.conversationId === conversationId);
    agent.send({ type: 'open', conversationId, after: Math.max(0, ...caughtUp.messages.map((m: { seq: number }) => m.seq)) });
    await agent.wait((f) => f.type === 'history' && f.conversationId === conversationId && f !== caughtUp);
  });
  afterEach(async () => {
    await visitor?.socket.close();
    await agent?.close();
    await a?.close();
    await b?.close();
    await r.start();
    const client = await MongoClient.connect(mongo.url);
    try { await client.db(database).dropDatabase(); } finally { await client.close(); }
  });

  it('messages cross both ways in order, each once; typing crosses both ways; A sees B\'s assignment', async () => {
    // What must run once cluster-wide (webhooks, SLA, CSAT, bots, the outbox) listens to the local names.
    const localOnB: string[] = [];
    const remoteOnB: string[] = [];
    b.bus.on('message', (m) => { if (m.content.kind === 'text') localOnB.push(m.content.text); });
    b.bus.on('remote:message', (m) => { if (m.content.kind === 'text') remoteOnB.push(m.content.text); });
    for (let i = 1; i <= 5; i++) await say(`visitor ${i}`);
    await eventually(() => agentTexts(agent, conversationId).length === 6, 'six visitor messages on B');
    assert.deepEqual(agentTexts(agent, conversationId), ['hello from node a', 'visitor 1', 'visitor 2', 'visitor 3', 'visitor 4', 'visitor 5']);
    assert.deepEqual(remoteOnB, ['visitor 1', 'visitor 2', 'visitor 3', 'visitor 4', 'visitor 5']);
    assert.deepEqual(localOnB, [], 'A\'s messages never fire B\'s once-only listeners');
    for (let i = 1; i <= 5; i++) await reply(`agent ${i}`);
    await eventually(() => visitorTexts(visitor).length === 5, 'five agent replies on A');
    assert.deepEqual(visitorTexts(visitor), ['agent 1', 'agent 2', 'agent 3', 'agent 4', 'agent 5']);
    assert.deepEqual(agentTexts(agent, conversationId).filter((t) => t.startsWith('agent')), ['agent 1', 'agent 2', 'agent 3', 'agent 4', 'agent 5'],
      'the agent\'s own replies, once each');

    agent.send({ type: 'typing', conversationId });
    const typing = await visitor.socket.wait((f) => f.type === 'typing');
    assert.equal(typing.from.role, 'agent');
    visitor.socket.send({ type: 'typing' });
    const customerTyping = await agent.wait((f) => f.type === 'typing' && f.conversationId === conversationId);
    assert.equal(customerTyping.from.role, 'customer');

    // A's cached copy followed B's claim (the MongoDB store's per-process cache).
    const onA = (await a.store.getConversation(conversationId))!;
    assert.equal(onA.status, 'assigned');
    assert.equal(onA.assigneeId, (await b.store.getConversation(conversationId))!.assigneeId);
  });

  it('the visitor\'s own message shows in their other tab on node B (the echo crosses nodes)', async () => {
    const other = await connectVisitor(b.publicUrl, visitor.token, Number.MAX_SAFE_INTEGER);
    try {
      await say('typed in the tab on A');
      const echo = await other.socket.wait((f) => f.type === 'message' && f.message.content.text === 'typed in the tab on A');
      assert.equal(echo.message.from.role, 'customer');
      assert.equal(visitor.socket.frames.filter((f) => f.type === 'message' && f.message.content.text === 'typed in the tab on A').length, 0, 'not echoed to the tab that sent it');
    } finally { await other.socket.close(); }
  });

  it('Redis restarts mid-conversation: a visitor message published while it was down reaches the agent on B by resync, exactly once; the agent\'s reply meanwhile reaches the visitor\'s open widget on A by resync, exactly once, without reconnecting; live delivery works again after', async () => {
    await say('before');
    await eventually(() => agentTexts(agent, conversationId).includes('before'), '"before" on B');
    await r.stop();
    await eventually(async () => (await readyz(a)) === 503 && (await readyz(b)) === 503, 'both nodes not ready');
    await say('during the outage');
    await reply('reply during the outage');
    assert.ok(!agentTexts(agent, conversationId).includes('during the outage'), 'no live path while Redis is down');
    assert.ok(!visitorTexts(visitor).includes('reply during the outage'), 'no live path to the widget while Redis is down');
    const widget = visitor.socket;
    await r.start();
    await eventually(async () => (await readyz(a)) === 200 && (await readyz(b)) === 200, 'both nodes ready again', 20_000);
    await eventually(() => agentTexts(agent, conversationId).includes('during the outage'), 'the lost publish made good by resync on B', 20_000);
    // The widget on A never reconnected: the reply stored on B came to it from the store.
    await eventually(() => visitorTexts(visitor).includes('reply during the outage'), 'the lost reply made good by resync on A', 20_000);

    await say('after');
    await reply('answer after');
    await eventually(() => agentTexts(agent, conversationId).includes('after'), '"after" on B live');
    await visitor.socket.wait((f) => f.type === 'message' && f.message.content.text === 'answer after');
    assert.equal(visitor.socket, widget, 'the same socket throughout');
    assert.deepEqual(visitorTexts(visitor), ['reply during the outage', 'answer after'], 'each agent reply once on the open widget');
    const ownResent = visitor.socket.frames.filter((f) => f.type === 'message' && f.message.from.role === 'customer');
    assert.deepEqual(ownResent, [], 'the visitor\'s own acked messages are not sent back by the resync');
    assert.deepEqual(agentTexts(agent, conversationId).filter((t) => !t.includes('reply') && !t.startsWith('answer')),
      ['hello from node a', 'before', 'during the outage', 'after'], 'each visitor message once, in order');

    // A resume by seq still works and sends nothing the widget already had.
    const lastSeq = Math.max(0, ...visitor.socket.frames.filter((f) => f.type === 'message').map((f) => f.message.seq));
    await visitor.socket.close();
    visitor = await connectVisitor(a.publicUrl, visitor.token, lastSeq);
    await reply('after the resume');
    await visitor.socket.wait((f) => f.type === 'message' && f.message.content.text === 'after the resume');
    assert.deepEqual(visitorTexts(visitor), ['after the resume']);
  });
});
