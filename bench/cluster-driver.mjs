// The cluster scenario's load generator (bench/cluster.mjs runs it pinned to the load core).
// Usage: node bench/cluster-driver.mjs SECONDS VISITORS WINDOW, with BENCH_CLUSTER_NODES a JSON
// list of { pub, wsp } (each node's public and workspace URL).
// VISITORS are spread over the nodes; node i's visitors are claimed over the API by the agent on
// node (i + 1) % N (one node: its own), so with several nodes every message crosses nodes.
// Agents are kept out of the auto-assignment (their skills name no queue, see cluster.mjs): a
// claim is the only way a conversation reaches them, as in test/integration/cluster-delivery.
// Each visitor keeps WINDOW texts in flight (closed loop, like text-ws); latency is visitor send
// → the agent socket has it. Prints "measuring" when the measured window opens, "stopped" when
// it closes (the caller reads CPU there), then one JSON line.
// With BENCH_CLUSTER_WORKERS=N (bench/workers.mjs) BENCH_CLUSTER_NODES holds one entry, the ports
// `kefu start --workers N` shares: which worker took a socket is its 101's X-Kefu-Node. Each
// agent's socket lands on some worker; each visitor opens its socket first and is claimed by an
// agent whose socket is on another worker, so every text crosses workers.
import WebSocket from 'ws';

const [SECONDS, VISITORS, WINDOW] = process.argv.slice(2).map(Number);
const NODES = JSON.parse(process.env.BENCH_CLUSTER_NODES ?? '[]');
const WORKERS = Number(process.env.BENCH_CLUSTER_WORKERS ?? 0);
const ADMIN_PASSWORD = process.env.BENCH_PASSWORD ?? 'bench-admin-password';
const AGENT_PASSWORD = 'bench-agent-password';
/** Sent and delivered but not measured: the first use of every code path (JIT), the first claims settling. */
const WARM_MS = 1000;
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let uid = 0;
const clientId = () => `c${process.pid.toString(36)}${(uid++).toString(36).padStart(7, '0')}`;

async function call(url, body, token) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body ?? {}) });
  const json = await r.json().catch(() => ({}));
  if (r.status >= 300) throw new Error(`POST ${url} → ${r.status} ${JSON.stringify(json)}`);
  return json;
}
/** A socket and the node that took it (X-Kefu-Node of the 101; every cluster-mode answer has one). */
const open = (url, opts) => new Promise((resolve, reject) => {
  const ws = new WebSocket(url, { perMessageDeflate: false, ...opts });
  ws.once('upgrade', (res) => { ws.node = String(res.headers['x-kefu-node'] ?? ''); });
  ws.once('open', () => resolve(ws));
  ws.once('error', reject);
});
const login = async (node, l, password) => (await call(`${node.wsp}/api/login`, { login: l, password })).token;

/** One agent per node (or worker), created once (a shared store: on node 0 for all; one node: there). */
async function agents(onText) {
  const admin = await login(NODES[0], 'admin', ADMIN_PASSWORD);
  const out = [];
  for (let j = 0; j < (WORKERS || NODES.length); j++) {
    const node = NODES[WORKERS ? 0 : j];
    await call(`${NODES[0].wsp}/api/agents`, { login: `bench-agent-${j}`, password: AGENT_PASSWORD, capacity: 1000 }, admin);
    const token = await login(node, `bench-agent-${j}`, AGENT_PASSWORD);
    const ws = await open(`${node.wsp.replace('http', 'ws')}/ws/agent`, { headers: { Authorization: `Bearer ${token}` } });
    ws.on('message', (d) => {
      const parsed = JSON.parse(d);
      for (const f of parsed.type === 'batch' ? parsed.frames : [parsed]) {
        if (f.type === 'message' && f.message.direction === 'inbound' && f.message.content.kind === 'text') onText(f.message.content.text);
      }
    });
    out.push({ token, ws, node: ws.node });
  }
  if (WORKERS && new Set(out.map((a) => a.node)).size < 2) throw new Error(`the agents' sockets all landed on ${out[0].node}: no worker to cross to`);
  return out;
}

async function run() {
  const lat = [];
  const arrived = new Set();
  let measuring = false, from = Infinity, stopAt = Infinity, sent = 0, duplicates = 0, errors = 0;
  const visitors = [];
  const send = (v) => {
    const t = now();
    if (t > stopAt || v.socket.readyState !== 1) return;
    if (t >= from) sent++;
    v.socket.send(JSON.stringify({ type: 'send', clientId: clientId(), text: `bench ${t} ${v.i}` }));
  };
  // "bench <sent at> <visitor>" from the loop, "warm <visitor>" from the set-up.
  const warmed = new Set();
  const agent = await agents((text) => {
    const [kind, a, b] = text.split(' ');
    if (kind === 'warm') return void warmed.add(Number(a));
    if (kind !== 'bench') return;
    if (arrived.has(`${b}:${a}`)) return void duplicates++;
    arrived.add(`${b}:${a}`);
    const t = Number(a);
    if (t >= from && t < stopAt) lat.push(now() - t);
    if (measuring) send(visitors[Number(b)]);
  });

  // Visitor i writes to node i % N; its agent is on the next node. With workers: the visitor's
  // socket first (its worker is known only then), then an agent on another worker, in turn.
  const pairs = {};
  const countErrors = (socket) => socket.on('message', (d) => { const f = JSON.parse(d); if (f.type === 'error') errors++; });
  const setupStart = now();
  for (let i = 0; i < VISITORS; i++) {
    const node = WORKERS ? 0 : i % NODES.length, agentNode = WORKERS ? 0 : (node + 1) % NODES.length;
    const pub = NODES[node].pub;
    const socket = WORKERS ? await open(`${pub.replace('http', 'ws')}/ws/visitor`) : undefined;
    const others = agent.filter((a) => !WORKERS || a.node !== socket.node);
    const mine = WORKERS ? others[i % others.length] : agent[agentNode];
    const { token } = await call(`${pub}/v1/visitor/session`);
    await call(`${pub}/v1/visitor/messages`, { clientId: clientId(), text: `hello ${i}` }, token);
    const { conversationId } = await call(`${pub}/v1/visitor/session`, { token });
    await call(`${NODES[agentNode].wsp}/api/conversations/${conversationId}/claim`, {}, mine.token);
    if (socket) {
      countErrors(socket);
      socket.send(JSON.stringify({ type: 'hello', token, after: 1_000_000 }));
      pairs[`${socket.node} → ${mine.node}`] = (pairs[`${socket.node} → ${mine.node}`] ?? 0) + 1;
    }
    visitors.push({ i, token, pub, socket, agentNode: mine.node });
  }
  // One after another: a session, a first message (the conversation is created), a claim.
  const setupMsPerVisitor = (now() - setupStart) / VISITORS;
  // The node a visitor writes to learns of the claim from the other node's event: until then its
  // messages name no assignee and go to the agent only by resync. Send until every visitor's arrives.
  for (let round = 0; warmed.size < VISITORS; round++) {
    if (round === 20) throw new Error(`warm-up: ${VISITORS - warmed.size} visitors' messages never reached their agent`);
    await Promise.all(visitors.filter((v) => !warmed.has(v.i)).map((v) => call(`${v.pub}/v1/visitor/messages`, { clientId: clientId(), text: `warm ${v.i}` }, v.token)));
    for (let k = 0; k < 20 && warmed.size < VISITORS; k++) await sleep(50);
  }
  for (const v of visitors) {
    if (v.socket) continue; // workers: open since its set-up
    v.socket = await open(`${v.pub.replace('http', 'ws')}/ws/visitor`);
    v.socket.send(JSON.stringify({ type: 'hello', token: v.token, after: 1_000_000 }));
    countErrors(v.socket);
  }
  await sleep(200);

  measuring = true;
  from = now() + WARM_MS;
  stopAt = from + SECONDS * 1000;
  for (const v of visitors) for (let k = 0; k < WINDOW; k++) send(v);
  await sleep(WARM_MS);
  process.stdout.write('measuring\n');
  await sleep(stopAt - now());
  process.stdout.write('stopped\n');
  // What was sent in the window and is still in flight is waited for: missing ones are errors.
  for (let k = 0; k < 200 && lat.length < sent; k++) await sleep(50);
  for (const v of visitors) v.socket.close();
  for (const a of agent) a.ws.close();
  const xs = Float64Array.from(lat).sort();
  const q = (p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : null);
  return { msgs: lat.length, seconds: SECONDS, rate: lat.length / SECONDS, n: xs.length, mean: xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : null,
    p50: q(0.5), p99: q(0.99), errors: errors + duplicates + Math.max(0, sent - lat.length), lost: Math.max(0, sent - lat.length), duplicates, errorFrames: errors,
    setupMsPerVisitor,
    // Visitor's worker → its agent's worker, visitors per pair (workers only): none may be the same worker.
    ...(WORKERS ? { pairs, sameWorker: visitors.filter((v) => v.agentNode === v.socket.node).length } : {}) };
}

process.stdout.write(JSON.stringify(await run()) + '\n');
process.exit(0);
