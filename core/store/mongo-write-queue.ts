/**
 * Orders the store's writes per key (a conversation, a state key) and lets reads wait for the
 * writes queued before them. The driver runs operations on a pool of connections, so two
 * updates of one document issued back to back may reach the server in either order; the SQLite
 * store's group commit keeps call order, and callers rely on it (the last save of a
 * conversation wins, a conversation's messages reach its outbox in seq order).
 */
export class WriteQueue {
  private tails = new Map<string, Promise<void>>();
  private inflight = new Set<Promise<void>>();

  run<T>(key: string, write: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key);
    const result = prev ? prev.then(write) : write();
    const tail = result.then(() => {}, () => {});
    this.tails.set(key, tail);
    this.inflight.add(tail);
    void tail.then(() => {
      this.inflight.delete(tail);
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Resolves once the writes queued so far under `key` have finished. */
  after(key: string): Promise<void> { return this.tails.get(key) ?? Promise.resolve(); }

  busy(key: string): boolean { return this.tails.has(key); }

  get pending(): number { return this.inflight.size; }

  /** Resolves once every write queued before the call has finished (failed ones included). */
  async settled(): Promise<void> {
    if (this.inflight.size) await Promise.all([...this.inflight]);
  }
}
