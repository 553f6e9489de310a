import type { Logger } from 'pino';
import type { SharedSecret, SharedSecrets } from '../../core/cluster/cluster.js';
import type { RedisLink } from './connection.js';
import type { Leases } from './leases.js';

/** How long a node waits for another node's refresh of the same secret before giving up (the send is retried). */
const LOCK_WAIT_MS = 15_000;

/**
 * Short-lived credentials in Redis, each key expiring with its credential. A refresh takes the
 * secret's lock (a lease), reads the value again, fetches only if it is still stale, and writes
 * fenced by the lock: a node that stalled past its lock cannot overwrite the next holder's value.
 */
export class RedisSecrets implements SharedSecrets {
  constructor(private link: RedisLink, private leases: Leases, private prefix: string, private logger: Logger) {}

  async get(key: string): Promise<SharedSecret | undefined> {
    const raw = await this.link.cmd.get(this.key(key));
    if (!raw) return undefined;
    try {
      const v = JSON.parse(raw) as SharedSecret;
      return typeof v.value === 'string' && typeof v.expiresAt === 'number' ? v : undefined;
    } catch { return undefined; }
  }

  async refresh(key: string, stale: (current: SharedSecret | undefined) => boolean, fetch: () => Promise<SharedSecret>): Promise<SharedSecret> {
    const lock = await this.leases.lock(`secret:${key}`, LOCK_WAIT_MS);
    try {
      const current = await this.get(key);
      if (current && !stale(current)) return current;
      const next = await fetch();
      const ttl = Math.max(1000, Math.round(next.expiresAt - Date.now()));
      const written = await this.link.cmd.kefuFencedSet(lock.key, this.key(key), lock.value, JSON.stringify(next), ttl);
      if (Number(written) !== 1) this.logger.warn({ key }, 'secret refreshed after this node\'s lock lapsed; not shared');
      return next;
    } finally {
      await lock.release();
    }
  }

  private key(key: string): string { return `${this.prefix}secret:${key}`; }
}
