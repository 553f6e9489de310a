import cluster, { type Worker } from 'node:cluster';
import pino from 'pino';
import type { KefuConfig } from '../../config/schema.js';
import { defaultNodeId } from '../cluster/cluster.js';
import { KefuError } from '../errors.js';

/**
 * `kefu start --workers N`: a small primary (node:cluster) forks N gateway processes on this
 * machine. They share the public and workspace ports (the primary holds the listening sockets and
 * hands each connection to one worker) and each is a cluster node of its own (`<node_id>-w<i>`),
 * so everything that crosses nodes (Redis, the shared MongoDB store) also crosses workers. The
 * primary never loads the gateway: it forks, restarts crashed workers and stops them on a signal.
 * Hot reload happens in each worker (each watches the config file and validates it itself).
 */

/** Restart delay after a crash: doubles with each crash of that worker in the last minute, capped. */
const FIRST_RESTART_MS = 250;
const MAX_RESTART_MS = 30_000;
const CRASH_WINDOW_MS = 60_000;
/** A worker's exit code for a configuration it refuses: restarting it cannot help. */
const CONFIG_EXIT = 2;

/** What a worker tells the primary once it listens. */
export interface Listening { kefu: 'listening'; node: string; pid: number; publicPort: number; workspacePort: number }

/** More than one gateway process needs the shared state of cluster mode; refused before anything forks. */
export function checkWorkers(cfg: KefuConfig, count: number): void {
  if (count <= 1) return;
  const missing = [
    cfg.cluster.mode !== 'redis' && '[cluster] redis_url (the workers are cluster nodes: they share Redis)',
    cfg.store.driver !== 'mongodb' && '[store] driver = "mongodb" (the SQLite store is one process: it holds a lock file)',
  ].filter(Boolean);
  if (missing.length) throw new KefuError('workers_need_cluster', `${count} workers need ${missing.join(' and ')}`);
}

/** `--workers` (wins) or `[cluster] workers`. */
export function workerCount(flag: string | undefined, cfg: KefuConfig): number {
  if (flag === undefined) return cfg.cluster.workers;
  const n = Number(flag);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw new KefuError('validation_failed', '--workers must be an integer from 1 to 64');
  return n;
}

export const isWorker = () => cluster.isWorker;

/**
 * Runs the primary until every worker has stopped; resolves with the exit code. `onListening`
 * runs once, when all N listen the first time (the CLI prints where).
 */
export function superviseWorkers(o: { count: number; config: KefuConfig; onListening: (ports: Listening[]) => void }): Promise<number> {
  const logger = pino({ level: o.config.log.level, base: { svc: 'kefu', part: 'primary', pid: process.pid } });
  const base = defaultNodeId(o.config.cluster.node_id);
  const slots = Array.from({ length: o.count }, (_, i) => ({ i: i + 1, worker: undefined as Worker | undefined,
    crashes: [] as number[], listened: undefined as Listening | undefined, timer: undefined as NodeJS.Timeout | undefined }));
  let stopping = false;
  let announced = false;
  let exitCode = 0;
  let done!: (code: number) => void;
  const finished = new Promise<number>((r) => { done = r; });

  const fork = (slot: (typeof slots)[number]) => {
    slot.timer = undefined;
    const w = cluster.fork({ KEFU_CLUSTER__NODE_ID: `${base}-w${slot.i}` });
    slot.worker = w;
    w.on('message', (m: Listening) => {
      if (m?.kefu !== 'listening') return;
      logger.info({ worker: slot.i, node: m.node, pid: m.pid, restarts: slot.crashes.length }, 'worker listening');
      slot.listened = m;
      if (announced || !slots.every((s) => s.listened)) return;
      announced = true;
      const ports = slots.map((s) => s.listened!);
      // node:cluster hands every worker the same listening socket, port 0 included; anything else is a bug here.
      if (new Set(ports.map((p) => `${p.publicPort}/${p.workspacePort}`)).size > 1) logger.error({ ports }, 'workers listen on different ports');
      o.onListening(ports);
    });
    w.on('exit', (code, signal) => {
      slot.worker = undefined;
      if (stopping) {
        if (code !== 0) exitCode = 1;
        if (slots.every((s) => !s.worker)) done(exitCode);
        return;
      }
      if (code === CONFIG_EXIT) {
        logger.error({ worker: slot.i, code }, 'worker refused its configuration; stopping');
        exitCode = CONFIG_EXIT;
        return void stop('config');
      }
      const now = Date.now();
      slot.crashes = [...slot.crashes.filter((t) => now - t < CRASH_WINDOW_MS), now];
      const delay = Math.min(MAX_RESTART_MS, FIRST_RESTART_MS * 2 ** (slot.crashes.length - 1));
      logger.warn({ worker: slot.i, pid: w.process.pid, code, signal, restartInMs: delay, crashesLastMinute: slot.crashes.length }, 'worker died; restarting');
      slot.timer = setTimeout(() => fork(slot), delay);
    });
  };

  let signals = 0;
  const stop = (why: string) => {
    if (why !== 'config' && ++signals > 1) {
      // A second signal: no more waiting.
      for (const s of slots) s.worker?.process.kill('SIGKILL');
      process.exit(1);
    }
    if (stopping) return;
    stopping = true;
    logger.info({ why }, 'stopping workers');
    for (const s of slots) clearTimeout(s.timer);
    // Each runs the gateway's own stop (bounded by shutdown_timeout_ms); one that hangs past it is killed.
    const force = setTimeout(() => { for (const s of slots) s.worker?.process.kill('SIGKILL'); }, o.config.server.shutdown_timeout_ms + 5000);
    force.unref();
    for (const s of slots) if (s.worker?.isConnected()) s.worker.send({ kefu: 'stop' });
    if (slots.every((s) => !s.worker)) done(exitCode);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  for (const s of slots) fork(s);
  return finished;
}

/** In a worker: tells the primary where it listens, and stops when the primary says so. */
export function serveAsWorker(l: Omit<Listening, 'kefu' | 'node' | 'pid'>, shutdown: () => void): void {
  const node = process.env.KEFU_CLUSTER__NODE_ID ?? '';
  process.send?.({ kefu: 'listening', node, pid: process.pid, ...l } satisfies Listening);
  process.on('message', (m: { kefu?: string }) => { if (m?.kefu === 'stop') shutdown(); });
}
