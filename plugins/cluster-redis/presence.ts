import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { PresenceStatus, SharedPresence } from '../../core/cluster/cluster.js';
import type { RedisLink } from './connection.js';

const EVERY_MS = 1000;
/** A node's report outlives three missed rounds, no more: a dead node's agents go offline within ~3 s. */
const TTL_MS = 3500;
const rank = (s: PresenceStatus | undefined) => (s === 'online' ? 2 : s === 'away' ? 1 : 0);

/**
 * Presence in Redis: one hash per node (agent id → status) that expires unless the node renews it
 * every second, and a set of the nodes that ever reported. A report that changed is also
 * announced on a channel so the others read at once rather than at their next round. Reading is
 * one pipeline of HGETALLs per round, over the few nodes a deployment has.
 */
export class RedisPresence implements SharedPresence {
  private events = new EventEmitter();
  private timer?: NodeJS.Timeout;
  private local: () => Map<string, PresenceStatus> = () => new Map();
  private last = '';
  private others = new Map<string, PresenceStatus>();
  private busy = false;
  /** A change reported while a round ran: one more round, with the announcement, once it ends. */
  private again = false;
  private closed = false;

  constructor(private link: RedisLink, private o: { prefix: string; nodeId: string; logger: Logger }) {
    this.events.on('error', (err: Error) => o.logger.error({ err }, 'presence listener failed'));
  }

  start(local: () => Map<string, PresenceStatus>): void {
    this.local = local;
    void this.link.subscribe(this.key('presence-changed'), (node) => { if (node !== this.o.nodeId) void this.round(false); });
    this.timer = setInterval(() => void this.round(true), EVERY_MS);
    this.timer.unref();
    void this.round(true);
  }

  changed(): void { void this.round(true, true); }

  onChange(fn: (others: Map<string, PresenceStatus>) => void): void { this.events.on('change', fn); }

  /** Removes this node's report, so the others see its agents go at once on a clean stop. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.timer);
    if (this.link.ready()) await this.link.cmd.multi().del(this.mine()).srem(this.key('presence-nodes'), this.o.nodeId)
      .publish(this.key('presence-changed'), this.o.nodeId).exec().catch(() => {});
  }

  private async round(write: boolean, announce = false): Promise<void> {
    if (this.closed || !this.link.ready()) return;
    if (this.busy) { if (announce) this.again = true; return; }
    this.busy = true;
    try {
      if (write) await this.write(announce);
      await this.read();
    } catch (err) {
      this.o.logger.warn({ err: (err as Error).message }, 'presence round failed; next round in a second');
    } finally {
      this.busy = false;
      if (this.again) { this.again = false; void this.round(true, true); }
    }
  }

  private async write(announce: boolean): Promise<void> {
    const entries = [...this.local()].sort(([a], [b]) => (a < b ? -1 : 1));
    const flat = entries.flat();
    const tx = this.link.cmd.multi().del(this.mine());
    if (flat.length) tx.hset(this.mine(), ...flat);
    tx.pexpire(this.mine(), TTL_MS).sadd(this.key('presence-nodes'), this.o.nodeId);
    const now = JSON.stringify(entries);
    if (announce || now !== this.last) tx.publish(this.key('presence-changed'), this.o.nodeId);
    this.last = now;
    await tx.exec();
  }

  private async read(): Promise<void> {
    const nodes = (await this.link.cmd.smembers(this.key('presence-nodes'))).filter((n) => n !== this.o.nodeId);
    const p = this.link.cmd.pipeline();
    for (const n of nodes) p.hgetall(this.nodeKey(n));
    const replies = nodes.length ? (await p.exec()) ?? [] : [];
    const merged = new Map<string, PresenceStatus>();
    const gone: string[] = [];
    replies.forEach(([err, hash], i) => {
      const h = (err ? {} : hash) as Record<string, string>;
      if (Object.keys(h).length === 0 && !err) gone.push(nodes[i]);
      for (const [agent, status] of Object.entries(h)) {
        if (status !== 'online' && status !== 'away') continue;
        if (rank(status) > rank(merged.get(agent))) merged.set(agent, status);
      }
    });
    // An empty hash is either a node with no agent or one that died: both are absent from the set
    // until they report again (a live node re-adds itself every round).
    if (gone.length) await this.link.cmd.srem(this.key('presence-nodes'), ...gone);
    if (same(merged, this.others)) return;
    this.others = merged;
    try { this.events.emit('change', new Map(merged)); } catch (err) { this.o.logger.error({ err }, 'presence listener failed'); }
  }

  private mine(): string { return this.nodeKey(this.o.nodeId); }
  private nodeKey(node: string): string { return this.key(`presence:${node}`); }
  private key(name: string): string { return `${this.o.prefix}${name}`; }
}

function same(a: Map<string, string>, b: Map<string, string>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (b.get(k) !== v) return false;
  return true;
}
