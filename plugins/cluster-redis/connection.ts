import { EventEmitter } from 'node:events';
import type { Redis, RedisOptions } from 'ioredis';
import type { Logger } from 'pino';
import { ACQUIRE, FENCED_SET, GCRA, RELEASE, RENEW } from './scripts.js';

/** The scripts as commands on the command connection (EVALSHA, loaded again after a Redis restart by ioredis). */
export interface Scripted {
  kefuAcquire(lease: string, fence: string, node: string, ttlMs: number): Promise<number>;
  kefuRenew(lease: string, value: string, ttlMs: number): Promise<number>;
  kefuRelease(lease: string, value: string, notices: string): Promise<number>;
  kefuFencedSet(lock: string, key: string, value: string, data: string, ttlMs: number): Promise<number>;
  kefuGcra(key: string, intervalMs: number, toleranceMs: number): Promise<number>;
}

const HEARTBEAT_MS = 1000;
/** One reconnect error logged per this interval: a Redis outage must not flood the log. */
const ERROR_LOG_MS = 30_000;

/**
 * Two connections to Redis: commands, and a subscriber (a connection in subscribe mode can send
 * nothing else). Both reconnect by themselves forever, with backoff capped at 2 s. Commands are
 * not queued while Redis is away (they fail at once, and callers decide: a rate limit falls back
 * to this node's own count, a lease renewal retries until its deadline). Subscriptions are
 * re-established on every reconnect, and 'ready' is emitted then, so a Redis restart costs no
 * listener its messages from then on (Chatwoot's ActionCable never resubscribed, #14703).
 * ready() is false from the moment either connection drops or a heartbeat PING goes unanswered.
 */
export class RedisLink extends EventEmitter {
  readonly cmd: Redis & Scripted;
  readonly sub: Redis;
  private handlers = new Map<string, Set<(message: string) => void>>();
  private heartbeatOk = true;
  private heartbeat: NodeJS.Timeout;
  private lastErrorLog = 0;
  private closed = false;

  static async open(url: string, logger: Logger): Promise<RedisLink> {
    const { Redis } = await import('ioredis');
    return new RedisLink(Redis, url, logger);
  }

  private constructor(R: typeof import('ioredis').Redis, url: string, private logger: Logger) {
    super();
    const common: RedisOptions = {
      connectTimeout: 5000, maxRetriesPerRequest: 1, enableReadyCheck: true,
      retryStrategy: (attempt) => Math.min(100 * 2 ** Math.min(attempt, 5), 2000),
    };
    this.cmd = new R(url, { ...common, enableOfflineQueue: false, commandTimeout: 2000 }) as Redis & Scripted;
    this.sub = new R(url, { ...common, enableOfflineQueue: true, autoResubscribe: true });
    this.cmd.defineCommand('kefuAcquire', { numberOfKeys: 2, lua: ACQUIRE });
    this.cmd.defineCommand('kefuRenew', { numberOfKeys: 1, lua: RENEW });
    this.cmd.defineCommand('kefuRelease', { numberOfKeys: 1, lua: RELEASE });
    this.cmd.defineCommand('kefuFencedSet', { numberOfKeys: 2, lua: FENCED_SET });
    this.cmd.defineCommand('kefuGcra', { numberOfKeys: 1, lua: GCRA });
    for (const [name, c] of [['commands', this.cmd], ['subscriber', this.sub]] as const) {
      c.on('error', (err: Error) => this.error(name, err));
      c.on('ready', () => { this.logger.info({ connection: name }, 'redis ready'); this.emit('ready'); });
      c.on('close', () => { if (!this.closed) this.emit('down'); });
    }
    this.sub.on('message', (channel: string, message: string) => {
      for (const h of this.handlers.get(channel) ?? []) {
        try { h(message); } catch (err) { this.logger.error({ err, channel }, 'redis message handler failed'); }
      }
    });
    this.heartbeat = setInterval(() => {
      if (this.cmd.status !== 'ready') return;
      this.cmd.ping().then(() => { this.heartbeatOk = true; }, () => { this.heartbeatOk = false; });
    }, HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  ready(): boolean {
    return !this.closed && this.heartbeatOk && this.cmd.status === 'ready' && this.sub.status === 'ready';
  }

  /** Resolves true once both connections are ready, false after `timeoutMs`. */
  whenReady(timeoutMs: number): Promise<boolean> {
    if (this.ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const check = () => { if (this.ready()) done(true); };
      const timer = setTimeout(() => done(false), timeoutMs);
      const done = (v: boolean) => { clearTimeout(timer); this.off('ready', check); resolve(v); };
      this.on('ready', check);
    });
  }

  /** Listens on a pub/sub channel; kept across reconnects. */
  async subscribe(channel: string, handler: (message: string) => void): Promise<void> {
    let set = this.handlers.get(channel);
    if (!set) {
      this.handlers.set(channel, (set = new Set()));
      // Queued while the subscriber is connecting; ioredis subscribes again after each reconnect.
      await this.sub.subscribe(channel).catch((err: Error) => this.error('subscriber', err));
    }
    set.add(handler);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    await Promise.all([this.cmd, this.sub].map((c) => (c.status === 'ready' ? c.quit().then(() => undefined, () => c.disconnect()) : c.disconnect())));
  }

  private error(connection: string, err: Error): void {
    const now = Date.now();
    if (now - this.lastErrorLog < ERROR_LOG_MS) return;
    this.lastErrorLog = now;
    // The message names host and port at most; the URL (which may hold a password) is never logged.
    this.logger.warn({ connection, err: err.message }, 'redis unreachable; retrying');
  }
}
