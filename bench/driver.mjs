// The load generator (runs pinned to its own core). Modes:
//   http   T S C V    customers POST text to /v1/visitor/messages (kefu) or the bare Koa app; autocannon
//   ws     T S V W    V visitor sockets, W frames in flight each, latency measured at the agent socket
//   image  T S C      50 kB PNG uploads then image messages (kefu) / bare multipart uploads
//   mixed  S V        text + typing + reads over ws, image uploads, bot posts through the Slack API
//   idle   T N ADDR   opens N idle visitor sockets from source address ADDR, prints "ready", holds until stdin closes
// T = kefu | baseline. Prints one JSON line with its measurements.
import autocannon from 'autocannon';
import WebSocket from 'ws';
import { deflateSync } from 'node:zlib';

// The same defaults as bench/lib.mjs's PORTS, moved by BENCH_PORT_BASE like them.
const PORT_BASE = Number(process.env.BENCH_PORT_BASE ?? 18080);
const PUB = process.env.BENCH_PUBLIC ?? `http://127.0.0.1:${PORT_BASE}`;
const WSP = process.env.BENCH_WORKSPACE ?? `http://127.0.0.1:${PORT_BASE + 10}`;
const BASE = process.env.BENCH_BASELINE ?? `http://127.0.0.1:${PORT_BASE + 20}`;
const PASSWORD = process.env.BENCH_PASSWORD ?? 'bench-admin-password';
const now = () => performance.timeOrigin + performance.now();
const [mode, target, ...rest] = process.argv.slice(2);
const N = rest.map(Number);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let uid = 0;
const clientId = () => `b${process.pid.toString(36)}${(uid++).toString(36).padStart(7, '0')}`;

function stats(xs) {
  const a = Float64Array.from(xs).sort();
  const q = (p) => (a.length ? a[Math.min(a.length - 1, Math.floor(p * a.length))] : null);
  return { n: a.length, mean: a.length ? a.reduce((s, x) => s + x, 0) / a.length : null, p50: q(0.5), p99: q(0.99) };
}

async function post(url, body, headers = {}) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return r.json();
}

const open = (url, opts) => new Promise((resolve, reject) => { const ws = new WebSocket(url, { perMessageDeflate: false, ...opts }); ws.once('open', () => resolve(ws)); ws.once('error', reject); });

/** The agent side: an admin agent whose socket receives every assigned conversation's messages. */
async function agentSocket(onMessage) {
  const { token } = await post(`${WSP}/api/login`, { login: 'admin', password: PASSWORD });
  const ws = await open(`${WSP.replace('http', 'ws')}/ws/agent`, { headers: { Authorization: `Bearer ${token}` } });
  ws.on('message', (d) => {
    const parsed = JSON.parse(d);
    for (const f of parsed.type === 'batch' ? parsed.frames : [parsed]) {
      if (f.type === 'message' && f.message.direction === 'inbound') onMessage(f.message);
    }
  });
  return ws;
}

async function visitors(n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push((await post(`${PUB}/v1/visitor/session`, {})).token);
  return out;
}

/** Sends one message per visitor and waits until the agent has them all: every conversation is assigned. */
async function warmUp(tokens, received) {
  const before = received.count;
  await Promise.all(tokens.map((t) => post(`${PUB}/v1/visitor/messages`, { clientId: clientId(), text: 'warm up' }, { Authorization: `Bearer ${t}` })));
  await sleep(300);
  await Promise.all(tokens.map((t) => post(`${PUB}/v1/visitor/messages`, { clientId: clientId(), text: 'warm up 2' }, { Authorization: `Bearer ${t}` })));
  for (let i = 0; i < 200 && received.count - before < tokens.length; i++) await sleep(50);
}

function textAt(m) { return m.content?.text ?? ''; }

async function http([seconds, connections, nVisitors]) {
  const kefu = target === 'kefu';
  const lat = [];
  const received = { count: 0 };
  let tokens = [], agent;
  let windowEnd = Infinity;
  if (kefu) {
    tokens = await visitors(nVisitors);
    agent = await agentSocket((m) => {
      received.count++;
      const t = Number(textAt(m).split(' ')[1]);
      if (t && t < windowEnd) lat.push(now() - t);
    });
    await warmUp(tokens, received);
  }
  let i = 0;
  const url = kefu ? `${PUB}/v1/visitor/messages` : `${BASE}/v1/visitor/messages`;
  const start = now();
  const result = await autocannon({
    url, connections, duration: seconds, method: 'POST', headers: { 'content-type': 'application/json' },
    requests: [{ setupRequest: (req) => {
      const token = tokens[i++ % Math.max(1, tokens.length)];
      return { ...req, headers: { ...req.headers, ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ clientId: clientId(), text: `bench ${now()} 你好，我想问一下订单什么时候发货` }) };
    } }],
  });
  windowEnd = now();
  const elapsed = (windowEnd - start) / 1000;
  const ok = result['2xx'];
  if (kefu) {
    for (let k = 0; k < 100 && lat.length < ok; k++) await sleep(50);
    agent.close();
    return { msgs: lat.length, seconds: elapsed, rate: lat.length / elapsed, ...stats(lat), errors: result.non2xx + result.errors + Math.max(0, ok - lat.length) };
  }
  return { msgs: ok, seconds: elapsed, rate: ok / elapsed, n: ok, mean: result.latency.mean, p50: result.latency.p50, p99: result.latency.p99, errors: result.non2xx + result.errors };
}

async function ws([seconds, nVisitors, windowSize]) {
  const kefu = target === 'kefu';
  const lat = [];
  const received = { count: 0 };
  let measuring = false, stopAt = Infinity;
  const sockets = [];
  const send = (v) => {
    if (now() > stopAt) return;
    v.socket.send(JSON.stringify(kefu ? { type: 'send', clientId: clientId(), text: `bench ${now()} ${v.i}` } : { text: `bench ${now()} ${v.i}` }));
  };
  const onAgent = (text) => {
    received.count++;
    const [, t, vi] = text.split(' ');
    if (!t) return;
    if (measuring && Number(t) < stopAt) lat.push(now() - Number(t));
    const v = sockets[Number(vi)];
    if (v && measuring) send(v);
  };
  let agent;
  if (kefu) {
    const tokens = await visitors(nVisitors);
    agent = await agentSocket((m) => onAgent(textAt(m)));
    await warmUp(tokens, received);
    for (let i = 0; i < nVisitors; i++) {
      const s = await open(`${PUB.replace('http', 'ws')}/ws/visitor`);
      s.send(JSON.stringify({ type: 'hello', token: tokens[i], after: 1_000_000 }));
      s.on('message', () => {});
      sockets.push({ socket: s, i });
    }
  } else {
    agent = await open(`${BASE.replace('http', 'ws')}/ws/agent`);
    agent.on('message', (d) => onAgent(JSON.parse(d).text));
    for (let i = 0; i < nVisitors; i++) sockets.push({ socket: await open(`${BASE.replace('http', 'ws')}/ws/visitor`), i });
  }
  await sleep(200);
  measuring = true;
  const start = now();
  stopAt = start + seconds * 1000;
  for (const v of sockets) for (let k = 0; k < windowSize; k++) send(v);
  await sleep(seconds * 1000 + 500);
  const elapsed = seconds;
  for (const v of sockets) v.socket.close();
  agent.close();
  return { msgs: lat.length, seconds: elapsed, rate: lat.length / elapsed, ...stats(lat), errors: 0 };
}

/** A valid 50 kB PNG (stored, uncompressed deflate of noise keeps it at the size). */
function png50k() {
  const w = 128, h = 130;
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let i = 0; i < raw.length; i++) raw[i] = (i * 2654435761) >>> 24;
  const chunk = (type, data) => { const len = Buffer.alloc(4); len.writeUInt32BE(data.length); return Buffer.concat([len, Buffer.from(type), data, Buffer.alloc(4)]); };
  const ihdr = Buffer.alloc(13); ihdr.writeUInt32BE(w, 0); ihdr.writeUInt32BE(h, 4); ihdr[8] = 8; ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw, { level: 0 })), chunk('IEND', Buffer.alloc(0))]);
}

async function image([seconds, concurrency]) {
  const kefu = target === 'kefu';
  const img = png50k();
  const lat = [];
  let errors = 0;
  const pending = new Map();
  let tokens = [], agent;
  const received = { count: 0 };
  if (kefu) {
    tokens = await visitors(concurrency);
    agent = await agentSocket((m) => { received.count++; const r = pending.get(m.sourceId); if (r) { pending.delete(m.sourceId); r(); } });
    await warmUp(tokens, received);
  }
  const end = now() + seconds * 1000;
  const worker = async (w) => {
    while (now() < end) {
      const t0 = now();
      const form = new FormData();
      form.append('file', new Blob([img], { type: 'image/png' }), 'photo.png');
      try {
        if (!kefu) {
          const r = await fetch(`${BASE}/upload`, { method: 'POST', body: form });
          await r.arrayBuffer();
          if (r.status !== 201) { errors++; continue; }
        } else {
          // Upload and send in one request (the clientId field makes it an image message at once).
          const id = clientId();
          form.append('clientId', id);
          const delivered = new Promise((r) => pending.set(id, r));
          const up = await fetch(`${PUB}/v1/visitor/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${tokens[w]}` }, body: form });
          await up.arrayBuffer();
          if (up.status !== 201) { errors++; pending.delete(id); continue; }
          await delivered;
        }
        lat.push(now() - t0);
      } catch { errors++; }
    }
  };
  const t0 = now();
  await Promise.all(Array.from({ length: concurrency }, (_, w) => worker(w)));
  const elapsed = (now() - t0) / 1000;
  agent?.close();
  return { msgs: lat.length, seconds: elapsed, rate: lat.length / elapsed, ...stats(lat), errors };
}

async function mixed([seconds, nVisitors]) {
  // Text over ws (measured at the agent) with typing and read frames between, a few image uploads,
  // and a bot posting through the Slack-compatible API into the same conversations.
  const lat = [];
  const received = { count: 0 };
  const tokens = await visitors(nVisitors);
  const convs = new Set();
  const agent = await agentSocket((m) => { received.count++; convs.add(m.conversationId); const t = Number(textAt(m).split(' ')[1]); if (t >= from) lat.push(now() - t); });
  let from = Infinity;
  await warmUp(tokens, received);
  const sockets = [];
  for (let i = 0; i < nVisitors; i++) {
    const s = await open(`${PUB.replace('http', 'ws')}/ws/visitor`);
    s.send(JSON.stringify({ type: 'hello', token: tokens[i], after: 1_000_000 }));
    sockets.push(s);
  }
  // The whole mix runs WARM_MS before measuring starts: the first ~0.5 s after 150 sockets open
  // at once (new code paths compiling, every loop starting together) is a start-up backlog of
  // 100–240 ms latencies that otherwise decided the p99 alone (measured per 50 ms window).
  const WARM_MS = 1000;
  from = now() + WARM_MS;
  const end = from + seconds * 1000;
  const img = png50k();
  let botPosts = 0, posted = 0, images = 0, errors = 0;
  const texts = ['请问这个有货吗', '我的快递到哪了', 'I want to return my order', '发票怎么开', '你好', '谢谢'];
  // Each visitor sends every 20 ms on an absolute schedule (150 visitors → 7,500 texts/s, the
  // reference's mixed rate); sleeping 20 ms after each send drifted to ~7,200/s.
  const start = now();
  const visitorLoop = async (i) => {
    let k = 0;
    await sleep((i * 20) / nVisitors); // spread the visitors over the period
    while (now() < end) {
      const s = sockets[i];
      if (k % 4 === 1) s.send(JSON.stringify({ type: 'typing' }));
      if (k % 4 === 3) s.send(JSON.stringify({ type: 'read', seq: 1 }));
      s.send(JSON.stringify({ type: 'send', clientId: clientId(), text: `bench ${now()} ${texts[k % texts.length]}` }));
      k++;
      await sleep(Math.max(0, start + (i * 20) / nVisitors + k * 20 - now()));
    }
  };
  const imageLoop = async () => {
    while (now() < end) {
      const form = new FormData();
      form.append('file', new Blob([img], { type: 'image/png' }), 'p.png');
      const up = await fetch(`${PUB}/v1/visitor/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${tokens[0]}` }, body: form });
      if (up.status !== 201) errors++; else if (now() >= from) images++;
      await up.arrayBuffer().catch(() => {});
    }
  };
  const botLoop = async () => {
    const bot = process.env.BENCH_BOT_TOKEN;
    while (now() < end && bot) {
      const conv = [...convs][posted++ % Math.max(1, convs.size)];
      if (!conv) { await sleep(10); continue; }
      const r = await fetch(`${PUB}/api/chat.postMessage`, { method: 'POST', headers: { Authorization: `Bearer ${bot}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ channel: conv, text: '您的订单已发货' }) });
      if (!(await r.json()).ok) errors++; else if (now() >= from) botPosts++;
    }
  };
  await Promise.all([...sockets.map((_, i) => visitorLoop(i)), imageLoop(), botLoop()]);
  await sleep(500);
  for (const s of sockets) s.close();
  agent.close();
  return { msgs: lat.length, seconds, rate: lat.length / seconds, ...stats(lat), errors, images, botPosts };
}

async function idle([count], addr) {
  const sockets = [];
  let errors = 0, errorFrames = 0, welcomed = 0, dropped = 0, holding = true;
  const url = target === 'kefu' ? `${PUB.replace('http', 'ws').replace('127.0.0.1', addr)}/ws/visitor` : `${BASE.replace('http', 'ws').replace('127.0.0.1', addr)}/ws/visitor`;
  const tokens = target === 'kefu' ? await visitors(count) : [];
  const t0 = now();
  for (let i = 0; i < count; i += 200) {
    await Promise.all(Array.from({ length: Math.min(200, count - i) }, async (_, k) => {
      try {
        const s = await open(url, { localAddress: addr });
        if (target === 'kefu') s.send(JSON.stringify({ type: 'hello', token: tokens[i + k], after: 1_000_000 }));
        // The welcome says the hello went through (token, the store read for the conversation).
        s.on('message', (d) => { const f = String(d); if (f.startsWith('{"type":"welcome"')) welcomed++; else if (f.startsWith('{"type":"error"')) errorFrames++; });
        s.on('error', () => { errors++; });
        s.on('close', () => { if (holding) dropped++; });
        sockets.push(s);
      } catch { errors++; }
    }));
  }
  const openMs = now() - t0;
  // Hellos still being answered are waited for (bounded): an idle socket counts once welcomed.
  for (let k = 0; k < 1200 && target === 'kefu' && welcomed + dropped < sockets.length; k++) await sleep(100);
  await sleep(500);
  process.stdout.write(JSON.stringify({ ready: true, open: sockets.length, errors, errorFrames, welcomed, dropped, openMs, welcomedMs: now() - t0 }) + '\n');
  await new Promise((r) => process.stdin.on('end', r).resume());
  holding = false;
  return { open: sockets.length, errors, errorFrames, welcomed, dropped };
}

const modes = { http, ws, image, mixed, idle };
const out = await modes[mode](N, rest[rest.length - 1]);
process.stdout.write(JSON.stringify(out) + '\n');
process.exit(0);
