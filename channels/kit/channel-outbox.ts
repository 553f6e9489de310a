import type { ConversationBus } from '../../core/bus/conversation-bus.js';
import { deliveryOf, type DeliveryState } from '../../core/model/delivery.js';
import type { Message } from '../../core/model/message.js';
import { exponentialBackoff, type DeliveryOutcome, type OutboxDispatcher, type OutboxHandler } from '../../core/outbox/dispatcher.js';
import type { OutboxItem, OutboxStatus } from '../../core/store/store.js';
import { KefuError } from '../../core/errors.js';
import { ChannelError, type ChannelAdapter } from '../contract.js';

/** First retry after 2 s, doubling to 10 min; given up after 16 attempts (about 77 min of a vendor being down, 58–96 with jitter; rate limits do not count). */
const BACKOFF = exponentialBackoff(2000, 600_000);
const MAX_ATTEMPTS = 16;
/** How long a status report for a vendor id we do not know yet is kept for our send record to commit. */
const EARLY_REPORT_MS = 60_000;
type ReportState = Extract<DeliveryState, 'delivered' | 'read' | 'failed'>;

export const channelTarget = (channel: string) => `channel:${channel}`;

/**
 * Channel sends as an outbox handler: an item is one outbound message to a push channel,
 * written with the message (target `channel:<name>`, key the conversation). Only running
 * channels are offered their items, so a disabled channel's sends wait and go out in order
 * once it is enabled again. Every state change reaches agents as a bus `delivery` event.
 */
export class ChannelOutbox implements OutboxHandler {
  readonly maxAttempts = MAX_ATTEMPTS;
  /** Reports on one vendor id apply one after another: two arriving together must not both read the old state. */
  private reports = new Map<string, Promise<void>>();
  /** Reports that came before our own record of the send had committed (fast vendors): applied once it has. */
  private early = new Map<string, { state: ReportState; error?: { code: string; message: string }; at: number }>();

  constructor(private d: {
    bus: ConversationBus; dispatcher: OutboxDispatcher;
    /** Running push channels by name. */
    running: () => Map<string, ChannelAdapter>;
    logger?: import('pino').Logger;
    onResult?: (channel: string, result: 'sent' | 'skipped' | 'retry' | 'failed') => void;
  }) {}

  targets(): readonly string[] {
    return [...this.d.running().keys()].map(channelTarget);
  }

  backoffMs(attempts: number): number { return BACKOFF(attempts); }

  async deliver(item: OutboxItem, signal: AbortSignal): Promise<DeliveryOutcome> {
    const channel = item.target.slice('channel:'.length);
    const adapter = this.d.running().get(channel);
    if (!adapter) return { ok: false, retryable: true, code: 'channel_disabled', message: `the ${channel} channel is not running` };
    const store = this.d.bus.store;
    const msg = item.messageId ? await store.getMessage(item.messageId) : undefined;
    const conv = await store.getConversation(item.orderingKey);
    if (!msg || !conv) return { ok: false, retryable: false, code: 'not_found', message: 'the message or its conversation is gone' };
    try {
      const res = await adapter.send(msg, conv, { idempotencyKey: msg.id, attempt: item.attempts + 1, signal });
      return { ok: true, vendorId: res.sourceId || undefined, skipped: res.skipped };
    } catch (err) {
      if (err instanceof ChannelError) return { ok: false, retryable: err.retryable, code: err.code, message: err.detail, retryAfterS: err.retryAfter };
      if (err instanceof KefuError && err.status < 500) return { ok: false, retryable: false, code: err.code, message: err.message };
      // Not a vendor's answer: its text may hold internals (URLs with tokens), so agents and webhooks get a generic one.
      this.d.logger?.error({ err, channel, messageId: msg.id }, 'channel send threw something other than a ChannelError');
      return { ok: false, retryable: true, code: 'internal', message: 'internal error (see the gateway log)' };
    }
  }

  settled(item: OutboxItem, status: OutboxStatus, outcome: DeliveryOutcome): void {
    const channel = item.target.slice('channel:'.length);
    const vendorId = outcome.ok ? outcome.vendorId : undefined;
    const early = vendorId ? this.early.get(`${channel}\u0000${vendorId}`) : undefined;
    if (early) {
      this.early.delete(`${channel}\u0000${vendorId}`);
      queueMicrotask(() => void this.status(channel, vendorId!, early.state, early.error).catch((err) => this.d.logger?.warn({ err }, 'early status report failed')));
    }
    this.d.onResult?.(channel, status === 'pending' ? 'retry' : status === 'failed' ? 'failed' : status === 'skipped' ? 'skipped' : 'sent');
    if (status === 'skipped' || !item.messageId) return;
    const settledItem: OutboxItem = { ...item, status, attempts: item.attempts + 1, updatedAt: Date.now(),
      vendorId: outcome.ok ? outcome.vendorId ?? item.vendorId : item.vendorId,
      lastError: outcome.ok ? undefined : `${outcome.code}: ${outcome.message}` };
    this.announce(channel, item.orderingKey, item.messageId, settledItem);
  }

  /** A new send was recorded with its message: tell the agent it is queued, and look now. */
  queued(msg: Message, channel: string): void {
    // Events (assigned, notices) may be skipped by the channel: agents track their own messages only.
    if (msg.content.kind !== 'event') this.d.bus.emit('delivery', { messageId: msg.id, conversationId: msg.conversationId, channel, state: 'queued', attempts: 0, at: Date.now() });
    this.d.dispatcher.kick();
  }

  /** The agent's Retry on a failed message: back in line at the head of its conversation. */
  async retry(messageId: string): Promise<void> {
    const item = (await this.d.bus.store.outbox.byMessage([messageId])).get(messageId);
    if (!item || !item.target.startsWith('channel:')) throw new KefuError('not_found', 'This message has no delivery to retry.');
    if (item.status !== 'failed') throw new KefuError('invalid_state', `The message is ${deliveryOf(item)?.state ?? item.status}, not failed.`);
    await this.d.bus.store.outbox.retry(item.id, Date.now());
    this.announce(item.target.slice(8), item.orderingKey, messageId, { ...item, status: 'pending', attempts: 0, lastError: undefined, updatedAt: Date.now() });
    this.d.dispatcher.kick();
  }

  /** A vendor's status callback for a message it accepted as `vendorId`. */
  status(channel: string, vendorId: string, state: ReportState, error?: { code: string; message: string }): Promise<void> {
    const key = `${channel}\u0000${vendorId}`;
    const next = (this.reports.get(key) ?? Promise.resolve()).then(() => this.applyStatus(channel, vendorId, state, error));
    const settled = next.catch(() => undefined);
    this.reports.set(key, settled);
    void settled.then(() => { if (this.reports.get(key) === settled) this.reports.delete(key); });
    return next;
  }

  private async applyStatus(channel: string, vendorId: string, state: ReportState, error?: { code: string; message: string }): Promise<void> {
    const item = await this.d.bus.store.outbox.byVendorId(channelTarget(channel), vendorId);
    if (!item || !item.messageId) {
      // Perhaps our record of the send has not committed yet: keep the report a while (bounded).
      const now = Date.now();
      for (const [k, r] of this.early) if (now - r.at > EARLY_REPORT_MS) this.early.delete(k);
      if (this.early.size < 10_000) this.early.set(`${channel}\u0000${vendorId}`, { state, error, at: now });
      return;
    }
    // Reports can arrive out of order (read before delivered): a state never goes back. Only a
    // sent message can be reported on (one queued again by Retry waits for its new send), and
    // a failure report after `read` is stale: reading proves delivery.
    const rank: Record<string, number> = { sent: 1, delivered: 2, read: 3 };
    const now = rank[item.status];
    if (now === undefined) return;
    if (state === 'failed' ? item.status === 'read' : now >= rank[state]) return;
    const lastError = error ? `${error.code}: ${error.message}` : undefined;
    await this.d.bus.store.outbox.settle(item.id, { status: state, attempts: item.attempts, nextAt: 0, lastError });
    this.announce(channel, item.orderingKey, item.messageId, { ...item, status: state, lastError, updatedAt: Date.now() });
  }

  private announce(channel: string, conversationId: string, messageId: string, item: OutboxItem): void {
    const d = deliveryOf(item);
    if (d) this.d.bus.emit('delivery', { ...d, messageId, conversationId, channel });
  }
}
