import type { Logger } from 'pino';
import type { Lease, Leader } from '../../core/cluster/cluster.js';
import type { RedisLink } from './connection.js';

export interface LeaseOptions {
  /** Prefix of every key (`[cluster] key_prefix`). */
  prefix: string;
  nodeId: string;
  /** A lease lapses this long after its holder's last renewal. */
  ttlMs: number;
  logger: Logger;
}

/** A short exclusive hold (a lock) on one name, released by its holder. */
export interface Lock { key: string; value: string; release(): Promise<void> }

/**
 * Leader leases in Redis, one holder per name cluster-wide, each with a fencing token (INCR, so a
 * later holder's token is always larger). A holder renews every ttl/3; when a renewal is refused
 * (the lease was taken over or expired) or none succeeded for ttl - ttl/5 (Redis unreachable,
 * the process stalled), the holder's signal aborts: it stops acting before anyone else may start.
 * Waiters try again every ttl/4, and at once when a holder releases (a pub/sub notice) or Redis
 * comes back. So after a holder dies without releasing (kill -9) another node holds the lease
 * within ttl + ttl/4 of the dead one's last renewal (12.5 s at the default ttl of 10 s); after a
 * clean stop, within a round trip.
 */
export class Leases {
  private held = new Map<string, { fence: number; drop: () => void }>();
  private waiters = new Map<string, Set<() => void>>();
  private releases = new Set<Promise<unknown>>();
  private closed = false;
  private readonly notices: string;

  constructor(private link: RedisLink, private o: LeaseOptions) {
    this.notices = `${o.prefix}lease-released`;
    void link.subscribe(this.notices, (key) => this.wake(key));
    link.on('ready', () => { for (const key of [...this.waiters.keys()]) this.wake(key); });
  }

  /** The names held by this node now, with their fencing tokens (for /readyz). */
  holds(): { name: string; fence: number }[] {
    return [...this.held.entries()].map(([name, h]) => ({ name, fence: h.fence }));
  }

  readonly leader: Leader = async (name, signal, onWait) => {
    const key = this.key(name);
    let waited = false;
    while (!signal.aborted && !this.closed) {
      const fence = await this.acquire(key).catch(() => 0);
      if (fence && !signal.aborted && !this.closed) return this.keep(name, key, fence, signal);
      if (fence) void this.release(key, `${fence}:${this.o.nodeId}`);
      if (!waited) { waited = true; onWait?.(); }
      await this.chance(key, signal, this.o.ttlMs / 4);
    }
    // Closing: nothing more to hold. Resolving now would send a caller's loop straight back here.
    if (!signal.aborted) await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
    return { signal, fence: 0 };
  };

  /** Holds `name` exclusively for a short job (at most the ttl); waits up to `waitMs` for it; rejects if Redis cannot be reached. */
  async lock(name: string, waitMs: number): Promise<Lock> {
    const key = this.key(name);
    const end = Date.now() + waitMs;
    const never = new AbortController().signal;
    for (;;) {
      const fence = await this.acquire(key);
      if (fence) {
        const value = `${fence}:${this.o.nodeId}`;
        // Renewed while held: a job slowed by its store (a MongoDB election) must not outlive its lock unnoticed.
        let lost = false;
        const renew = setInterval(() => {
          this.link.cmd.kefuRenew(key, value, this.o.ttlMs).then((ok) => { if (Number(ok) !== 1) lost = true; }, () => {});
        }, this.o.ttlMs / 3);
        renew.unref();
        return { key, value, release: async () => {
          clearInterval(renew);
          const freed = Number(await this.link.cmd.kefuRelease(key, value, this.notices).catch(() => -1));
          if (lost || freed !== 1) this.o.logger.warn({ lock: name, freed }, 'lock lapsed or could not be released while held; another node may have run its job at the same time');
        } };
      }
      if (Date.now() >= end) throw new Error(`${name} is still locked by another node after ${waitMs} ms`);
      await this.chance(key, never, Math.min(100, end - Date.now()));
    }
  }

  /** Releases every lease held (a clean stop: the next node takes over at once). */
  async close(): Promise<void> {
    this.closed = true;
    for (const h of [...this.held.values()]) h.drop();
    for (const set of this.waiters.values()) for (const w of set) w();
    await Promise.allSettled([...this.releases]);
  }

  private key(name: string): string { return `${this.o.prefix}lease:${name}`; }

  private acquire(key: string): Promise<number> {
    return this.link.cmd.kefuAcquire(key, `${this.o.prefix}fence`, this.o.nodeId, this.o.ttlMs).then(Number);
  }

  private release(key: string, value: string): Promise<unknown> {
    const p = this.link.cmd.kefuRelease(key, value, this.notices).catch(() => undefined);
    this.releases.add(p);
    void p.finally(() => this.releases.delete(p));
    return p;
  }

  private keep(name: string, key: string, fence: number, outer: AbortSignal): Lease {
    const { ttlMs, nodeId, logger } = this.o;
    const value = `${fence}:${nodeId}`;
    const ctl = new AbortController();
    const margin = Math.max(200, ttlMs / 5);
    let renewTimer: NodeJS.Timeout | undefined;
    let deadline: NodeJS.Timeout | undefined;
    const end = (why?: string) => {
      if (ctl.signal.aborted) return;
      clearTimeout(renewTimer);
      clearTimeout(deadline);
      outer.removeEventListener('abort', onAbort);
      if (this.held.get(name)?.fence === fence) this.held.delete(name);
      if (why) logger.warn({ lease: name, fence, why }, 'lease lost; stopping what it guarded');
      ctl.abort(new Error(why ?? 'released'));
    };
    // Counted from when a renewal was sent (the server's expiry starts later): conservative.
    const armDeadline = (from: number) => {
      clearTimeout(deadline);
      deadline = setTimeout(() => end('not renewed in time (Redis unreachable or this process stalled)'), Math.max(0, from + ttlMs - margin - Date.now()));
      deadline.unref();
    };
    const schedule = (ms: number) => { renewTimer = setTimeout(() => void renew(), ms); renewTimer.unref(); };
    const renew = async () => {
      const sentAt = Date.now();
      try {
        const ok = Number(await this.link.cmd.kefuRenew(key, value, ttlMs));
        if (ctl.signal.aborted) return;
        if (ok !== 1) return end('taken over or expired');
        armDeadline(sentAt);
        schedule(ttlMs / 3);
      } catch {
        if (!ctl.signal.aborted) schedule(Math.max(50, ttlMs / 10));
      }
    };
    const onAbort = () => { end(); void this.release(key, value); };
    outer.addEventListener('abort', onAbort, { once: true });
    this.held.set(name, { fence, drop: onAbort });
    armDeadline(Date.now());
    schedule(ttlMs / 3);
    logger.info({ lease: name, fence, node: nodeId }, 'lease taken');
    return { signal: ctl.signal, fence };
  }

  /** Resolves after `ms`, on a release notice for `key`, when Redis is back, or on abort. */
  private chance(key: string, signal: AbortSignal, ms: number): Promise<void> {
    return new Promise((resolve) => {
      let set = this.waiters.get(key);
      if (!set) this.waiters.set(key, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        set!.delete(done);
        if (set!.size === 0 && this.waiters.get(key) === set) this.waiters.delete(key);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
      set.add(done);
    });
  }

  private wake(key: string): void {
    for (const w of [...(this.waiters.get(key) ?? [])]) w();
  }
}
