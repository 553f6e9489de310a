import { createHash } from 'node:crypto';
import type { KefuConfig } from '../../config/schema.js';
import type { Conversation } from '../model/message.js';
import type { OutboxStore } from '../store/store.js';
import type { TargetName } from './targets.js';
import { webhookTarget } from '../outbox/webhook-target.js';

/** One breach: a target of one conversation's clock (one next-response cycle) fell due unanswered. */
export interface Breach {
  conversationId: string;
  queue: string;
  target: TargetName;
  /** When the clock started and when it fell due (ms). */
  startedAt: number;
  dueAt: number;
  /** The assigned agent at the breach, if any. */
  agentId?: string;
}


/**
 * The `sla.breached` event, shaped like the other webhooks (type, event_id, event_time, the
 * conversation). The event_id is derived from the breach, so a receiver can drop the repeat a
 * restart may send (breaches are announced at least once).
 */
export function breachEvent(b: Breach, conv: Conversation, targetMs: number | undefined, now: number) {
  const id = createHash('sha256').update(`${b.conversationId}|${b.target}|${b.startedAt}`).digest('hex').slice(0, 20).toUpperCase();
  return {
    type: 'sla.breached', event_id: `EvSLA${id}`, event_time: Math.floor(now / 1000),
    conversation: { id: conv.id, channel: conv.ref.channel, status: conv.status, queue: conv.queue, assignee: conv.assigneeId, priority: conv.priority, customer: conv.customer },
    sla: { queue: b.queue, target: b.target, target_s: targetMs === undefined ? undefined : Math.round(targetMs / 1000),
      started_at: new Date(b.startedAt).toISOString(), due_at: new Date(b.dueAt).toISOString(), agent: b.agentId },
  };
}

/** Writes the event for every webhook that asked for `sla.breached` (durable first; the dispatcher delivers). */
export async function enqueueBreach(outbox: OutboxStore, webhooks: KefuConfig['webhooks'], conversationId: string, event: object): Promise<number> {
  const hooks = webhooks.filter((h) => (h.events as string[]).includes('sla.breached'));
  if (hooks.length === 0) return 0;
  const payload = JSON.stringify(event);
  await outbox.add(hooks.map((h) => ({ target: webhookTarget(h.url), orderingKey: conversationId, payload })));
  return hooks.length;
}
