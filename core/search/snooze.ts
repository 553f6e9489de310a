import type { Logger } from 'pino';
import { KefuError } from '../errors.js';
import type { ConversationBus } from '../bus/conversation-bus.js';
import type { Conversation, Message } from '../model/message.js';
import type { SnoozeRecord } from '../store/search-store.js';

/** What the workspace sees on a snoozed conversation (`snooze` next to `sla`). */
export interface SnoozeView { until?: string; untilReply: boolean; agentId: string }

export type WakeReason = 'time' | 'reply' | 'agent' | 'resolved' | 'moved';

/** Longer than this is not a snooze but a forgotten conversation. */
export const MAX_SNOOZE_MS = 366 * 86400_000;
/** A long timer is re-armed at least hourly, so the wall clock and the timer cannot drift apart. */
const MAX_TIMER_MS = 3600_000;

export interface SnoozeOptions {
  bus: ConversationBus;
  logger: Logger;
  now?: () => number;
  /** A conversation came back (the workspace can tell its agent); listeners must not throw. */
  onWake?: (conv: Conversation, reason: WakeReason) => void;
}

/**
 * Snoozed conversations: the records live in the store (they survive a restart), this keeps them in
 * memory with one timer for the earliest wake-up, as the SLA monitor does. A customer's message
 * wakes a snoozed conversation whatever it was snoozed until: nobody should miss the customer
 * writing back because a date was set. Waking, snoozing and resolving announce the conversation
 * (`conversation` 'updated'), which carries its `snooze` to every workspace.
 */
export class Snoozes {
  private byId = new Map<string, SnoozeRecord>();
  private timer?: NodeJS.Timeout;
  private closed = false;
  private readonly now: () => number;

  constructor(private o: SnoozeOptions) {
    this.now = o.now ?? Date.now;
    o.bus.on('message', (m, c) => this.guard(() => this.onMessage(m, c)));
    // A snooze is its agent's: closed, back in the queue or handed to someone else, it ends.
    o.bus.on('conversation', (c, change) => {
      if (!this.byId.has(c.id)) return;
      if (change === 'resolved') this.guard(() => this.wake(c, 'resolved'));
      else if (change === 'queued' || change === 'transferred') this.guard(() => this.wake(c, 'moved'));
    });
  }

  /** Bus listeners run inside someone else's emit: neither a throw nor a later rejection may escape. */
  private guard(fn: () => unknown): void {
    const failed = (err: unknown) => this.o.logger.error({ err }, 'snooze listener failed');
    try {
      const r = fn();
      if (r instanceof Promise) r.catch(failed);
    } catch (err) { failed(err); }
  }

  /** Reads the snoozes in force; the ones whose time passed while the gateway was down wake now. */
  async restore(): Promise<void> {
    for (const r of await this.o.bus.store.snoozes.list()) this.byId.set(r.conversationId, r);
    this.check();
  }

  of(conversationId: string): SnoozeView | undefined {
    const r = this.byId.get(conversationId);
    return r && { until: r.until === undefined ? undefined : new Date(r.until).toISOString(), untilReply: r.untilReply, agentId: r.agentId };
  }

  /** Every snoozed conversation id (the workspace's Snoozed list). */
  ids(): string[] { return [...this.byId.keys()]; }

  async snooze(conv: Conversation, agentId: string, o: { until?: number; untilReply?: boolean }): Promise<SnoozeView> {
    if (conv.status === 'resolved') throw new KefuError('invalid_state', 'A resolved conversation cannot be snoozed.');
    const now = this.now();
    if (o.until !== undefined && !(Number.isFinite(o.until) && o.until > now && o.until - now <= MAX_SNOOZE_MS)) {
      throw new KefuError('validation_failed', 'until must be a time in the future, at most a year ahead');
    }
    if (o.until === undefined && !o.untilReply) throw new KefuError('validation_failed', 'Give until (a time) or untilReply: true');
    const rec: SnoozeRecord = { conversationId: conv.id, until: o.until, untilReply: o.until === undefined || !!o.untilReply, agentId, createdAt: now };
    await this.o.bus.store.snoozes.set(rec);
    this.byId.set(conv.id, rec);
    this.arm();
    this.announce(conv);
    return this.of(conv.id)!;
  }

  /** Brings a conversation back; false when it was not snoozed. */
  async wake(conv: Conversation, reason: WakeReason): Promise<boolean> {
    const rec = this.byId.get(conv.id);
    if (!rec) return false;
    this.byId.delete(conv.id);
    try {
      await this.o.bus.store.snoozes.clear(conv.id);
    } catch (err) {
      // Back in memory: the workspace is not told it woke, and the next check or restart tries again.
      if (!this.byId.has(conv.id)) this.byId.set(conv.id, rec);
      this.o.logger.error({ err, conversationId: conv.id }, 'snooze clear failed');
      return false;
    }
    this.announce(conv);
    const wakeFailed = (err: unknown) => this.o.logger.error({ err }, 'snooze wake listener failed');
    try {
      const r: unknown = this.o.onWake?.(conv, reason);
      if (r instanceof Promise) r.catch(wakeFailed); // an async listener despite the type
    } catch (err) { wakeFailed(err); }
    this.arm();
    return true;
  }

  /** Wakes every conversation whose time has come and re-arms the timer (tests call it after moving the clock). */
  check(): void {
    const now = this.now();
    for (const r of [...this.byId.values()]) {
      if (r.until === undefined || r.until > now) continue;
      void this.o.bus.store.getConversation(r.conversationId).then(async (c) => {
        if (c) { await this.wake(c, 'time'); return; }
        this.byId.delete(r.conversationId);
        await this.o.bus.store.snoozes.clear(r.conversationId);
      }).catch((err) => this.o.logger.error({ err, conversationId: r.conversationId }, 'snooze wake failed'));
    }
    this.arm();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private onMessage(m: Message, c: Conversation): Promise<boolean> | undefined {
    if (m.direction !== 'inbound' || m.editedAt || !this.byId.has(c.id)) return undefined;
    return this.wake(c, 'reply');
  }

  private announce(conv: Conversation): void {
    this.o.bus.emit('conversation', conv, 'updated');
  }

  private arm(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.closed) return;
    let next = Infinity;
    for (const r of this.byId.values()) if (r.until !== undefined && r.until < next) next = r.until;
    if (!Number.isFinite(next)) return;
    this.timer = setTimeout(() => this.guard(() => this.check()), Math.min(Math.max(0, next - this.now()), MAX_TIMER_MS));
    this.timer.unref();
  }
}
