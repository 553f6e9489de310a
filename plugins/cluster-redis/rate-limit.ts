import { GcraRateLimiter, type RateLimiter } from '../../core/ratelimit/rate-limiter.js';
import type { RedisLink } from './connection.js';

/**
 * One rate limit counted across all nodes: the GCRA of core/ratelimit, run as a Lua script in
 * Redis (one key per limited sender, one round trip per take, Redis's clock). While Redis cannot
 * be reached, this node counts alone (the in-process limiter): messages are still taken in and
 * stored, and each node holds a sender to the quota, so the cluster-wide limit is at most
 * nodes × quota until Redis is back. Refusing customers' messages for an outage of the limiter
 * would lose more than a looser limit does.
 */
export class RedisRateLimiter implements RateLimiter {
  private local: GcraRateLimiter;
  private intervalMs = 0;
  private toleranceMs = 0;

  constructor(private link: RedisLink, private prefix: string, quotaPerMinute: number, burst: number) {
    this.local = new GcraRateLimiter(quotaPerMinute, burst);
    this.configure(quotaPerMinute, burst);
  }

  configure(quotaPerMinute: number, burst: number): void {
    this.intervalMs = quotaPerMinute > 0 ? 60_000 / quotaPerMinute : 0;
    this.toleranceMs = this.intervalMs * burst;
    this.local.configure(quotaPerMinute, burst);
  }

  take(key: string): number | Promise<number> {
    if (this.intervalMs === 0) return 0;
    if (!this.link.ready()) return this.local.take(key);
    return this.link.cmd.kefuGcra(this.prefix + key, this.intervalMs, this.toleranceMs).then(Number, () => this.local.take(key));
  }

  close(): void { this.local.close(); }
}
