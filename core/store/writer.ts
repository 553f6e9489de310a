import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { createBatcher, type Batcher } from './group-commit.js';
import { prepareOps, type WriteOp } from './sqlite-ops.js';
import { pkgPath } from '../paths.js';

/** Where the store's writes go. Every promise resolves only once its write has committed. */
export interface Writer {
  /** `onFail` runs before the promise rejects (undoing bookkeeping without a second promise per write). */
  enqueue(op: WriteOp, onFail?: () => void): Promise<void>;
  /** Resolves once everything enqueued so far has committed (reads that must see it wait here). */
  settled(): Promise<void>;
  readonly pending: number;
  close(): Promise<void>;
}

/** Writes on the main connection, batched by timer (tests with :memory:, or `store.writer = "inline"`). */
export class InlineWriter implements Writer {
  private batcher: Batcher;
  private apply: (op: WriteOp) => void;

  constructor(db: Database.Database, intervalMs: number, onCommit?: (n: number, s: number) => void) {
    this.apply = prepareOps(db);
    const tx = db.transaction((run: () => void) => run());
    this.batcher = createBatcher((run) => tx(run), intervalMs, onCommit);
  }

  enqueue(op: WriteOp, onFail?: () => void): Promise<void> {
    const p = this.batcher.enqueue(() => this.apply(op));
    if (onFail) p.catch(onFail);
    return p;
  }
  settled(): Promise<void> { this.batcher.flush(); return Promise.resolve(); }
  get pending(): number { return this.batcher.pending; }
  async close(): Promise<void> { this.batcher.flush(); }
}

interface Pending { op: WriteOp; resolve: () => void; reject: (e: unknown) => void; onFail?: () => void }
const fail = (p: Pending, err: unknown) => { p.onFail?.(); p.reject(err); };
const ignore = () => {};

/**
 * Group commit on a writer thread: writes that arrive while a commit is on disk form the next
 * batch, which leaves the moment that commit returns. Batch size follows the disk's latency by
 * itself, and the event loop never blocks on fsync.
 */
export class ThreadWriter implements Writer {
  private worker: Worker;
  private queue: Pending[] = [];
  private inFlight = new Map<number, Pending[]>();
  private nextId = 1;
  private scheduled = false;
  private last?: Promise<void>;
  private dead?: Error;
  private closing = false;

  constructor(path: string, synchronous: 'full' | 'normal', private onCommit?: (n: number, s: number) => void) {
    this.worker = new Worker(pkgPath('dist', 'core', 'store', 'sqlite-writer-worker.js'), { workerData: { path, synchronous } });
    this.worker.on('message', (m: { id?: number; ms: number; errors?: Record<number, { message: string; code?: string }> }) => {
      if (m.id === undefined) return;
      const batch = this.inFlight.get(m.id)!;
      this.inFlight.delete(m.id);
      this.onCommit?.(batch.length, m.ms / 1000);
      batch.forEach((p, i) => {
        const e = m.errors?.[i];
        if (e) fail(p, Object.assign(new Error(e.message), { code: e.code }));
        else p.resolve();
      });
      if (this.queue.length) this.send();
      else if (this.inFlight.size === 0) this.worker.unref();
    });
    // A dead writer must fail loudly: every waiting write is rejected (senders get an error and
    // retry; nothing is acknowledged that is not stored) and new writes are refused.
    const die = (err: Error) => {
      this.dead = err;
      for (const b of this.inFlight.values()) for (const p of b) fail(p, err);
      for (const p of this.queue) fail(p, err);
      this.inFlight.clear();
      this.queue = [];
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => { if (!this.closing) die(new Error(`the store writer thread exited (${code})`)); });
    this.worker.unref();
  }

  enqueue(op: WriteOp, onFail?: () => void): Promise<void> {
    if (this.dead) { onFail?.(); return Promise.reject(this.dead); }
    const p = new Promise<void>((resolve, reject) => this.queue.push({ op, resolve, reject, onFail }));
    this.last = p; // batches commit in order: the last write settles last
    // Nothing on disk: leave at the end of this tick, with whatever else this tick writes.
    if (this.inFlight.size === 0 && !this.scheduled) {
      this.scheduled = true;
      setImmediate(() => { this.scheduled = false; if (this.inFlight.size === 0 && this.queue.length) this.send(); });
    }
    return p;
  }

  private send(): void {
    const batch = this.queue.splice(0, 5000);
    const id = this.nextId++;
    // A write on its way keeps the process alive (a CLI command awaiting it must not exit first); an idle writer does not.
    this.worker.ref();
    this.inFlight.set(id, batch);
    // One JSON string crosses the thread boundary as a single copy; structured-cloning thousands of
    // small row objects cost the main thread more than stringifying them (profiled).
    this.worker.postMessage({ id, ops: JSON.stringify(batch.map((p) => p.op)) });
  }

  settled(): Promise<void> { return this.last ? this.last.then(ignore, ignore) : Promise.resolve(); }
  get pending(): number { return this.queue.length + [...this.inFlight.values()].reduce((n, b) => n + b.length, 0); }

  async close(): Promise<void> {
    if (this.dead) return;
    while (this.queue.length || this.inFlight.size) {
      if (this.inFlight.size === 0) this.send();
      await this.settled();
      await new Promise((r) => setImmediate(r));
    }
    this.closing = true;
    await new Promise<void>((resolve) => {
      this.worker.once('message', () => resolve());
      this.worker.postMessage({ close: true });
    });
    await this.worker.terminate();
  }
}
