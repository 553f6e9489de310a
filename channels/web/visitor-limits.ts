import type { KefuConfig } from '../../config/schema.js';
import { KefuError } from '../../core/errors.js';
import { localLimiters, type LimiterFactory, type RateLimiter } from '../../core/ratelimit/rate-limiter.js';

/**
 * The web channel's flood limits beyond the bus's per-customer quota. Visitor tokens are free,
 * so a per-customer limit alone is bypassed by minting new visitors: new sessions and all
 * visitors' messages are also limited per client address, and each visitor's socket hellos
 * (every hello replays history) and open sockets are bounded. Values come from `[ratelimit]`.
 */
export class VisitorLimits {
  private addressMessages: RateLimiter;
  private addressSessions: RateLimiter;
  private hellos: RateLimiter;
  private uploads: RateLimiter;
  private maxSockets = 20;
  private maxPerAddress = 0;
  private perAddress = new Map<string, number>();

  /**
   * `limiters` makes the four rate limits (cluster mode: counted across nodes, so an address
   * spreading its requests over the nodes gets no more). Open sockets are counted per node.
   */
  constructor(config: KefuConfig, limiters: LimiterFactory = localLimiters) {
    this.addressMessages = limiters('address-messages', 0, 0);
    this.addressSessions = limiters('address-sessions', 0, 0);
    this.hellos = limiters('visitor-hellos', 0, 0);
    this.uploads = limiters('uploads', 0, 0);
    this.configure(config);
  }

  /** Applied at start and on every hot reload (a changed quota starts everyone afresh). */
  configure(c: KefuConfig): void {
    const r = c.ratelimit;
    this.addressMessages.configure(r.address_quota, r.address_burst);
    this.addressSessions.configure(r.sessions_per_min, r.sessions_burst);
    this.hellos.configure(r.hellos_per_min, 10);
    this.uploads.configure(r.uploads_per_min, 10);
    this.maxSockets = r.sockets_per_visitor;
    this.maxPerAddress = r.sockets_per_address;
  }

  // Each check throws (or rejects with) rate_limited. With in-process limiters it returns
  // synchronously (undefined), so the hot path awaits nothing; a shared limiter gives a promise.

  /** When the address has sent too many messages. */
  message(address: string): void | Promise<void> {
    return limited(this.addressMessages.take(address), 'Too many messages from your network; retry in');
  }

  /** When the address has started too many new visitor sessions. */
  session(address: string): void | Promise<void> {
    return limited(this.addressSessions.take(address), 'Too many new chat sessions from your network; retry in');
  }

  /** Before an upload's body is read, per visitor and per address: files cost disk. */
  async upload(visitorId: string, address: string): Promise<void> {
    const waits = await Promise.all([this.uploads.take(`v:${visitorId}`), this.uploads.take(`a:${address}`)]);
    limited(Math.max(...waits), 'Too many uploads; retry in');
  }

  /** Seconds to wait before this visitor may say hello again (0 = now). */
  hello(visitorId: string): number | Promise<number> { return this.hellos.take(visitorId); }

  socketsFull(open: number): boolean { return open >= this.maxSockets; }

  /** Counts a new socket of `address`; false (not counted) when the address already holds `sockets_per_address`. */
  openSocket(address: string): boolean {
    const n = this.perAddress.get(address) ?? 0;
    if (this.maxPerAddress > 0 && n >= this.maxPerAddress) return false;
    this.perAddress.set(address, n + 1);
    return true;
  }

  closeSocket(address: string): void {
    const n = (this.perAddress.get(address) ?? 1) - 1;
    if (n <= 0) this.perAddress.delete(address); else this.perAddress.set(address, n);
  }

  close(): void {
    for (const l of [this.addressMessages, this.addressSessions, this.hellos, this.uploads]) l.close();
  }
}

function limited(wait: number | Promise<number>, message: string): void | Promise<void> {
  if (typeof wait !== 'number') return wait.then((w) => limited(w, message));
  if (wait > 0) throw new KefuError('rate_limited', `${message} ${wait}s.`, { retryAfter: wait });
}
