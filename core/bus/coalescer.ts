/**
 * At most one value per key per interval: the first goes out at once, later ones within the
 * interval are folded into one trailing value (the latest) sent when the interval ends. For
 * typing and read signals: a visitor sending 5,000 typing frames in 62 ms costs the agent one
 * indicator update, and the latest read position is never lost.
 */
export class Coalescer<T> {
  private entries = new Map<string, { last: number; pending?: T; timer?: NodeJS.Timeout }>();

  constructor(private intervalMs: number, private emit: (key: string, value: T) => void, private now: () => number = Date.now) {}

  push(key: string, value: T): void {
    const now = this.now();
    const e = this.entries.get(key);
    if (!e) {
      this.entries.set(key, { last: now });
      this.emit(key, value);
      this.forgetLater(key);
      return;
    }
    if (e.timer) { e.pending = value; return; }
    const wait = e.last + this.intervalMs - now;
    if (wait <= 0) { e.last = now; this.emit(key, value); this.forgetLater(key); return; }
    e.pending = value;
    e.timer = setTimeout(() => this.flush(key), wait);
    e.timer.unref();
  }

  /** Drops everything pending (the connection it served is gone). */
  close(): void {
    for (const e of this.entries.values()) clearTimeout(e.timer);
    this.entries.clear();
  }

  get size(): number { return this.entries.size; }

  private flush(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    e.timer = undefined;
    const value = e.pending as T;
    e.pending = undefined;
    e.last = this.now();
    this.emit(key, value);
    this.forgetLater(key);
  }

  /** A key idle for a whole interval is forgotten, so memory follows active senders only. */
  private forgetLater(key: string): void {
    const t = setTimeout(() => {
      const e = this.entries.get(key);
      if (e && !e.timer && this.now() - e.last >= this.intervalMs) this.entries.delete(key);
    }, this.intervalMs + 1);
    t.unref();
  }
}
