import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { MongoClient } from 'mongodb';
import { eventually, testConfig } from '../helpers/gateway.js';
import { cid, FrameSocket, json, loginAgent, say, visitorSession, type Visitor } from '../helpers/clients.js';
import { clusterNodeToml } from '../helpers/child-gateway.js';
import { mongoTarget } from '../helpers/mongo.js';
import { startRedis, type TestRedis } from '../helpers/redis.js';

const KEFU = fileURLToPath(new URL('../../kefu.mjs', import.meta.url));
const redis = await startRedis();
const target = await mongoTarget();
after(async () => { if (!('skip' in redis)) await redis.close(); });

/** A socket with the node (worker) that took it, from the X-Kefu-Node of the 101 answer. */
function openOn(url: string, headers: Record<string, string> = {}): Promise<{ socket: FrameSocket; node: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const socket = new FrameSocket(ws);
    let node = '';
    ws.once('upgrade', (res) => { node = String(res.headers['x-kefu-node'] ?? ''); });
    ws.once('open', () => resolve({ socket, node }));
    ws.once('error', reject);
  });
}

describe('kefu start --workers 2 (the built CLI, cluster mode on a MongoDB emulator database and a redis-server)', () => {
  const skip = 'skip' in redis ? redis.skip : 'skip' in target ? target.skip : undefined;
  if (skip) {
    it.skip(`two workers share the ports, chat across them, a killed one is restarted: ${skip}`);
    return;
  }
  const r = redis as TestRedis;
  const mongo = target as Exclude<typeof target, { skip: string }>;
  const database = mongo.freshDatabase();
  const dir = mkdtempSync(join(tmpdir(), 'kefu-workers-'));
  const sockets: FrameSocket[] = [];
  let primary: ChildProcess;
  let exited: Promise<number | null>;
  let out = '';
  let publicUrl = '';
  let workspaceUrl = '';
  let nodes: string[] = [];
  /** The workers as the primary logged them when they listened (pid per node id, latest last). */
  const listening = () => out.split('\n').filter((l) => l.includes('"worker listening"')).map((l) => JSON.parse(l) as { node: string; pid: number });
  const pidOf = (node: string) => listening().filter((l) => l.node === node).at(-1)?.pid;

  const visitorOn = async (node: string, token?: string, after = 0): Promise<Visitor> => {
    // The balancer here is node:cluster's round robin: open sockets until that worker takes one.
    for (let i = 0; i < 20; i++) {
      const s = await visitorSession(publicUrl, token);
      const { socket, node: got } = await openOn(`${publicUrl.replace('http', 'ws')}/ws/visitor`);
      if (got !== node) { await socket.close(); continue; }
      sockets.push(socket);
      socket.send({ type: 'hello', token: s.token, after });
      await socket.wait((f) => f.type === 'welcome');
      return { ...s, socket };
    }
    throw new Error(`no visitor socket on ${node} in 20 tries`);
  };

  before(async () => {
    const file = join(dir, 'kefu.toml');
    writeFileSync(file, testConfig(dir, clusterNodeToml({ mongoUrl: mongo.url, database, redisUrl: r.url, extra: '[log]\nlevel = "info"\n' })));
    primary = spawn(process.execPath, [KEFU, 'start', '--workers', '2', '--config', file], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, KEFU_ADMIN_PASSWORD: 'admin-password-1', KEFU_CONFIG: '' } });
    exited = new Promise((res) => primary.once('exit', (code) => res(code)));
    primary.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    const banner = await eventually(() => /kefu is running with 2 workers: (\S+), (\S+) \(config/.exec(out), 'the primary\'s banner', 60_000);
    nodes = [banner![1], banner![2]];
    publicUrl = /demo shop \+ widget:\s+(http:\/\/\S+)\/demo/.exec(out)![1];
    workspaceUrl = /agent workspace:\s+(http:\/\/\S+)\//.exec(out)![1];
  });
  after(async () => {
    for (const s of sockets) await s.close();
    if (primary.exitCode === null) { primary.kill('SIGKILL'); for (const l of listening()) try { process.kill(l.pid, 'SIGKILL'); } catch { /* gone */ } }
    rmSync(dir, { recursive: true, force: true });
    const client = await MongoClient.connect(mongo.url);
    try { await client.db(database).dropDatabase(); } finally { await client.close(); }
  });

  // The three tests run in order on one primary: both workers serve, one is killed and comes back, then the primary stops.
  let agent: FrameSocket;
  let token: string;
  let visitor: Visitor;
  let conversationId: string;
  const reply = async (text: string) => {
    const clientId = cid();
    agent.send({ type: 'send', conversationId, clientId, text });
    const ack = await agent.wait((f) => (f.type === 'ack' || f.type === 'error') && f.clientId === clientId);
    assert.equal(ack.type, 'ack', JSON.stringify(ack));
  };
  const visitorTexts = (s: FrameSocket) => s.frames.filter((f) => f.type === 'message' && f.message.from.role === 'agent').map((f) => f.message.content.text);
  /** The customer's texts the agent socket got, live or in history pages in arrival order (the `open` asks for all from 0, so its page repeats what came live: by id). */
  const agentTexts = () => {
    const live = agent.frames.filter((f) => f.type === 'message' && f.message.conversationId === conversationId).map((f) => f.message.id);
    assert.equal(new Set(live).size, live.length, 'no live message twice');
    const seen = new Map<string, any>();
    for (const f of agent.frames) for (const m of f.type === 'message' ? [f.message] : f.type === 'history' && f.conversationId === conversationId ? f.messages : []) seen.set(m.id, m);
    return [...seen.values()].filter((m) => m.conversationId === conversationId && m.from.role === 'customer' && m.content.kind === 'text')
      .map((m) => m.content.text);
  };

  it('two worker nodes (<hostname>-<pid>-w1, -w2) on the same two ports; a visitor on one and an agent on the other talk in order, each message once', async () => {
    assert.equal(nodes.length, 2);
    assert.match(nodes[0], new RegExp(`-${primary.pid}-w1$`));
    assert.match(nodes[1], new RegExp(`-${primary.pid}-w2$`));
    const [w1, w2] = nodes;
    token = await loginAgent(workspaceUrl, 'admin', 'admin-password-1');
    for (let i = 0; i < 20 && !agent; i++) {
      const { socket, node } = await openOn(`${workspaceUrl.replace('http', 'ws')}/ws/agent`, { Authorization: `Bearer ${token}` });
      if (node === w2) agent = socket; else await socket.close();
    }
    assert.ok(agent, 'an agent socket on w2');
    sockets.push(agent);
    await agent.wait((f) => f.type === 'welcome');
    visitor = await visitorOn(w1);
    await say(visitor, 'hello from w1');
    const created = await agent.wait((f) => f.type === 'conversation' && f.conversation.customer?.id !== undefined);
    conversationId = created.conversation.id;
    const claim = await json(`${workspaceUrl}/api/conversations/${conversationId}/claim`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    assert.equal(claim.status, 200, JSON.stringify(claim.body));
    agent.send({ type: 'open', conversationId, after: 0 });
    await agent.wait((f) => f.type === 'history' && f.conversationId === conversationId);
    for (let i = 1; i <= 4; i++) { await say(visitor, `v${i}`); await reply(`r${i}`); }
    await eventually(() => visitorTexts(visitor.socket).length === 4 && agentTexts().length === 5, 'everything across the workers');
    assert.deepEqual(visitorTexts(visitor.socket), ['r1', 'r2', 'r3', 'r4']);
    assert.deepEqual(agentTexts(), ['hello from w1', 'v1', 'v2', 'v3', 'v4']);
    // Each worker is its own node in /readyz too (whichever worker answers names itself).
    const ready = await json(`${workspaceUrl}/readyz`);
    assert.equal(ready.status, 200);
    assert.ok(nodes.includes(ready.body.cluster.node), JSON.stringify(ready.body.cluster));
  });

  it('kill -9 the visitor\'s worker: the primary starts it again; the visitor resumes on the other worker with what it missed, once', async () => {
    const [w1, w2] = nodes;
    const dead = pidOf(w1)!;
    const lastSeq = Math.max(...visitor.socket.frames.filter((f) => f.type === 'message').map((f) => f.message.seq));
    const killedAt = Date.now();
    process.kill(dead, 'SIGKILL');
    await eventually(() => visitor.socket.closed, 'the visitor\'s socket dropped');
    await reply('r5 while w1 is dead');
    const old = visitor.socket;
    visitor = await visitorOn(w2, visitor.token, lastSeq);
    await visitor.socket.wait((f) => f.type === 'message' && f.message.content.text === 'r5 while w1 is dead');
    const resumedIn = Date.now() - killedAt;
    await say(visitor, 'v5 on w2');
    await eventually(() => agentTexts().includes('v5 on w2'), 'v5 at the agent');
    assert.deepEqual([...visitorTexts(old), ...visitorTexts(visitor.socket)], ['r1', 'r2', 'r3', 'r4', 'r5 while w1 is dead']);
    assert.deepEqual(agentTexts(), ['hello from w1', 'v1', 'v2', 'v3', 'v4', 'v5 on w2']);
    // The restarted w1: same node id, a new pid, on the same ports (the primary kept the listening sockets).
    await eventually(() => pidOf(w1) !== dead, 'w1 listening again', 30_000);
    const restartedIn = Date.now() - killedAt;
    assert.match(out, /"worker died; restarting"/);
    const back = await visitorOn(w1, visitor.token, Math.max(...visitor.socket.frames.filter((f) => f.type === 'message').map((f) => f.message.seq)));
    await reply('r6 to both');
    await back.socket.wait((f) => f.type === 'message' && f.message.content.text === 'r6 to both');
    await visitor.socket.wait((f) => f.type === 'message' && f.message.content.text === 'r6 to both');
    assert.deepEqual(visitorTexts(back.socket), ['r6 to both'], 'the restarted worker resumes from the seq given');
    console.log(`      workers: visitor resumed on w2 ${resumedIn} ms after kill -9 of w1; w1 listening again after ${restartedIn} ms`);
  });

  it('SIGTERM to the primary stops both workers (their normal stop) and it exits 0', async () => {
    const pids = nodes.map((n) => pidOf(n)!);
    primary.kill('SIGTERM');
    assert.equal(await exited, 0);
    for (const pid of pids) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `worker ${pid} is gone`);
    // Each worker closed its sockets with 1012 (restart: come back), as a single node does.
    await eventually(() => sockets.every((s) => s.closed), 'every socket closed');
    assert.ok(sockets.filter((s) => s.closed!.code === 1012).length >= 2, JSON.stringify(sockets.map((s) => s.closed)));
  });
});
