import type { Logger } from 'pino';
import type { OutboxItem, OutboxStatus, OutboxStore } from '../store/store.js';

/** Settled outbox rows are purged after 30 days. */
const KEEP_SETTLED_MS = 30 * 86400_000;

/** What one delivery attempt came to. `vendorId` is the receiver's id for what it accepted. */
export type DeliveryOutcome =
  | { ok: true; vendorId?: string; skipped?: boolean }
  | { ok: false; retryable: boolean; code: string; message: string; retryAfterS?: number };

/**
 * Delivers the items of some outbox targets (`channel:sms`, `bot:orderbot`, `webhook:0`). The
 * handler does one attempt; the dispatcher owns order, retries, backoff and giving up.
 */
export interface OutboxHandler {
  /** The targets this handler delivers right now (running channels, configured bots); others wait. */
  targets(): readonly string[];
  deliver(item: OutboxItem, signal: AbortSignal): Promise<DeliveryOutcome>;
  /** Longest an attempt may take before it counts as a (retryable) timeout; 30 s when absent. */
  timeoutMs?: number;
  /** Delay before attempt `attempts + 1` after `attempts` failures, in ms, jitter excluded. */
  backoffMs(attempts: number): number;
  /** Failures after which an item is given up (marked failed). */
  maxAttempts: number;
  /** Told of every settled attempt (delivery state to agents, metrics). */
  settled?(item: OutboxItem, status: OutboxStatus, outcome: DeliveryOutcome): void;
}

export interface DispatcherOptions {
  outbox: OutboxStore;
  logger: Logger;
  now?: () => number;
  /** [0, 1): jitter source (tests pass a fixed one). */
  random?: () => number;
  /** How often due items are looked for when nothing kicks the dispatcher. */
  pollMs?: number;
}

/**
 * The one delivery loop over the durable outbox, for every kind of target. Per (target, key) —
 * a conversation — exactly one item is in flight and the oldest pending one goes first: the
 * store only offers an item whose predecessors are settled, so a failing head holds the ones
 * behind it until it is delivered or given up. A retry waits `backoffMs` ± 25 % (so a vendor
 * that comes back is not hit by every queue at the same instant), or the receiver's
 * Retry-After when it names one. Items survive restarts: they are rows, and a row still
 * pending after a crash is simply delivered again (at least once).
 */
export class OutboxDispatcher {
  private handlers: OutboxHandler[] = [];
  private inflight = new Set<string>();
  private running = new Set<Promise<void>>();
  private timer?: NodeJS.Timeout;
  private purgeTimer?: NodeJS.Timeout;
  private selecting?: Promise<Promise<void>[]>;
  private again = false;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private o: DispatcherOptions) {
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
  }

  register(h: OutboxHandler): () => void {
    this.handlers.push(h);
    return () => { this.handlers = this.handlers.filter((x) => x !== h); };
  }

  start(): void {
    this.timer ??= setInterval(() => this.kick(), this.o.pollMs ?? 250);
    this.timer.unref();
    // Settled rows are kept a while (the agent's Retry, inspection), not forever.
    const purge = () => this.o.outbox.purge(this.now() - KEEP_SETTLED_MS).catch((err) => this.o.logger.warn({ err }, 'outbox purge failed'));
    this.purgeTimer ??= setInterval(purge, 3600_000);
    this.purgeTimer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    clearInterval(this.purgeTimer);
    this.timer = this.purgeTimer = undefined;
  }

  /** Something became due (a new item, a settled attempt, a channel started): look now rather than at the next poll. */
  kick(): void {
    if (this.selecting) { this.again = true; return; }
    this.pass().catch((err) => this.o.logger.error({ err }, 'outbox pass failed'));
  }

  /**
   * One pass, then waits until nothing is running: what every attempt it started led to (each
   * settled attempt starts the next item of its conversation) has settled. For tests and drains;
   * the poll and kicks run passes without waiting.
   */
  async pump(): Promise<void> {
    await this.pass();
    await this.idle();
  }

  /**
   * Picks the due items (one selection at a time) and starts their attempts. Passes do not wait
   * for attempts, so a vendor that hangs holds only its own conversations.
   */
  private async pass(): Promise<void> {
    while (this.selecting) await this.selecting.catch(() => []);
    const selection = this.select();
    this.selecting = selection;
    try { await selection; } finally {
      if (this.selecting === selection) this.selecting = undefined;
      if (this.again) { this.again = false; queueMicrotask(() => this.kick()); }
    }
  }

  private async select(): Promise<Promise<void>[]> {
    const byTarget = new Map<string, OutboxHandler>();
    for (const h of this.handlers) for (const t of h.targets()) byTarget.set(t, h);
    if (byTarget.size === 0) return [];
    const due = await this.o.outbox.due(this.now(), 200, [...byTarget.keys()]);
    const started: Promise<void>[] = [];
    for (const item of due) {
      const key = `${item.target}\u0000${item.orderingKey}`;
      if (this.inflight.has(key)) continue;
      this.inflight.add(key);
      const run = this.attempt(byTarget.get(item.target)!, item).finally(() => {
        this.inflight.delete(key);
        this.running.delete(run);
        this.kick(); // the next item of this conversation may be due now
      });
      this.running.add(run);
      started.push(run);
    }
    return started;
  }

  /** Waits until no selection and no attempt is running (shutdown, tests). */
  async idle(): Promise<void> {
    while (this.selecting || this.running.size) {
      await Promise.all([this.selecting?.catch(() => []), ...this.running]);
      await new Promise((r) => setImmediate(r)); // a settled attempt's kick starts its successor on the next turn
    }
  }

  private async attempt(h: OutboxHandler, item: OutboxItem): Promise<void> {
    let outcome: DeliveryOutcome;
    const timeoutMs = h.timeoutMs ?? 30_000;
    const abort = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    try {
      // The dispatcher bounds every attempt: a vendor call that never answers is given up as a
      // timeout (retried like any transient failure) and told to abort through the signal.
      outcome = await Promise.race([
        h.deliver(item, abort.signal),
        new Promise<DeliveryOutcome>((resolve) => {
          timer = setTimeout(() => { abort.abort(); resolve({ ok: false, retryable: true, code: 'timeout', message: `no answer within ${timeoutMs} ms` }); }, timeoutMs);
          timer.unref();
        }),
      ]);
    } catch (err) {
      // A handler that throws is a bug or an unmapped vendor error: retried like a transient one.
      this.o.logger.error({ err, target: item.target }, 'outbox handler threw');
      outcome = { ok: false, retryable: true, code: 'internal', message: 'internal error (see the gateway log)' };
    } finally {
      clearTimeout(timer);
    }
    const attempts = item.attempts + 1;
    let status: OutboxStatus;
    let nextAt = 0;
    let lastError: string | undefined;
    if (outcome.ok) {
      status = outcome.skipped ? 'skipped' : item.target.startsWith('channel:') ? 'sent' : 'delivered';
    } else {
      lastError = `${outcome.code}: ${outcome.message}`.slice(0, 500);
      // A rate limit with Retry-After is the vendor pacing us, not failing: it does not use up the
      // attempts (up to four times as many in all, so nothing waits forever).
      const budget = outcome.retryAfterS !== undefined ? h.maxAttempts * 4 : h.maxAttempts;
      if (!outcome.retryable || attempts >= budget) {
        status = 'failed';
        this.o.logger.warn({ target: item.target, key: item.orderingKey, messageId: item.messageId, attempts, reason: lastError }, 'outbox item failed');
      } else {
        status = 'pending';
        const base = outcome.retryAfterS !== undefined ? outcome.retryAfterS * 1000 : h.backoffMs(attempts) * (0.75 + this.random() * 0.5);
        nextAt = this.now() + Math.max(0, Math.round(base));
      }
    }
    await this.o.outbox.settle(item.id, { status, attempts, nextAt, lastError, vendorId: outcome.ok ? outcome.vendorId : undefined });
    try {
      h.settled?.(item, status, outcome);
    } catch (err) {
      this.o.logger.error({ err }, 'outbox settle listener failed');
    }
  }
}

/** Exponential backoff from `firstMs`, doubling, capped at `maxMs`. */
export function exponentialBackoff(firstMs: number, maxMs: number): (attempts: number) => number {
  return (attempts) => Math.min(maxMs, firstMs * 2 ** Math.max(0, attempts - 1));
}
