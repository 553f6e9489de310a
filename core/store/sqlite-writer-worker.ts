import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { configure, prepareOps, type WriteOp } from './sqlite-ops.js';

/**
 * The writer thread: owns a connection, runs each batch it is sent as one transaction (one
 * fsync), and answers which writes failed. While it waits on the disk the main thread keeps
 * serving sockets. A failing batch is retried write by write so one bad write fails alone.
 */
const db = new Database(workerData.path);
configure(db, workerData.synchronous);
const apply = prepareOps(db);
const tx = db.transaction((ops: WriteOp[]) => { for (const o of ops) apply(o); });
const one = db.transaction((o: WriteOp) => apply(o));

parentPort!.on('message', (msg: { id: number; ops: string } | { close: true }) => {
  if ('close' in msg) { db.close(); parentPort!.postMessage({ closed: true }); return; }
  const m = { id: msg.id, ops: JSON.parse(msg.ops) as WriteOp[] };
  const t0 = performance.now();
  try {
    tx(m.ops);
    parentPort!.postMessage({ id: m.id, ms: performance.now() - t0 });
  } catch {
    const errors: Record<number, { message: string; code?: string }> = {};
    m.ops.forEach((o, i) => {
      try { one(o); } catch (err) { errors[i] = { message: (err as Error).message, code: (err as { code?: string }).code }; }
    });
    parentPort!.postMessage({ id: m.id, ms: performance.now() - t0, errors });
  }
});
