import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { cid, connectAgent, connectVisitor, json, loginAgent, say } from '../helpers/clients.js';
import { mongoStoreConfig, mongoTarget, perTestMongo } from '../helpers/mongo.js';

const target = await mongoTarget();

/**
 * A widget does not wait for one send's ack before the next (nor does the workspace): a burst from
 * one socket must be stored in the order it was sent, also when the lookups before each store
 * write (dedupe, rate limit, conversation) answer out of order, as a MongoDB connection pool does.
 */
describe('sends of one socket are stored in the order sent (gateway on MongoDB)', () => {
  if ('skip' in target) {
    it.skip(`a visitor's and an agent's burst keep their order: ${target.skip}`);
    return;
  }
  let gw: TestGateway | undefined;
  const m = perTestMongo(target, 'kefu-order-', async () => { await gw?.close(); gw = undefined; });

  it('a visitor\'s burst and an agent\'s burst, 30 each, not waiting for acks', async () => {
    gw = await startGateway(`${mongoStoreConfig(target, m.database)}\n[ratelimit]\ncustomer_quota = 0\n`, { dir: m.dir });
    const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    const agent = await connectAgent(gw.workspaceUrl, token);
    const v = await connectVisitor(gw.publicUrl);
    await say(v, 'first');
    const conversationId = (await agent.wait((f) => f.type === 'conversation' && f.conversation.customer?.id)).conversation.id;
    // Claimed first: a reply that claims waits for the claim while the later ones overtake it (the agent hub's order, not the bus's).
    const claim = await json(`${gw.workspaceUrl}/api/conversations/${conversationId}/claim`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(claim.status, 200, JSON.stringify(claim.body));
    const texts = Array.from({ length: 30 }, (_, i) => `m${i + 1}`);
    const acks = texts.map((text) => {
      const clientId = cid();
      v.socket.send({ type: 'send', clientId, text });
      return v.socket.wait((f) => f.type === 'ack' && f.clientId === clientId);
    });
    const replies = texts.map((text) => {
      const clientId = cid();
      agent.send({ type: 'send', conversationId, clientId, text: `r-${text}` });
      return agent.wait((f) => (f.type === 'ack' || f.type === 'error') && f.clientId === clientId);
    });
    await Promise.all([...acks, ...replies]);
    await eventually(async () => (await gw!.store.listMessages(conversationId, { afterSeq: 0, limit: 500 })).length >= 61, 'all stored');
    const stored = await gw.store.listMessages(conversationId, { afterSeq: 0, limit: 500 });
    const of = (role: string) => stored.filter((x) => x.from.role === role && x.content.kind === 'text').map((x) => (x.content as { text: string }).text);
    assert.deepEqual(of('customer'), ['first', ...texts]);
    assert.deepEqual(of('agent'), texts.map((t) => `r-${t}`));
  });

  it('an agent\'s burst into a conversation not yet theirs: the first reply claims it, the rest wait for it and keep their order', async () => {
    gw = await startGateway(`${mongoStoreConfig(target, m.database)}\n[ratelimit]\ncustomer_quota = 0\n`, { dir: m.dir });
    const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    const agent = await connectAgent(gw.workspaceUrl, token);
    // Away: nothing is assigned to them automatically, so the replies must claim.
    agent.send({ type: 'status', status: 'away' });
    await agent.wait((f) => f.type === 'agents' && f.agents.some((x: { status: string }) => x.status === 'away'));
    const v = await connectVisitor(gw.publicUrl);
    await say(v, 'first');
    const created = (await agent.wait((f) => f.type === 'conversation' && f.conversation.customer?.id)).conversation;
    assert.notEqual(created.status, 'assigned');
    const texts = Array.from({ length: 20 }, (_, i) => `r${i + 1}`);
    const acks = await Promise.all(texts.map((text) => {
      const clientId = cid();
      agent.send({ type: 'send', conversationId: created.id, clientId, text });
      return agent.wait((f) => (f.type === 'ack' || f.type === 'error') && f.clientId === clientId);
    }));
    assert.deepEqual(acks.map((x) => x.type), texts.map(() => 'ack'), JSON.stringify(acks.find((x) => x.type !== 'ack')));
    const stored = await gw.store.listMessages(created.id, { afterSeq: 0, limit: 500 });
    assert.deepEqual(stored.filter((x) => x.from.role === 'agent').map((x) => (x.content as { text: string }).text), texts);
  });
});
