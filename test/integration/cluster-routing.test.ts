import assert from 'node:assert/strict';
import { MongoClient } from 'mongodb';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { connectAgent, connectVisitor, json, loginAgent, say, type FrameSocket, type Visitor } from '../helpers/clients.js';
import { mongoStoreConfig, mongoTarget } from '../helpers/mongo.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const redis = await startRedis();
const target = await mongoTarget();
after(async () => { if (!('skip' in redis)) await redis.close(); });

describe('cluster mode: routing across three nodes (one MongoDB database, one redis-server)', function () {
  this.timeout(60_000);
  const skip = 'skip' in redis ? redis.skip : 'skip' in target ? target.skip : undefined;
  if (skip) {
    it.skip(`assignment, presence and races across nodes: ${skip}`);
    return;
  }
  const r = redis as TestRedis;
  const mongo = target as Exclude<typeof target, { skip: string }>;
  let database: string;
  let nodes: TestGateway[] = [];
  const sockets: FrameSocket[] = [];
  const visitors: Visitor[] = [];

  const start = (node: string) => startGateway(`${mongoStoreConfig(mongo, database)}\n[cluster]\nredis_url = "${r.url}"\nnode_id = "${node}"\nkey_prefix = "${database}:"\nlease_ttl_ms = 3000\n[ratelimit]\ncustomer_quota = 600\n[routing]\ndisconnect_grace_s = 0.5\n[ai]\nenabled = false\n`);
  const admin = (g: TestGateway) => loginAgent(g.workspaceUrl, 'admin', g.adminPassword);
  const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
  /** An agent account (made on node 0) with a workspace socket open on `g`. */
  async function agentOn(g: TestGateway, login: string, capacity: number): Promise<{ id: string; token: string; socket: FrameSocket }> {
    const made = await json(`${nodes[0].workspaceUrl}/api/agents`, { method: 'POST', ...auth(await admin(nodes[0])), json: { login, password: `${login}-password-1`, capacity } });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const token = await loginAgent(g.workspaceUrl, login, `${login}-password-1`);
    const socket = await connectAgent(g.workspaceUrl, token);
    sockets.push(socket);
    return { id: made.body.agent.id, token, socket };
  }
  async function visitorOn(g: TestGateway, text: string): Promise<Visitor> {
    const v = await connectVisitor(g.publicUrl);
    visitors.push(v);
    await say(v, text);
    return v;
  }
  const mongoClient = () => MongoClient.connect(mongo.url);
  /** The shared store's view: conversation id → assignee, for every assigned conversation. */
  async function assignments(): Promise<Map<string, string>> {
    const client = await mongoClient();
    try {
      const docs = await client.db(database).collection('conversations').find({ status: 'assigned' }).toArray();
      return new Map(docs.map((d) => [d.id as string, d.assigneeId as string]));
    } finally { await client.close(); }
  }
  /** How many "joined the conversation" events each conversation got (one per change of hands). */
  async function joins(): Promise<Map<string, number>> {
    const client = await mongoClient();
    try {
      // Content is stored as JSON text.
      const docs = await client.db(database).collection('messages').find({ 'from.role': 'system' }).toArray();
      const out = new Map<string, number>();
      for (const d of docs) {
        if (JSON.parse(d.content as string).event !== 'assigned') continue;
        out.set(d.conversationId as string, (out.get(d.conversationId as string) ?? 0) + 1);
      }
      return out;
    } finally { await client.close(); }
  }
  const loadOf = (m: Map<string, string>, agentId: string) => [...m.values()].filter((a) => a === agentId).length;

  beforeEach(async () => {
    database = mongo.freshDatabase();
    // Started together on an empty database, as a deployment's nodes are: one admin, one visitor-token secret.
    nodes = await Promise.all(['a', 'b', 'c'].map(start));
  });
  afterEach(async () => {
    for (const v of visitors.splice(0)) await v.socket.close();
    for (const s of sockets.splice(0)) await s.close();
    for (const g of nodes) await g.close();
    const client = await mongoClient();
    try { await client.db(database).dropDatabase(); } finally { await client.close(); }
  });

  it('nodes started together on an empty database agree on one admin and one visitor-token secret: a widget session from A resumes on C', async () => {
    const [a, , c] = nodes;
    const client = await mongoClient();
    try { assert.equal(await client.db(database).collection('agents').countDocuments({ login: 'admin' }), 1); } finally { await client.close(); }
    for (const g of nodes) await admin(g);
    const v = await visitorOn(a, 'first on a');
    const again = await connectVisitor(c.publicUrl, v.token);
    visitors.push(again);
    assert.equal(again.visitorId, v.visitorId);
  });

  it('a customer on node A is assigned automatically to the only agent, online on node C; the widget on A is told', async () => {
    const [a, , c] = nodes;
    const agent = await agentOn(c, 'cleo', 3);
    const v = await visitorOn(a, 'hello from node a');
    const frame = await agent.socket.wait((f) => f.type === 'conversation' && f.conversation.status === 'assigned' && f.conversation.assigneeId === agent.id);
    // The widget on A hears of the join (the system message crosses back to A).
    await v.socket.wait((f) => f.type === 'message' && f.message.content.kind === 'event' && f.message.content.event === 'assigned');
    assert.deepEqual([...(await joins()).values()], [1]);
    assert.equal((await assignments()).get(frame.conversation.id), agent.id);
  });

  it('queue positions on node A follow assignments made for agents on node B', async () => {
    const [a, b] = nodes;
    const waiting: Visitor[] = [];
    for (let i = 0; i < 3; i++) waiting.push(await visitorOn(a, `in line ${i}`));
    for (let i = 0; i < 3; i++) await waiting[i].socket.wait((f) => f.type === 'queue' && f.position === i + 1);
    await agentOn(b, 'bea', 1);
    await waiting[0].socket.wait((f) => f.type === 'message' && f.message.content.event === 'assigned');
    await waiting[1].socket.wait((f) => f.type === 'queue' && f.position === 1);
    await waiting[2].socket.wait((f) => f.type === 'queue' && f.position === 2);
  });

  it('many agents on three nodes, many customers on three nodes: each conversation assigned once, no agent over capacity, claims racing the assigner included', async () => {
    const agents: { id: string; token: string; socket: FrameSocket }[] = [];
    for (let i = 0; i < 6; i++) agents.push(await agentOn(nodes[i % 3], `agent${i}`, 2));
    const capacity = 2;
    // 20 customers for 12 slots, spread over the nodes, arriving together.
    await Promise.all(Array.from({ length: 20 }, (_, i) => visitorOn(nodes[i % 3], `customer ${i}`)));
    // Meanwhile every agent tries to claim whatever is waiting, on its own node.
    const waiting = await json(`${nodes[0].workspaceUrl}/api/conversations?status=queued`, auth(agents[0].token));
    const claims = await Promise.all(agents.flatMap((ag, i) => (waiting.body.conversations as { id: string }[]).slice(0, 6).map((conv) =>
      json(`${nodes[i % 3].workspaceUrl}/api/conversations/${conv.id}/claim`, { method: 'POST', ...auth(ag.token) }).then((res) => res.status))));
    for (const s of claims) assert.ok([200, 409].includes(s), `claim answered ${s}`);
    if (process.env.DEBUG_ROUTING) {
      const client = await mongoClient();
      console.log(claims, waiting.body.conversations?.length, (await client.db(database).collection('conversations').find({}).toArray()).map((d) => `${d.status}:${d.assigneeId}`));
      await client.close();
    }
    let seen = new Map<string, string>();
    const held: Map<string, string> = await eventually(async () => {
      seen = await assignments();
      return seen.size === 12 ? seen : undefined;
    }, '12 conversations assigned', 30_000).then((m) => m!).catch((err) => { throw new Error(`${err.message}: ${seen.size} assigned, loads ${JSON.stringify(agents.map((ag) => loadOf(seen, ag.id)))}`); });
    for (const ag of agents) assert.equal(loadOf(held, ag.id), capacity, `${ag.id} holds ${loadOf(held, ag.id)}`);
    const j = await joins();
    assert.equal(j.size, 12);
    for (const [id, n] of j) assert.equal(n, 1, `${id} was given ${n} times`);
    // The rest wait; a resolve anywhere frees a slot the assigner fills at once, still once each.
    const [first] = [...held.keys()];
    const owner = agents.find((ag) => ag.id === held.get(first))!;
    const res = await json(`${nodes[2].workspaceUrl}/api/conversations/${first}/close`, { method: 'POST', ...auth(owner.token) });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const after: Map<string, string> = await eventually(async () => { const m = await assignments(); return m.size === 12 && !m.has(first) ? m : undefined; }, 'the freed slot filled', 30_000).then((m) => m!);
    assert.equal(loadOf(after, owner.id), capacity);
    for (const [id, n] of await joins()) assert.equal(n, 1, `${id} was given ${n} times`);
  });

  it('an agent whose node stops goes offline everywhere: their conversations go back to the queue and to an agent on another node', async () => {
    const [a, b, c] = nodes;
    const leaving = await agentOn(c, 'lena', 5);
    const v = await visitorOn(a, 'who is there?');
    await leaving.socket.wait((f) => f.type === 'conversation' && f.conversation.assigneeId === leaving.id);
    const staying = await agentOn(b, 'sam', 5);
    // Node C stops (its agent's socket goes with it); nobody on A or B hears "disconnected".
    await c.close();
    nodes = nodes.filter((g) => g !== c);
    const moved = await staying.socket.wait((f) => f.type === 'conversation' && f.conversation.assigneeId === staying.id, 30_000);
    assert.equal(moved.conversation.status, 'assigned');
    await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'assigned' && f.message.content.refId === staying.id);
    assert.equal((await assignments()).get(moved.conversation.id), staying.id);
  });

  it('the assigning node stops: another node takes over the assigning, and a new customer is still assigned', async () => {
    const readyz = await Promise.all(nodes.map((g) => json(`${g.workspaceUrl}/readyz`)));
    const leader = nodes[readyz.findIndex((x) => JSON.stringify(x.body).includes('"assigner"'))];
    assert.ok(leader, `no node holds the assigner lease: ${JSON.stringify(readyz.map((x) => x.body.cluster))}`);
    await leader.close();
    nodes = nodes.filter((g) => g !== leader);
    const agent = await agentOn(nodes[1], 'otto', 2);
    const v = await visitorOn(nodes[0], 'still anyone?');
    await agent.socket.wait((f) => f.type === 'conversation' && f.conversation.assigneeId === agent.id, 30_000);
    await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'assigned');
  });
});
