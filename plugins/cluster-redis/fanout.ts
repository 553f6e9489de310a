import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Fanout, RemoteEvent } from '../../core/cluster/cluster.js';
import type { RedisLink } from './connection.js';

const KINDS = ['message', 'conversation', 'signal', 'delivery'] as const;
const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

/** Timestamps are named *At throughout the model: they come back as Dates, as the local events carry them. */
function revive(key: string, value: unknown): unknown {
  return typeof value === 'string' && key.endsWith('At') && ISO_DATE.test(value) ? new Date(value) : value;
}

/**
 * Bus events between nodes on Redis pub/sub, one channel per event family. Pub/sub keeps no
 * backlog, so whatever a node may have missed is made good from the store instead: `resync` runs
 * when this node's subscriber is back (after its subscriptions are confirmed, so nothing falls
 * between the two), and when its command connection is back it asks every node to resync, since
 * its own publishes may have failed meanwhile.
 */
export class RedisFanout implements Fanout {
  private events = new EventEmitter();
  private readonly own: string;
  private subDown = false;
  private cmdDown = false;

  constructor(private link: RedisLink, private o: { prefix: string; nodeId: string; logger: Logger }) {
    this.own = `{"origin":${JSON.stringify(o.nodeId)},`;
    this.events.on('error', (err: Error) => o.logger.error({ err }, 'fanout listener failed'));
    link.sub.on('close', () => { this.subDown = true; });
    link.cmd.on('close', () => { this.cmdDown = true; });
    link.sub.on('ready', () => {
      if (!this.subDown) return;
      this.subDown = false;
      void link.sub.subscribe(...this.channels()).then(() => this.emitResync(), (err: Error) => o.logger.warn({ err: err.message }, 'resubscribe failed'));
    });
    link.cmd.on('ready', () => {
      if (!this.cmdDown) return;
      this.cmdDown = false;
      link.cmd.publish(this.channel('resync'), o.nodeId).catch(() => {});
    });
  }

  /** Waits for the subscriptions only when Redis is there: a node started during an outage starts not-ready, and subscribes when Redis returns. */
  async start(): Promise<void> {
    const subs = Promise.all([
      ...KINDS.map((kind) => this.link.subscribe(this.channel(kind), (raw) => this.receive(raw))),
      this.link.subscribe(this.channel('resync'), (origin) => { if (origin !== this.o.nodeId) this.emitResync(); }),
    ]);
    if (this.link.ready()) await subs;
  }

  publish(e: RemoteEvent): void {
    // A lost publish is made good by the resync that follows the reconnect.
    const { origin: _, ...rest } = e;
    this.link.cmd.publish(this.channel(e.kind), JSON.stringify({ origin: this.o.nodeId, ...rest })).catch(() => {});
  }

  onRemote(fn: (e: RemoteEvent) => void): void { this.events.on('remote', fn); }

  onResync(fn: () => void): void { this.events.on('resync', fn); }

  private receive(raw: string): void {
    // A node hears its own publishes too; publish() puts the origin first, so they are dropped unparsed.
    if (raw.startsWith(this.own)) return;
    let e: RemoteEvent;
    try { e = JSON.parse(raw, revive) as RemoteEvent; } catch { return this.o.logger.warn('unreadable cluster event dropped'); }
    if (!e || typeof e !== 'object' || e.origin === this.o.nodeId || !KINDS.includes(e.kind)) return;
    this.safely('remote', e);
  }

  private emitResync(): void {
    this.o.logger.info('cluster events may have been missed: resyncing from the store');
    this.safely('resync');
  }

  private safely(name: string, ...args: unknown[]): void {
    try { this.events.emit(name, ...args); } catch (err) { this.o.logger.error({ err }, 'fanout listener failed'); }
  }

  private channel(kind: string): string { return `${this.o.prefix}ev:${kind}`; }

  private channels(): string[] { return [...KINDS, 'resync'].map((k) => this.channel(k)); }
}
