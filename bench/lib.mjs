// Shared bench plumbing: pinned child processes, /proc readings, percentiles, the gateway's bench config.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SERVER_CORE = 0;
export const LOAD_CORE = cpus().length > 1 ? 1 : 0;
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let taskset;
function hasTaskset() {
  if (taskset === undefined) { try { taskset = !!readFileSync('/usr/bin/taskset'); } catch { taskset = false; } }
  return taskset;
}

/** Spawns `node args…` pinned to one core (taskset), output captured. */
export function pinned(core, args, opts = {}) {
  const cmd = hasTaskset() ? 'taskset' : process.execPath;
  const full = hasTaskset() ? ['-c', String(core), process.execPath, ...args] : args;
  const child = spawn(cmd, full, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.out = '';
  child.stdout.on('data', (d) => { child.out += d; });
  child.stderr.on('data', (d) => { child.err = (child.err ?? '') + d; });
  child.exited = new Promise((r) => child.once('exit', r));
  return child;
}

/** The node process's pid behind a taskset wrapper (taskset execs, so it is the same pid). */
export function cpuMs(pid) {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime + stime, in clock ticks of 10 ms
}

/** CPU ms of the process's main thread alone (its tid is the pid); the rest is the store writer thread, GC helpers, the libuv pool. */
export function mainThreadCpuMs(pid) {
  try { return cpuMsOf(`/proc/${pid}/task/${pid}/stat`); } catch { return 0; }
}
function cpuMsOf(file) {
  const f = readFileSync(file, 'utf8').split(') ')[1].split(' ');
  return ((Number(f[11]) + Number(f[12])) * 1000) / 100;
}

export function rssKb(pid) {
  const m = readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
  return m ? Number(m[1]) : 0;
}

export async function waitHttp(url, ms = 20_000) {
  const end = Date.now() + ms;
  for (;;) {
    try { if ((await fetch(url)).ok) return; } catch {}
    if (Date.now() > end) throw new Error(`no answer from ${url}`);
    await sleep(20);
  }
}

/** Runs a driver child on the load core; resolves with the JSON line it prints last. */
export async function drive(args, env = {}) {
  const child = pinned(LOAD_CORE, [join(ROOT, 'bench/driver.mjs'), ...args], { env });
  const code = await child.exited;
  const line = child.out.trim().split('\n').pop();
  if (code !== 0 || !line) throw new Error(`driver ${args.join(' ')} failed (${code}): ${child.err ?? ''}`);
  return JSON.parse(line);
}

export function stats(latencies) {
  const xs = Float64Array.from(latencies).sort();
  const q = (p) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : NaN);
  return { n: xs.length, mean: xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length), p50: q(0.5), p99: q(0.99), max: xs[xs.length - 1] ?? NaN };
}

/** Fixed so a run's figures are comparable; BENCH_PORT_BASE moves them (the suite's smoke run picks free ones). */
const BASE = Number(process.env.BENCH_PORT_BASE ?? 18080);
export const PORTS = { public: BASE, workspace: BASE + 10, baseline: BASE + 20 };
export const ADMIN_PASSWORD = 'bench-admin-password';

/** Ports of the i-th gateway process (the connections scenario can run several on one machine). */
export function gatewayPorts(i = 0) {
  return i === 0 ? { public: PORTS.public, workspace: PORTS.workspace } : { public: BASE + 120 + 2 * i, workspace: BASE + 121 + 2 * i };
}

/** Starts the gateway from the built package with the bench config; returns { child, dir, ports }. */
/** `extra` is appended to the [ai] section, `storeExtra` to [store] (the text-http-parts ablations);
 *  BENCH_EXTRA_TOML is appended as is (an A/B of one setting, e.g. "[search]\\nindex = false"),
 *  then `tail` (whole sections: the cluster scenario's [cluster] and agents). */
export async function startGateway(extra = '', index = 0, storeExtra = '', tail = '') {
  const ports = gatewayPorts(index);
  const dir = mkdtempSync(join(tmpdir(), 'kefu-bench-'));
  const cfg = `[server]
host = "0.0.0.0"
public_port = ${ports.public}
workspace_host = "127.0.0.1"
workspace_port = ${ports.workspace}
max_upload_bytes = 5242880
[store]
path = "${join(dir, 'kefu.db')}"
media_dir = "${join(dir, 'media')}"
${storeExtra}
[log]
level = "warn"
[ratelimit]
customer_quota = 0
address_quota = 0
sessions_per_min = 0
hellos_per_min = 0
uploads_per_min = 0
sockets_per_address = 0
[channels.api]
rate_per_min = 0
[ai]
model_path = "${join(dir, 'model.onnx')}"
${extra}
[routing.agents.admin]
capacity = 1000
${process.env.BENCH_EXTRA_TOML ?? ''}
${tail}
`;
  writeFileSync(join(dir, 'kefu.toml'), cfg);
  // BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" profiles the gateway under load.
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = pinned(SERVER_CORE, [...nodeArgs, join(ROOT, 'dist/kefu.mjs'), 'start', '--config', join(dir, 'kefu.toml')],
    { cwd: dir, env: { KEFU_ADMIN_PASSWORD: ADMIN_PASSWORD } });
  try {
    await waitHttp(`http://127.0.0.1:${ports.workspace}/healthz`);
  } catch (err) {
    // Not left running (or silent): what it said is the reason.
    await stop(child);
    throw new Error(`${err.message}; the gateway said: ${(child.err ?? '').slice(-2000)}`);
  }
  return { child, dir, ports };
}

export async function stop(child) {
  if (child.exitCode === null) child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 5000);
  await child.exited;
  clearTimeout(t);
}
