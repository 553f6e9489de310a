// `npm run bench -- cluster` (issue 18): what cluster mode costs per message. Rows, each with a
// fresh redis-server, store and gateways, all server processes on the server core, the load on
// the load core (bench/cluster-driver.mjs: visitors on every node, agents claiming over the API
// on another node than their visitors):
//   single mode, SQLite (the baseline) · cluster mode, 1 node, SQLite + Redis (the overhead of
//   cluster mode alone) · 1, 2, 3 nodes on one redis-server + one shared MongoDB store.
// The shared store is the CongoDB wire emulator (KEFU_MONGO_EMULATOR_DIR, started here in its own
// process) or a real MongoDB at MONGODB_URL (its CPU is then not counted). Neither: those rows are
// left out. CPU per message counts every server process: the gateways, redis-server, the emulator.
// BENCH_CLUSTER_VISITORS (200) visitors in all, BENCH_CLUSTER_WINDOW (2) texts in flight each,
// BENCH_CLUSTER_ROWS (all: "single,1-sqlite,1,2,3") picks rows.
// `--workers` with 100,000 idle visitor sockets and text crossing workers: bench/workers.mjs.
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LOAD_CORE, ROOT, SERVER_CORE, cpuMs, mainThreadCpuMs, pinned, rssKb, sleep, startGateway, stop } from './lib.mjs';

const VISITORS = Number(process.env.BENCH_CLUSTER_VISITORS ?? 200);
const WINDOW = Number(process.env.BENCH_CLUSTER_WINDOW ?? 2);
const EMULATOR = 'node_modules/@push.rocks/smartmongo/dist_ts/congodb/index.js';
const REDIS = process.env.KEFU_REDIS_SERVER ?? '/usr/bin/redis-server';

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

const pong = (port) => new Promise((resolve) => {
  const s = createConnection({ port, host: '127.0.0.1' });
  s.on('connect', () => s.write('PING\r\n'));
  s.on('data', (d) => { s.destroy(); resolve(String(d).startsWith('+PONG')); });
  s.on('error', () => resolve(false));
});

/** Calls per Redis command so far (INFO commandstats): how many round trips a message costs. */
const redisCalls = (port) => new Promise((resolve) => {
  const s = createConnection({ port, host: '127.0.0.1' });
  let got = '';
  s.on('connect', () => s.write('INFO commandstats\r\n'));
  s.on('data', (d) => {
    got += d;
    const len = Number(got.slice(1, got.indexOf('\r\n')));
    if (Buffer.byteLength(got) < len + String(len).length + 5) return;
    s.destroy();
    resolve(Object.fromEntries([...got.matchAll(/cmdstat_([a-z|]+):calls=(\d+)/g)].map((m) => [m[1], Number(m[2])])));
  });
  s.on('error', () => resolve({}));
});

/** redis-server as test/helpers/redis.ts starts it (no persistence), pinned with the gateways. */
export async function startRedis() {
  const port = await freePort();
  const child = spawn('taskset', ['-c', String(SERVER_CORE), REDIS, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--protected-mode', 'no', '--loglevel', 'warning'], { stdio: 'ignore', cwd: '/tmp' });
  child.exited = new Promise((r) => child.once('exit', r));
  for (let i = 0; !(await pong(port)); i++) {
    if (i > 200 || child.exitCode !== null) throw new Error(`redis-server (${REDIS}) did not answer on ${port}`);
    await sleep(25);
  }
  return { child, port, url: `redis://127.0.0.1:${port}` };
}

/** The shared store: a real MongoDB at MONGODB_URL, else the emulator in its own process (undefined: neither). */
export async function startStore() {
  if (process.env.MONGODB_URL) return { url: process.env.MONGODB_URL, kind: 'MongoDB' };
  const dir = process.env.KEFU_MONGO_EMULATOR_DIR;
  if (!dir) return undefined;
  const port = await freePort(); // the emulator reports a wrong URI for port 0, so it gets a fixed one
  const code = `const { CongoServer } = await import(${JSON.stringify(pathToFileURL(join(dir, EMULATOR)).href)});
    await new CongoServer({ port: ${port}, host: '127.0.0.1' }).start(); console.log('ready');`;
  const child = pinned(SERVER_CORE, ['--input-type=module', '-e', code]);
  for (let i = 0; !child.out.includes('ready'); i++) {
    if (i > 400 || child.exitCode !== null) throw new Error(`the emulator did not start: ${child.err ?? ''}`);
    await sleep(25);
  }
  // poll: the emulator does not speak the streaming heartbeat (the driver would drop its pool).
  return { child, url: `mongodb://127.0.0.1:${port}/?serverMonitoringMode=poll`, kind: 'emulator' };
}

function nodeToml(i, nodes, redisUrl) {
  let t = redisUrl ? `[cluster]\nredis_url = "${redisUrl}"\nnode_id = "bench-${i}"\n` : '';
  // Skills naming no queue keep the bench agents out of the auto-assignment: only claims reach them.
  for (let j = 0; j < nodes; j++) t += `[routing.agents.bench-agent-${j}]\ncapacity = 1000\nskills = ["bench-claims-only"]\n`;
  return t;
}

/** Kernel-mode CPU ms of a process (stime): socket writes to processes on the same core show up here. */
function sysMs(pid) {
  return (Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[12]) * 1000) / 100;
}

/** CPU ms per process, every thread; the gateways' main threads and kernel time apart. */
function cpuNow(parts) {
  const of = (cs) => cs.reduce((s, c) => s + cpuMs(c.pid), 0);
  return { nodes: of(parts.nodes), main: parts.nodes.reduce((s, c) => s + mainThreadCpuMs(c.pid), 0), nodesSys: parts.nodes.reduce((s, c) => s + sysMs(c.pid), 0),
    redis: of(parts.redis), store: of(parts.store) };
}

async function row({ nodes, cluster, shared, seconds }) {
  const started = [];
  let redis, store;
  try {
    if (cluster) redis = await startRedis();
    if (shared) store = await startStore();
    const storeToml = shared ? `driver = "mongodb"\nurl = "${store.url}"\ndatabase = "kefu_bench_${process.pid}_${nodes}"` : '';
    // One after another: the first creates the admin in an empty shared store, the others find it.
    for (let i = 0; i < nodes; i++) started.push(await startGateway('', i, storeToml, nodeToml(i, nodes, redis?.url)));
    const urls = started.map((g) => ({ pub: `http://127.0.0.1:${g.ports.public}`, wsp: `http://127.0.0.1:${g.ports.workspace}` }));
    const parts = { nodes: started.map((g) => g.child), redis: redis ? [redis.child] : [], store: store?.child ? [store.child] : [] };
    const driver = pinned(LOAD_CORE, [join(ROOT, 'bench/cluster-driver.mjs'), String(seconds), String(VISITORS), String(WINDOW)],
      { env: { BENCH_CLUSTER_NODES: JSON.stringify(urls) } });
    let c0, c1, rss = 0, r0 = {}, r1 = {};
    for (;;) {
      if (!c0 && driver.out.includes('measuring')) { c0 = cpuNow(parts); if (redis) r0 = await redisCalls(redis.port); }
      if (!c1 && driver.out.includes('stopped')) {
        c1 = cpuNow(parts);
        if (redis) r1 = await redisCalls(redis.port);
        rss = [...parts.nodes, ...parts.redis, ...parts.store].reduce((s, c) => s + rssKb(c.pid), 0) / 1024;
      }
      if (driver.exitCode !== null) break;
      await sleep(5);
    }
    const line = driver.out.trim().split('\n').pop();
    if (driver.exitCode !== 0 || !c1 || !line.startsWith('{')) throw new Error(`cluster driver failed (${driver.exitCode}): ${driver.err ?? ''}`);
    const r = JSON.parse(line);
    const us = (k) => (r.msgs ? ((c1[k] - c0[k]) * 1000) / r.msgs : null);
    const total = ['nodes', 'redis', 'store'].reduce((s, k) => s + (c1[k] - c0[k]), 0);
    return { ...r, nodes, store: shared ? store.kind : 'SQLite', cluster, rssMB: rss,
      cpuPerMsgUs: r.msgs ? (total * 1000) / r.msgs : null, mainCpuPerMsgUs: us('main'),
      cpuUs: { nodes: us('nodes'), nodesKernel: us('nodesSys'), redis: us('redis'), store: us('store') },
      cpuMsInWindow: Object.fromEntries(Object.keys(c1).map((k) => [k, c1[k] - c0[k]])),
      redisCallsPerMsg: Object.fromEntries(Object.keys(r1).map((k) => [k, (r1[k] - (r0[k] ?? 0)) / Math.max(1, r.msgs)])),
      // Where the server core's time went over the window (all server processes share it).
      storeShare: total ? (c1.store - c0.store) / total : 0, serverCoreBusy: total / (seconds * 1000) };
  } finally {
    for (const g of started) { await stop(g.child); rmSync(g.dir, { recursive: true, force: true }); }
    if (redis) { redis.child.kill('SIGTERM'); await redis.child.exited; }
    if (store?.child) await stop(store.child);
  }
}

const ROWS = {
  single: { nodes: 1, cluster: false, shared: false },
  '1-sqlite': { nodes: 1, cluster: true, shared: false },
  1: { nodes: 1, cluster: true, shared: true },
  2: { nodes: 2, cluster: true, shared: true },
  3: { nodes: 3, cluster: true, shared: true },
};

/** The rows for run.mjs's table: each names its own server column; ratios are to the single-mode row. */
export async function clusterScenario(seconds) {
  const wanted = (process.env.BENCH_CLUSTER_ROWS ?? 'single,1-sqlite,1,2,3').split(','); // Object.keys would put '1', '2', '3' first
  const haveStore = !!(process.env.MONGODB_URL || process.env.KEFU_MONGO_EMULATOR_DIR);
  if (!haveStore && wanted.some((n) => ROWS[n]?.shared)) process.stderr.write('cluster: neither MONGODB_URL nor KEFU_MONGO_EMULATOR_DIR is set: the shared-store rows are left out\n');
  const results = new Map(); // rows in the order asked
  for (const name of wanted) {
    if (!ROWS[name]) throw new Error(`unknown cluster row ${name}; choose from single,1-sqlite,1,2,3`);
    if (ROWS[name].shared && !haveStore) continue;
    process.stderr.write(`  cluster row ${name}…\n`);
    results.set(name, await row({ ...ROWS[name], seconds }));
  }
  const base = results.get('single');
  const one = results.get('1');
  const sqlite = results.get('1-sqlite');
  return [...results].map(([name, r]) => {
    const what = !r.cluster ? 'single mode, SQLite (baseline)'
      : r.store === 'SQLite' ? 'cluster mode, 1 node, SQLite + Redis'
        : `cluster mode, ${r.nodes} node${r.nodes > 1 ? 's' : ''}, ${r.store} store + Redis`;
    // The same cluster on SQLite is the control: the store is the only difference.
    const share = `${(r.storeShare * 100).toFixed(0)}% of server CPU`;
    const bound = r.store !== 'emulator' ? '' : !sqlite || r.rate < sqlite.rate / 2 ? `; bound by the emulator store (${share})` : `; emulator store: ${share}`;
    const ratio = name === 'single' ? '1.00×' : base ? `${(r.rate / base.rate).toFixed(2)}×` : '–';
    const toOne = one && r.nodes > 1 ? ` (${(r.rate / one.rate).toFixed(2)}× 1 node on the store)` : '';
    // Distinct names: bench:compare pairs rows of two runs by them.
    const scenario = name === 'single' ? 'cluster: single mode' : `cluster: ${r.nodes} node${r.nodes > 1 ? 's' : ''} (${r.store === 'SQLite' ? 'SQLite' : 'shared store'})`;
    return { scenario, server: `kefu ${what}${bound}`, kefu: r, base, baseName: 'single mode, SQLite', ratio: ratio + toOne };
  });
}
