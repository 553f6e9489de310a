// `npm run bench [-- SCENARIO…]`: every headline figure next to a bare-stack baseline measured in
// the same run on the same machine. Server pinned to core 0, load generator to core 1 (taskset).
// Scenarios: text-http text-ws image mixed connections coldstart. Results: bench/results/*.json.
// Not in the default run: text-http-parts (where text-http's time goes: the same load with intent
// scoring off, with the per-commit fsync off, and with both off, next to the same bare Koa), and
// cluster (bench/cluster.mjs: single mode next to cluster mode on 1, 2, 3 nodes; ~2 minutes), and
// workers (bench/workers.mjs: 100,000 idle sockets over one `kefu start --workers 6`, text across workers).
import { spawn, execFileSync } from 'node:child_process';
import { writeFileSync, rmSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { clusterScenario } from './cluster.mjs';
import { workersScenario } from './workers.mjs';
import { ADMIN_PASSWORD, LOAD_CORE, PORTS, ROOT, SERVER_CORE, cpuMs, mainThreadCpuMs, drive, pinned, rssKb, sleep, startGateway, stop, waitHttp } from './lib.mjs';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
// coldstart first: it wants a quiet machine, and right after the connections scenario the kernel
// is still tearing down ~40,000 sockets (measured: 312 ms there against 264 ms alone).
const ALL = ['coldstart', 'text-http', 'text-ws', 'image', 'mixed', 'connections'];
const OPT_IN = ['text-http-parts', 'cluster', 'workers'];
const wanted = process.argv.slice(2).length ? process.argv.slice(2) : ALL;

async function measure(child, run) {
  const c0 = cpuMs(child.pid), m0 = mainThreadCpuMs(child.pid);
  const r = await run();
  r.cpuPerMsgUs = r.msgs ? ((cpuMs(child.pid) - c0) * 1000) / r.msgs : null;
  r.mainCpuPerMsgUs = r.msgs ? ((mainThreadCpuMs(child.pid) - m0) * 1000) / r.msgs : null;
  r.rssMB = rssKb(child.pid) / 1024;
  return r;
}

async function baseline(mode, run) {
  const child = pinned(SERVER_CORE, [join(ROOT, 'bench/baselines.mjs'), mode, String(PORTS.baseline)]);
  await waitHttp(`http://127.0.0.1:${PORTS.baseline}/healthz`);
  try { return await measure(child, run); } finally { await stop(child); }
}

async function gateway(run, extra, storeExtra) {
  const { child, dir } = await startGateway(extra, 0, storeExtra);
  try { return await measure(child, run); } finally { await stop(child); rmSync(dir, { recursive: true, force: true }); }
}

function botToken(dir) {
  const out = execFileSync(process.execPath, [join(ROOT, 'dist/kefu.mjs'), 'token', 'create', '--name', 'benchbot', '--scopes', 'chat:write', '--config', join(dir, 'kefu.toml')], { cwd: dir, encoding: 'utf8' });
  return out.match(/token: (\S+)/)[1];
}

const scenarios = {
  'text-http': async () => ({
    kefu: await gateway(() => drive(['http', 'kefu', SECONDS, 64, 256])),
    base: await baseline('koa', () => drive(['http', 'baseline', SECONDS, 64, 0])),
    baseName: 'bare Koa + JSON',
  }),
  'text-http-parts': async () => {
    const http = () => drive(['http', 'kefu', SECONDS, 64, 256]);
    const base = await baseline('koa', () => drive(['http', 'baseline', SECONDS, 64, 0]));
    const parts = [['full pipeline', '', ''], ['no intent scoring', 'enabled = false', ''],
      ['no fsync per commit', '', 'synchronous = "normal"'], ['neither', 'enabled = false', 'synchronous = "normal"']];
    const rows = [];
    for (const [what, ai, store] of parts) rows.push({ scenario: `text-http: ${what}`, kefu: await gateway(http, ai, store), base, baseName: 'bare Koa + JSON' });
    return rows;
  },
  'text-ws': async () => ({
    kefu: await gateway(() => drive(['ws', 'kefu', SECONDS, 200, 2])),
    base: await baseline('relay', () => drive(['ws', 'baseline', SECONDS, 200, 2])),
    baseName: 'bare ws relay',
  }),
  image: async () => ({
    kefu: await gateway(() => drive(['image', 'kefu', SECONDS, 32])),
    base: await baseline('multipart', () => drive(['image', 'baseline', SECONDS, 32])),
    baseName: 'bare multipart → disk',
  }),
  mixed: async () => {
    const { child, dir } = await startGateway();
    try {
      const token = botToken(dir);
      const kefu = await measure(child, () => drive(['mixed', 'kefu', SECONDS, 150], { BENCH_BOT_TOKEN: token }));
      return { kefu, base: await baseline('relay', () => drive(['ws', 'baseline', SECONDS, 150, 1])), baseName: 'bare ws relay' };
    } finally { await stop(child); rmSync(dir, { recursive: true, force: true }); }
  },
  // One gateway process holds up to ~19,000 sockets here (20,000 open files per process). With
  // BENCH_GATEWAYS=N, N independent gateway processes on the server core share
  // BENCH_CONNECTIONS (default 19,000 each) — the per-machine figure, e.g. 6 × 17,000 ≈ 100,000.
  // Client processes hold 10,000 sockets each, from their own 127.0.0.x source address.
  connections: async () => {
    const gateways = Math.max(1, Number(process.env.BENCH_GATEWAYS ?? 1));
    const total = Number(process.env.BENCH_CONNECTIONS ?? 19000 * gateways);
    const run = async (children, target, urls, n) => {
      const before = children.map((c) => rssKb(c.pid));
      const procs = [];
      let addr = 2;
      for (const url of urls) {
        for (let left = Math.ceil(n / urls.length); left > 0; left -= 10000) {
          const p = spawn('taskset', ['-c', String(LOAD_CORE), process.execPath, join(ROOT, 'bench/driver.mjs'), 'idle', target, String(Math.min(10000, left)), `127.0.0.${addr++}`],
            { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, BENCH_PUBLIC: url, BENCH_BASELINE: url } });
          p.out = '';
          p.stdout.on('data', (d) => { p.out += d; });
          procs.push(p);
        }
      }
      for (const p of procs) while (!p.out.includes('ready')) await sleep(100);
      const opened = procs.map((p) => JSON.parse(p.out.split('\n')[0]));
      await sleep(1000);
      const after = children.map((c) => rssKb(c.pid));
      const load = await drive(['ws', target, Math.min(SECONDS, 5), 50, 1]);
      for (const p of procs) p.stdin.end();
      await Promise.all(procs.map((p) => new Promise((r) => p.once('exit', r))));
      const open = opened.reduce((s, o) => s + o.open, 0);
      return { ...load, connections: open, processes: children.length, connErrors: opened.reduce((s, o) => s + o.errors, 0),
        kbPerConn: after.reduce((s, a, i) => s + a - before[i], 0) / Math.max(1, open), rssMB: after.reduce((s, a) => s + a, 0) / 1024 };
    };
    const started = [];
    let kefu;
    try {
      for (let i = 0; i < gateways; i++) started.push(await startGateway('', i));
      kefu = await run(started.map((g) => g.child), 'kefu', started.map((g) => `http://127.0.0.1:${g.ports.public}`), total);
    } finally {
      for (const g of started) { await stop(g.child); rmSync(g.dir, { recursive: true, force: true }); }
    }
    // The bare server is one process: its per-socket cost is what the ratio needs.
    const b = pinned(SERVER_CORE, [join(ROOT, 'bench/baselines.mjs'), 'relay', String(PORTS.baseline)]);
    await waitHttp(`http://127.0.0.1:${PORTS.baseline}/healthz`);
    let base;
    try { base = await run([b], 'baseline', [`http://127.0.0.1:${PORTS.baseline}`], Math.min(total, 19000)); } finally { await stop(b); }
    return { kefu, base, baseName: 'bare ws server' };
  },
  cluster: () => clusterScenario(SECONDS),
  workers: () => workersScenario(SECONDS),
  coldstart: async () => {
    const runs = Number(process.env.BENCH_COLDSTART_RUNS ?? 10);
    const once = async (args, url, opts) => {
      const t0 = performance.now();
      const child = pinned(SERVER_CORE, args, opts);
      await waitHttp(url);
      const ms = performance.now() - t0;
      await stop(child);
      return ms;
    };
    const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const k = [], b = [];
    const { child, dir } = await startGateway(); // a data dir that has been started once: the usual restart
    await stop(child);
    for (let i = 0; i < runs; i++) {
      b.push(await once([join(ROOT, 'bench/baselines.mjs'), 'hello', String(PORTS.baseline)], `http://127.0.0.1:${PORTS.baseline}/`));
      k.push(await once([join(ROOT, 'dist/kefu.mjs'), 'start', '--config', join(dir, 'kefu.toml')], `http://127.0.0.1:${PORTS.workspace}/healthz`, { cwd: dir, env: { KEFU_ADMIN_PASSWORD: ADMIN_PASSWORD } }));
    }
    rmSync(dir, { recursive: true, force: true });
    return { kefu: { coldMs: med(k), runs: k }, base: { coldMs: med(b), runs: b }, baseName: 'bare node:http' };
  },
};

const f = (x, d = 0) => (x === null || x === undefined || Number.isNaN(x) ? '–' : Number(x).toFixed(d));
const results = [];
for (const name of wanted) {
  if (!scenarios[name]) { console.error(`unknown scenario ${name}; choose from ${[...ALL, ...OPT_IN].join(' ')}`); process.exit(1); }
  process.stderr.write(`running ${name}…\n`);
  const r = await scenarios[name]();
  if (Array.isArray(r)) results.push(...r); else results.push({ scenario: name, ...r });
}

// One row for kefu and one for its baseline under it, with the same columns; the ratio is kefu's
// msgs/s over the baseline's (for coldstart: kefu's start time over the baseline's).
const lines = [
  `kefu bench — ${new Date().toISOString()} — ${cpus()[0].model} × ${cpus().length}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; server on core ${SERVER_CORE}, load on core ${LOAD_CORE}`,
  '',
  '| scenario | server | msgs/s | mean ms | p50 ms | p99 ms | errors | CPU µs/msg (main thread) | RSS MB | ratio |',
  '|---|---|---|---|---|---|---|---|---|---|',
];
const row = (scenario, server, x, ratio) =>
  `| ${scenario} | ${server} | ${f(x.rate)} | ${f(x.mean, 1)} | ${f(x.p50, 1)} | ${f(x.p99, 1)} | ${(x.errors ?? 0) + (x.connErrors ?? 0)} | ${f(x.cpuPerMsgUs)} (${f(x.mainCpuPerMsgUs)}) | ${f(x.rssMB)} | ${ratio} |`;
for (const r of results) {
  if (r.scenario === 'coldstart') {
    lines.push(`| coldstart | kefu | – | ${f(r.kefu.coldMs)} to first 200 (median of ${r.kefu.runs.length}) | – | – | 0 | – | – | ${f(r.kefu.coldMs / r.base.coldMs, 2)}× time |`);
    lines.push(`| | ${r.baseName} | – | ${f(r.base.coldMs)} to first 200 | – | – | 0 | – | – | |`);
    continue;
  }
  // A row that names its own server and ratio (the cluster scenario's rows share one baseline row).
  if (r.server) { lines.push(row(r.scenario, r.server, r.kefu, r.ratio)); continue; }
  const k = r.kefu, b = r.base;
  const name = r.scenario === 'connections' ? `connections: ${k.connections} idle sockets${k.processes > 1 ? ` over ${k.processes} gateway processes` : ''}, then text on top` : r.scenario;
  const sockets = (x) => (r.scenario === 'connections' ? `; ${f(x.kbPerConn, 1)} kB per idle socket` : '');
  lines.push(row(name, `kefu${sockets(k)}`, k, `${f(k.rate / b.rate, 2)}×`));
  lines.push(row('', `${r.baseName}${sockets(b)}`, b, ''));
}
console.log(lines.join('\n'));
const file = join(ROOT, 'bench/results', `${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), cpu: cpus()[0].model, cores: cpus().length, node: process.version, seconds: SECONDS, results }, null, 2));
console.log(`\nresults: ${file}`);
