import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { say, cid, connectAgent, connectVisitor, json, loginAgent, type Visitor } from '../helpers/clients.js';

describe('routing in the running gateway (real WebSockets)', () => {
  let gw: TestGateway;
  let adminToken: string;
  const auth = () => ({ Authorization: `Bearer ${adminToken}` });
  afterEach(async () => { await gw?.close(); });

  async function start(extra = ''): Promise<void> {
    gw = await startGateway(extra);
    adminToken = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
  }

  it('visitors see their queue position and estimated wait, updated live as agents free up', async () => {
    await start('[routing.agents.admin]\ncapacity = 1');
    const vs: Visitor[] = [];
    for (let i = 0; i < 3; i++) {
      const v = await connectVisitor(gw.publicUrl);
      await say(v, `question ${i}`);
      vs.push(v);
    }
    for (let i = 0; i < 3; i++) {
      const f = await vs[i].socket.wait((x) => x.type === 'queue' && x.position === i + 1);
      assert.equal(f.open, true);
      assert.equal(f.etaSeconds, 0, 'no agent online: no estimate');
    }
    const agent = await connectAgent(gw.workspaceUrl, adminToken);
    const withEta = await vs[2].socket.wait((x) => x.type === 'queue' && x.position === 2);
    assert.ok(withEta.etaSeconds > 0, 'an agent is online: an estimate');
    const first = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
    await vs[1].socket.wait((x) => x.type === 'queue' && x.position === 1);
    await vs[2].socket.wait((x) => x.type === 'queue' && x.position === 2);
    // Capacity 1: closing the first hands the next one over.
    await json(`${gw.workspaceUrl}/api/conversations/${first.id}/close`, { method: 'POST', headers: auth(), json: {} });
    await vs[1].socket.wait((f) => f.type === 'message' && f.message.content.event === 'assigned');
    await vs[2].socket.wait((x) => x.type === 'queue' && x.position === 1);
    for (const v of vs) await v.socket.close();
    await agent.close();
  });

  it('queue from the entry point, then keywords; the supervisor view shows queues live', async () => {
    await start();
    const hinted = await connectVisitor(gw.publicUrl, undefined, 0, 'order');
    await say(hinted, 'hello there');
    const angry = await connectVisitor(gw.publicUrl);
    await say(angry, '东西坏了，我要投诉！');
    await gw.bus.idle();
    const conv = async (v: Visitor) => (await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId }))!;
    assert.equal((await conv(hinted)).queue, 'order');
    assert.equal((await conv(angry)).queue, 'after_sales');
    const sup = await json(`${gw.workspaceUrl}/api/supervisor`, { headers: auth() });
    const byName = Object.fromEntries(sup.body.queues.map((q: any) => [q.name, q]));
    assert.equal(byName.order.waiting, 1);
    assert.equal(byName.after_sales.waiting, 1);
    assert.equal(byName.general.waiting, 0);
    const agent = await connectAgent(gw.workspaceUrl, adminToken);
    await agent.wait((f) => f.type === 'supervisor' && f.queues.every((q: any) => q.waiting === 0));
    await hinted.socket.close();
    await angry.socket.close();
    await agent.close();
  });

  it('answer timeout: an unanswered assignment goes back to the head of its queue and the agent is set away', async () => {
    await start('[routing]\nanswer_timeout_s = 0.3');
    const agent = await connectAgent(gw.workspaceUrl, adminToken);
    const v = await connectVisitor(gw.publicUrl);
    await say(v, 'hello?');
    const assignedFrame = await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned');
    const after = () => agent.frames.slice(agent.frames.indexOf(assignedFrame) + 1);
    await eventually(() => after().find((f) => f.type === 'conversation' && f.change === 'queued' && f.conversation.id === assignedFrame.conversation.id), 're-queued');
    const me = (await json(`${gw.workspaceUrl}/api/agents`, { headers: auth() })).body.agents[0];
    assert.equal(me.status, 'away');
    assert.equal(me.load, 0);
    await v.socket.close();
    await agent.close();
  });

  it('an answered assignment is not re-queued', async () => {
    await start('[routing]\nanswer_timeout_s = 0.4');
    const agent = await connectAgent(gw.workspaceUrl, adminToken);
    const v = await connectVisitor(gw.publicUrl);
    await say(v, 'hi');
    const c = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
    const id = cid();
    agent.send({ type: 'send', conversationId: c.id, clientId: id, text: 'Hello!' });
    await agent.wait((f) => f.type === 'ack' && f.clientId === id);
    await new Promise((r) => setTimeout(r, 600));
    assert.equal((await gw.store.getConversation(c.id))?.status, 'assigned');
    await v.socket.close();
    await agent.close();
  });

  it('business hours: outside them the visitor is told and the conversation waits; reopening (hot reload) assigns it', async () => {
    const closedDay = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'][(new Date().getUTCDay() + 3) % 7];
    await start(`[routing]\ntimezone = "UTC"\n[[routing.queues]]\nname = "general"\nhours = "${closedDay} 00:00-00:01"\n`);
    const agent = await connectAgent(gw.workspaceUrl, adminToken);
    const v = await connectVisitor(gw.publicUrl);
    await say(v, 'are you there?');
    const notice = await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'notice');
    assert.match(notice.message.content.text, /closed/);
    assert.equal((await v.socket.wait((f) => f.type === 'queue')).open, false);
    await new Promise((r) => setTimeout(r, 300));
    const conv = await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId });
    assert.equal(conv?.status, 'queued', 'kept, not assigned, while closed');
    writeFileSync(gw.configFile, readFileSync(gw.configFile, 'utf8').replace(/hours = "[^"]*"/, 'hours = ""'));
    await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'assigned');
    await v.socket.close();
    await agent.close();
  });

  it('hot reload of [routing]: a new capacity applies to the running queue without losing a conversation', async () => {
    await start('[routing.agents.admin]\ncapacity = 1');
    const agent = await connectAgent(gw.workspaceUrl, adminToken);
    const vs: Visitor[] = [];
    for (let i = 0; i < 3; i++) { const v = await connectVisitor(gw.publicUrl); await say(v, `q${i}`); vs.push(v); }
    await eventually(async () => (await json(`${gw.workspaceUrl}/api/supervisor`, { headers: auth() })).body.queues.find((q: any) => q.name === 'general').waiting === 2, 'two waiting');
    writeFileSync(gw.configFile, readFileSync(gw.configFile, 'utf8').replace('capacity = 1', 'capacity = 3'));
    for (const v of vs) await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'assigned');
    const agents = (await json(`${gw.workspaceUrl}/api/agents`, { headers: auth() })).body.agents;
    assert.deepEqual(agents.map((a: any) => [a.load, a.capacity]), [[3, 3]]);
    for (const v of vs) await v.socket.close();
    await agent.close();
  });

  it('transfer to a queue; an agent returns a conversation to the queue', async () => {
    await start();
    const agent = await connectAgent(gw.workspaceUrl, adminToken);
    const v = await connectVisitor(gw.publicUrl);
    await say(v, 'hello');
    const c = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
    agent.send({ type: 'status', status: 'away' });
    await eventually(async () => (await json(`${gw.workspaceUrl}/api/agents`, { headers: auth() })).body.agents[0].status === 'away');
    const t = await json(`${gw.workspaceUrl}/api/conversations/${c.id}/transfer`, { method: 'POST', headers: auth(), json: { queue: 'after_sales' } });
    assert.equal(t.status, 200);
    assert.equal(t.body.conversation.status, 'queued');
    assert.equal(t.body.conversation.queue, 'after_sales');
    const bad = await json(`${gw.workspaceUrl}/api/conversations/${c.id}/transfer`, { method: 'POST', headers: auth(), json: { queue: 'nowhere' } });
    assert.equal(bad.body.error.code, 'validation_failed');
    agent.send({ type: 'status', status: 'online' });
    await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned' && f.conversation.queue === 'after_sales');
    const back = await json(`${gw.workspaceUrl}/api/conversations/${c.id}/requeue`, { method: 'POST', headers: auth(), json: {} });
    assert.equal(back.body.conversation.status, 'queued');
    await v.socket.close();
    await agent.close();
  });
});
