/** One place in a key's line: `ready` once every earlier place is done; `done` may be called more than once. */
export interface Turn { ready: Promise<void>; done: () => void }

/**
 * Arrival order per key (a conversation): a message takes its place when it reaches the bus, and
 * takes its seq only after every message that arrived before it took theirs (or gave up). The
 * steps in between (dedupe lookup, rate limit, ingest middleware) still run concurrently, and a
 * place is left as soon as the store write is *issued*, not when it is durable, so group commit
 * still batches a burst. Without it a burst from one socket was stored in the order those
 * lookups happened to answer (a MongoDB connection pool answers out of order).
 */
export class ArrivalOrder {
  private tails = new Map<string, Promise<void>>();

  take(key: string): Turn {
    const ready = this.tails.get(key) ?? Promise.resolve();
    let done!: () => void;
    const mine = new Promise<void>((r) => { done = r; });
    const tail = ready.then(() => mine);
    this.tails.set(key, tail);
    void tail.then(() => { if (this.tails.get(key) === tail) this.tails.delete(key); });
    return { ready, done };
  }

  /** Keys with messages in line (tests). */
  get size(): number { return this.tails.size; }
}
