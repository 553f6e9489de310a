// `npm run bench -- workers` (issue 18): ONE `kefu start --workers N` in cluster mode (a fresh
// redis-server and the shared store, started as bench/cluster.mjs starts them) holding
// BENCH_CONNECTIONS idle visitor sockets, each with a hello, from client processes of
// BENCH_CLIENT_SOCKETS each (one 127.0.0.x source address each: 28,000 ephemeral ports per
// address, 20,000 open files per process); then text for BENCH_SECONDS between visitors and agents
// whose sockets are on DIFFERENT workers (bench/cluster-driver.mjs with BENCH_CLUSTER_WORKERS).
// Server processes (the primary, its workers, redis-server, the emulator) on the server core, the
// clients on the load core. Next to it, in the same run, the bare ws server holding
// min(BENCH_CONNECTIONS, 19,000) idle sockets in one process, then text on top (as `connections`).
// BENCH_WORKERS (6), BENCH_WORKERS_VISITORS (60) talking visitors, BENCH_WORKERS_WINDOW (1) texts
// in flight each.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { startRedis, startStore } from './cluster.mjs';
import { LOAD_CORE, PORTS, ROOT, SERVER_CORE, cpuMs, drive, mainThreadCpuMs, pinned, rssKb, sleep, startGateway, stop, waitHttp } from './lib.mjs';

// Read when the scenario starts, not when the module loads (the smoke test sets them first).
let WORKERS, TOTAL, PER_CLIENT, VISITORS, WINDOW;
function settings() {
  const n = (k, d) => Number(process.env[k] ?? d);
  [WORKERS, TOTAL, PER_CLIENT, VISITORS, WINDOW] = [n('BENCH_WORKERS', 6), n('BENCH_CONNECTIONS', 100_000), n('BENCH_CLIENT_SOCKETS', 10_000),
    n('BENCH_WORKERS_VISITORS', 60), n('BENCH_WORKERS_WINDOW', 1)];
}
/** Below the 20,000 open files per process here, with room for the store, Redis and log files. */
const PER_PROCESS = 19_000;

const childrenOf = (pid) => readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
const fds = (pid) => { try { return readdirSync(`/proc/${pid}/fd`).length; } catch { return 0; } };
/** A pid that has gone (a worker restarted) counts 0, not a crash of the bench. */
const safe = (f) => (pid) => { try { return f(pid); } catch { return 0; } };

async function until(what, f, ms) {
  for (const end = Date.now() + ms; ;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`workers: ${what} not within ${ms} ms`);
    await sleep(100);
  }
}

/** Idle clients of PER_CLIENT sockets each (bench/driver.mjs idle); resolves once every one is ready. */
async function openIdle(target, url, n) {
  const procs = [];
  let addr = 2;
  for (let left = n; left > 0; left -= PER_CLIENT) {
    const p = spawn('taskset', ['-c', String(LOAD_CORE), process.execPath, join(ROOT, 'bench/driver.mjs'), 'idle', target, String(Math.min(PER_CLIENT, left)), `127.0.0.${addr++}`],
      { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, BENCH_PUBLIC: url, BENCH_BASELINE: url } });
    p.out = '';
    p.stdout.on('data', (d) => { p.out += d; });
    p.exited = new Promise((r) => p.once('exit', r));
    procs.push(p);
  }
  const t0 = performance.now();
  try {
    for (const p of procs) await until('idle clients ready', () => { if (p.exitCode !== null) throw new Error(`an idle client exited (${p.exitCode})`); return p.out.includes('ready'); }, 1_800_000);
  } catch (err) { for (const p of procs) p.kill(); throw err; }
  const ready = procs.map((p) => JSON.parse(p.out.split('\n')[0]));
  const sum = (rows, k) => rows.reduce((s, o) => s + (o[k] ?? 0), 0);
  return {
    clients: procs.length, connectSeconds: (performance.now() - t0) / 1000, open: sum(ready, 'open'), welcomed: sum(ready, 'welcomed'),
    connectErrors: sum(ready, 'errors'), errorFrames: sum(ready, 'errorFrames'), slowestOpenMs: Math.max(...ready.map((o) => o.openMs ?? 0)),
    /** Closes the clients; resolves with the sockets the server closed while they were held. */
    release: async () => {
      for (const p of procs) p.stdin.end();
      await Promise.all(procs.map((p) => p.exited));
      return sum(procs.map((p) => JSON.parse(p.out.trim().split('\n').pop())), 'dropped');
    },
  };
}

/** CPU ms so far of every server process; the workers' main threads apart. */
const cpuOf = (pids) => ({ workers: pids.workers.reduce((s, p) => s + safe(cpuMs)(p), 0), main: pids.workers.reduce((s, p) => s + safe(mainThreadCpuMs)(p), 0),
  primary: safe(cpuMs)(pids.primary), redis: safe(cpuMs)(pids.redis), store: pids.store ? safe(cpuMs)(pids.store) : 0 });

/** The text run: cluster-driver in workers mode; CPU of every server process over its measured window. */
async function crossText(pids, pub, wsp, seconds) {
  const driver = pinned(LOAD_CORE, [join(ROOT, 'bench/cluster-driver.mjs'), String(seconds), String(VISITORS), String(WINDOW)],
    { env: { BENCH_CLUSTER_NODES: JSON.stringify([{ pub, wsp }]), BENCH_CLUSTER_WORKERS: String(WORKERS) } });
  const cpu = () => cpuOf(pids);
  let c0, c1;
  for (;;) {
    if (!c0 && driver.out.includes('measuring')) c0 = cpu();
    if (!c1 && driver.out.includes('stopped')) c1 = cpu();
    if (driver.exitCode !== null) break;
    await sleep(5);
  }
  const line = driver.out.trim().split('\n').pop();
  if (driver.exitCode !== 0 || !c1 || !line.startsWith('{')) throw new Error(`workers: the text driver failed (${driver.exitCode}): ${driver.err ?? ''}`);
  const r = JSON.parse(line);
  const us = (k) => (r.msgs ? ((c1[k] - c0[k]) * 1000) / r.msgs : null);
  const total = ['workers', 'primary', 'redis', 'store'].reduce((s, k) => s + (c1[k] - c0[k]), 0);
  return { ...r, cpuPerMsgUs: r.msgs ? (total * 1000) / r.msgs : null, mainCpuPerMsgUs: us('main'),
    cpuUs: { workers: us('workers'), primary: us('primary'), redis: us('redis'), store: us('store') }, serverCoreBusy: total / (seconds * 1000) };
}

async function kefuRun(seconds) {
  let redis, store, gw, idle;
  try {
    redis = await startRedis();
    store = await startStore();
    const storeToml = `driver = "mongodb"\nurl = "${store.url}"\ndatabase = "kefu_bench_workers_${process.pid}"`;
    let tail = `[cluster]\nredis_url = "${redis.url}"\nnode_id = "bench"\nworkers = ${WORKERS}\n`;
    // Skills naming no queue keep the bench agents out of the auto-assignment: only claims reach them.
    for (let j = 0; j < WORKERS; j++) tail += `[routing.agents.bench-agent-${j}]\ncapacity = 1000\nskills = ["bench-claims-only"]\n`;
    gw = await startGateway('', 0, storeToml, tail);
    const banner = await until('every worker listening', () => /kefu is running with \d+ workers: (.+) \(config/.exec(gw.child.out), 180_000);
    const nodes = banner[1].split(', ');
    const workers = childrenOf(gw.child.pid);
    if (workers.length !== WORKERS) throw new Error(`workers: the primary has ${workers.length} children, not ${WORKERS}`);
    const pub = `http://127.0.0.1:${gw.ports.public}`, wsp = `http://127.0.0.1:${gw.ports.workspace}`;
    const pids = { workers, primary: gw.child.pid, redis: redis.child.pid, store: store.child?.pid };
    // What the idle workers spend anyway (heartbeats, presence, leases): taken out of the connect cost.
    const quiet0 = cpuOf(pids), q0 = performance.now();
    await sleep(2000);
    const cpu0 = cpuOf(pids), c0 = performance.now();
    const idleRss = workers.map(rssKb), idleFds = workers.map(fds);
    process.stderr.write(`  ${nodes.length} workers up; opening ${TOTAL} idle visitor sockets…\n`);
    const idlePerS = Object.fromEntries(Object.keys(cpu0).map((k) => [k, ((cpu0[k] - quiet0[k]) * 1000) / (c0 - q0)]));
    idle = await openIdle('kefu', pub, TOTAL);
    const cpu1 = cpuOf(pids), seconds1 = (performance.now() - c0) / 1000;
    // What connecting cost the server core per socket: a session (HTTP, one store read) and a hello (one store read).
    const connectCpuUs = Object.fromEntries(Object.keys(cpu1).map((k) => [k, ((cpu1[k] - cpu0[k] - idlePerS[k] * seconds1) * 1000) / Math.max(1, idle.open)]));
    await sleep(1000);
    const heldRss = workers.map(safe(rssKb));
    const workerFds = workers.map(fds);
    process.stderr.write(`  ${idle.open} open (${idle.welcomed} welcomed) in ${idle.connectSeconds.toFixed(0)} s; text across workers…\n`);
    const text = await crossText(pids, pub, wsp, seconds);
    // Again after the text run: what of the first reading was garbage not yet collected shows as a drop.
    const laterRss = workers.map(safe(rssKb));
    const stillThere = childrenOf(gw.child.pid);
    const { release, ...connect } = idle;
    idle = undefined;
    const dropped = await release();
    return {
      ...text, store: store.kind, workers: WORKERS, nodes, ...connect, connections: connect.open, dropped, connectCpuUs,
      // Errors while connecting: refused or failed opens, error frames (a refused hello), sockets the server closed while held.
      connErrors: connect.connectErrors + connect.errorFrames + (connect.open - connect.welcomed) + dropped,
      workerRestarts: workers.filter((p) => !stillThere.includes(p)).length,
      idleRssMB: idleRss.reduce((s, x) => s + x, 0) / 1024, rssMB: heldRss.reduce((s, x) => s + x, 0) / 1024,
      workerRssMB: heldRss.map((x) => Math.round(x / 1024)), workerIdleRssMB: idleRss.map((x) => Math.round(x / 1024)),
      rssAfterTextMB: laterRss.reduce((s, x) => s + x, 0) / 1024, idleCpuMsPerS: idlePerS,
      socketsPerWorker: workerFds.map((n, i) => n - idleFds[i]), workerFds,
      kbPerConn: heldRss.reduce((s, a, i) => s + a - idleRss[i], 0) / Math.max(1, connect.open),
    };
  } finally {
    if (idle) await idle.release().catch(() => {});
    if (gw) { await stop(gw.child); rmSync(gw.dir, { recursive: true, force: true }); }
    if (redis) { redis.child.kill('SIGTERM'); await redis.child.exited; }
    if (store?.child) await stop(store.child);
  }
}

/** The bare ws server in one process: its per-socket memory and its text rate with the idle sockets held. */
async function baseRun(seconds) {
  const b = pinned(SERVER_CORE, [join(ROOT, 'bench/baselines.mjs'), 'relay', String(PORTS.baseline)]);
  let idle;
  try {
    await waitHttp(`http://127.0.0.1:${PORTS.baseline}/healthz`);
    const before = rssKb(b.pid);
    idle = await openIdle('baseline', `http://127.0.0.1:${PORTS.baseline}`, Math.min(TOTAL, PER_PROCESS));
    await sleep(1000);
    const after = rssKb(b.pid);
    const c0 = cpuMs(b.pid);
    const load = await drive(['ws', 'baseline', Math.min(seconds, 5), 50, 1], { BENCH_BASELINE: `http://127.0.0.1:${PORTS.baseline}` });
    const cpu = cpuMs(b.pid) - c0;
    const { release, ...connect } = idle;
    idle = undefined;
    const dropped = await release();
    return { ...load, ...connect, connections: connect.open, dropped, connErrors: connect.connectErrors + dropped,
      cpuPerMsgUs: load.msgs ? (cpu * 1000) / load.msgs : null, rssMB: after / 1024, kbPerConn: (after - before) / Math.max(1, connect.open) };
  } finally {
    if (idle) await idle.release().catch(() => {});
    await stop(b);
  }
}

/** Two rows for run.mjs's table: kefu over the workers, then the bare server; the ratio is msgs/s (and memory per socket). */
export async function workersScenario(seconds) {
  settings();
  if (!process.env.MONGODB_URL && !process.env.KEFU_MONGO_EMULATOR_DIR) throw new Error('workers: N workers share one store: set KEFU_MONGO_EMULATOR_DIR (the emulator) or MONGODB_URL');
  if (TOTAL / WORKERS > PER_PROCESS) process.stderr.write(`workers: ${TOTAL} sockets over ${WORKERS} workers is more than ${PER_PROCESS} a worker: expect refused sockets\n`);
  const kefu = await kefuRun(seconds);
  const base = await baseRun(seconds);
  const f1 = (x) => x.toFixed(1);
  return [
    { scenario: `workers: ${kefu.connections} idle sockets over ${kefu.workers} workers, text crossing workers`,
      server: `kefu --workers ${kefu.workers}, ${kefu.store} store + Redis; ${f1(kefu.kbPerConn)} kB per idle socket`,
      kefu, base, baseName: 'bare ws server', ratio: `${(kefu.rate / base.rate).toFixed(3)}× (memory per socket ${(kefu.kbPerConn / base.kbPerConn).toFixed(2)}×)` },
    { scenario: '', server: `bare ws server, 1 process, ${base.connections} idle sockets; ${f1(base.kbPerConn)} kB per idle socket`, kefu: base, ratio: '' },
  ];
}
