import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { say, connectAgent, connectVisitor, json, loginAgent, type FrameSocket, type Visitor } from '../helpers/clients.js';
import { verifySlackSignature } from '../../channels/api/verify.js';

const M = 60_000;
const SECRET = 'webhook-secret-1';

/** A local webhook receiver that records every request. */
async function receiver() {
  const got: { headers: IncomingMessage['headers']; raw: string; body: any }[] = [];
  const server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => { got.push({ headers: req.headers, raw, body: JSON.parse(raw) }); res.end('ok'); });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { got, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, close: () => new Promise((r) => server.close(r)) };
}

const config = (hook: string, extra = '') => `[ratelimit]
customer_quota = 0
[ai]
enabled = false
[routing]
default_queue = "support"
[[routing.queues]]
name = "support"
sla = { first_response = "10m", next_response = "30m", on_breach = ["raise_priority", "notify"], raise_to = 8 }
${extra}
[[webhooks]]
url = "${hook}"
secret = "${SECRET}"
events = ["sla.breached"]
`;

describe('SLAs in the running gateway (fake clock, real sockets, signed webhook)', () => {
  let gw: TestGateway;
  let hook: Awaited<ReturnType<typeof receiver>>;
  let token: string;
  let agent: FrameSocket | undefined;
  let visitor: Visitor | undefined;
  /** The gateway's clock: real time plus what the test moved it by. */
  let offset = 0;
  const now = () => Date.now() + offset;
  const auth = () => ({ Authorization: `Bearer ${token}` });
  const conversation = async (id: string) => (await json(`${gw.workspaceUrl}/api/conversations/${id}`, { headers: auth() })).body.conversation;
  const target = (c: any, name: string) => c.sla.targets.find((t: any) => t.target === name);
  const breaches = () => hook.got.filter((g) => g.body.type === 'sla.breached');

  beforeEach(async () => {
    offset = 0;
    hook = await receiver();
  });
  const dirs: string[] = [];
  afterEach(async () => {
    await agent?.close();
    await visitor?.socket.close();
    agent = visitor = undefined;
    await gw?.close();
    await hook.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  async function start(dir?: string, extra = ''): Promise<void> {
    gw = await startGateway(config(hook.url, extra), { now, dir });
    token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
  }

  it('first response past due: one breach (hub frame, priority raised, signed webhook), shown in the workspace; a reply pauses the next clock until the customer writes', async () => {
    await start();
    agent = await connectAgent(gw.workspaceUrl, token);
    visitor = await connectVisitor(gw.publicUrl);
    await say(visitor, 'my order never came');
    const assigned = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
    const id = assigned.id;
    const before = await conversation(id);
    assert.equal(target(before, 'first_response').state, 'running');
    assert.ok(Math.abs(target(before, 'first_response').dueAt - (new Date(before.createdAt).getTime() + 10 * M)) < 5000, 'due 10 minutes after it started');

    offset += 11 * M;
    gw.sla.check();
    const frame = await agent.wait((f) => f.type === 'sla.breached' && f.conversationId === id);
    assert.equal(frame.target, 'first_response');
    assert.equal(frame.queue, 'support');
    const after = await conversation(id);
    assert.equal(target(after, 'first_response').state, 'breached');
    assert.equal(after.priority, 8, 'on_breach raise_priority');

    await eventually(() => breaches().length === 1, 'the sla.breached webhook');
    const [got] = breaches();
    assert.ok(verifySlackSignature(SECRET, { signature: got.headers['x-slack-signature'] as string, timestamp: got.headers['x-slack-request-timestamp'] as string }, got.raw), 'signed like every webhook');
    assert.equal(got.body.conversation.id, id);
    assert.equal(got.body.sla.target, 'first_response');
    assert.equal(got.body.sla.queue, 'support');
    assert.equal(got.body.sla.agent, assigned.assigneeId);
    assert.equal(got.body.sla.due_at, new Date(target(after, 'first_response').dueAt).toISOString());

    const sup = (await json(`${gw.workspaceUrl}/api/supervisor`, { headers: auth() })).body.sla;
    const q = sup.queues.find((x: any) => x.queue === 'support');
    assert.equal(q.active, 1);
    assert.equal(q.byTarget.first_response, 1);
    assert.deepEqual(sup.agents.map((a: any) => [a.agentId, a.active]), [[assigned.assigneeId, 1]]);

    // Checked again, later: still one breach.
    offset += M;
    gw.sla.check();
    await gw.outbox.pump();
    assert.equal(breaches().length, 1);
    assert.equal(agent.frames.filter((f) => f.type === 'sla.breached').length, 1);

    const reply = await json(`${gw.workspaceUrl}/api/conversations/${id}/messages`, { method: 'POST', headers: auth(), json: { text: 'Sorry, looking now' } });
    assert.equal(reply.status, 201);
    const answered = await conversation(id);
    assert.equal(target(answered, 'first_response').state, 'breached', 'answered late: still a breach, no longer open');
    assert.ok(target(answered, 'first_response').stoppedAt);
    assert.equal(target(answered, 'next_response').state, 'paused');
    const sup2 = (await json(`${gw.workspaceUrl}/api/supervisor`, { headers: auth() })).body.sla.queues.find((x: any) => x.queue === 'support');
    assert.equal(sup2.active, 0);
    assert.equal(sup2.breached, 1, 'it breached while open');

    // Waiting on the customer: hours pass, nothing breaches.
    offset += 3 * 60 * M;
    gw.sla.check();
    assert.equal(target(await conversation(id), 'next_response').state, 'paused');

    await say(visitor, 'any news?');
    const asked = await eventually(async () => { const c = await conversation(id); return target(c, 'next_response').state === 'running' && c; }, 'next clock running');
    assert.ok(Math.abs(target(asked, 'next_response').startedAt - now()) < 5000, 'started at the customer\'s message, on the gateway clock');
    offset += 31 * M;
    gw.sla.check();
    await agent.wait((f) => f.type === 'sla.breached' && f.target === 'next_response');
    await eventually(() => breaches().length === 2, 'the second webhook');
    assert.equal(breaches()[1].body.sla.target, 'next_response');
  });

  it('after a restart the clocks come back from the stored messages, and a hot reload applies new targets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kefu-sla-'));
    dirs.push(dir);
    await start(dir);
    visitor = await connectVisitor(gw.publicUrl);
    await say(visitor, 'hello');
    const id = await eventually(async () => (await json(`${gw.workspaceUrl}/api/conversations`, { headers: auth() })).body.conversations[0]?.id, 'the conversation');
    await json(`${gw.workspaceUrl}/api/conversations/${id}/messages`, { method: 'POST', headers: auth(), json: { text: 'Hi, how can I help?' } });
    const live = await conversation(id);
    await visitor.socket.close();
    visitor = undefined;
    await gw.close();

    await start(dir);
    const back = await conversation(id);
    assert.deepEqual(back.sla.targets.map((t: any) => [t.target, t.state]), live.sla.targets.map((t: any) => [t.target, t.state]));
    assert.deepEqual(back.sla.targets.map((t: any) => [t.target, t.state]), [['first_response', 'met'], ['next_response', 'paused']]);

    // Hot reload: the queue's targets change, no restart.
    const changed = new Promise((r) => gw.config.once('change', r));
    writeFileSync(gw.configFile, readFileSync(gw.configFile, 'utf8').replace('first_response = "10m"', 'first_response = "2h"').replace('next_response = "30m", ', ''));
    await changed;
    const reloaded = await conversation(id);
    assert.deepEqual(reloaded.sla.targets.map((t: any) => t.target), ['first_response']);
    assert.ok(Math.abs(target(reloaded, 'first_response').dueAt - (new Date(reloaded.createdAt).getTime() + 120 * M)) < 5000, 'due 2 hours after the start now');
  });

  it('a breach raises a waiting conversation\'s priority, and it moves up the line at once', async () => {
    await start(undefined, '[routing.agents.admin]\ncapacity = 1');
    agent = await connectAgent(gw.workspaceUrl, token);
    const a = await connectVisitor(gw.publicUrl);
    const b = await connectVisitor(gw.publicUrl);
    try {
      await say(a, 'first customer');
      const convA = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
      // A is answered (its first response met), then handed back: it heads the line again, and for a
      // minute is not given back to the agent who returned it.
      await json(`${gw.workspaceUrl}/api/conversations/${convA.id}/messages`, { method: 'POST', headers: auth(), json: { text: 'Hello!' } });
      await json(`${gw.workspaceUrl}/api/conversations/${convA.id}/requeue`, { method: 'POST', headers: auth(), json: {} });
      await say(b, 'second customer');
      const convB = await eventually(async () => (await json(`${gw.workspaceUrl}/api/conversations?status=queued`, { headers: auth() })).body.conversations
        .find((c: any) => c.id !== convA.id), 'B waiting');
      assert.equal((await conversation(convB.id)).status, 'queued', 'B waits behind A');

      offset += 11 * M;
      gw.sla.check();
      const assignedB = await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned' && f.conversation.id === convB.id);
      assert.equal(assignedB.conversation.priority, 8);
      assert.equal((await conversation(convA.id)).status, 'queued', 'A (no breach) still waits');
    } finally {
      await a.socket.close();
      await b.socket.close();
    }
  });

  it('on the real clock, the monitor\'s own timer announces the breach (no check() call)', async () => {
    gw = await startGateway(config(hook.url).replace('first_response = "10m"', 'first_response = "1s"'));
    token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    agent = await connectAgent(gw.workspaceUrl, token);
    visitor = await connectVisitor(gw.publicUrl);
    await say(visitor, 'quick question');
    const frame = await agent.wait((f) => f.type === 'sla.breached', 15_000);
    assert.equal(frame.target, 'first_response');
    await eventually(() => breaches().length === 1, 'the webhook');
  });
});
