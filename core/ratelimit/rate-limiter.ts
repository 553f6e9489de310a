/**
 * Per-customer rate limiting with GCRA (the cell-rate algorithm behind many API gateways):
 * one number per customer (the theoretical arrival time), exact sustained rate, explicit burst.
 * `quotaPerMinute` messages per minute sustained, plus up to `burst` at once.
 * The interface is what cluster-redis replaces with a shared implementation.
 */
export interface RateLimiter {
  /**
   * Consumes one unit for `key`; returns 0 when allowed, else the seconds to wait. The in-process
   * limiter answers synchronously (the message hot path stays free of awaits); a shared one
   * (cluster mode) answers with a promise. Callers await only what is a promise.
   */
  take(key: string): number | Promise<number>;
  configure(quotaPerMinute: number, burst: number): void;
  close(): void;
}

/** Makes a limiter; `name` keeps the counts of different limits apart in shared state. */
export type LimiterFactory = (name: string, quotaPerMinute: number, burst: number) => RateLimiter;

export const localLimiters: LimiterFactory = (_name, quotaPerMinute, burst) => new GcraRateLimiter(quotaPerMinute, burst);

export class GcraRateLimiter implements RateLimiter {
  private tat = new Map<string, number>();
  private intervalMs = 0;
  private toleranceMs = 0;
  private sweepTimer: NodeJS.Timeout;

  constructor(quotaPerMinute: number, burst: number, private now: () => number = Date.now) {
    this.configure(quotaPerMinute, burst);
    // Forget customers whose allowance is fully restored, so memory tracks active senders only.
    this.sweepTimer = setInterval(() => this.sweep(), 60_000);
    this.sweepTimer.unref();
  }

  configure(quotaPerMinute: number, burst: number): void {
    // Stored arrival times are in units of the old rate: a new quota starts everyone afresh.
    this.tat?.clear();
    this.intervalMs = quotaPerMinute > 0 ? 60_000 / quotaPerMinute : 0;
    this.toleranceMs = this.intervalMs * burst;
  }

  take(key: string): number {
    if (this.intervalMs === 0) return 0;
    const now = this.now();
    const tat = Math.max(this.tat.get(key) ?? now, now);
    const allowAt = tat - this.toleranceMs;
    if (now < allowAt) return Math.ceil((allowAt - now) / 1000);
    this.tat.set(key, tat + this.intervalMs);
    return 0;
  }

  /** Gives back one unit taken for `key` (a login that turned out right: only failures count). */
  refund(key: string): void {
    const tat = this.tat.get(key);
    if (tat === undefined || this.intervalMs === 0) return;
    const back = tat - this.intervalMs;
    if (back <= this.now()) this.tat.delete(key); else this.tat.set(key, back);
  }

  /** Seconds until `key` may take one again, without taking it (0 = now). */
  peek(key: string): number {
    if (this.intervalMs === 0) return 0;
    const now = this.now();
    const allowAt = Math.max(this.tat.get(key) ?? now, now) - this.toleranceMs;
    return now < allowAt ? Math.ceil((allowAt - now) / 1000) : 0;
  }

  get size(): number { return this.tat.size; }

  sweep(): void {
    const now = this.now();
    for (const [k, t] of this.tat) if (t <= now) this.tat.delete(k);
  }

  close(): void { clearInterval(this.sweepTimer); }
}
