import type { OutboxItem, OutboxStore } from '../store/store.js';
import type { Message } from './message.js';

/**
 * Where an outbound message to a vendor stands, as the agent sees it: queued (in the outbox) →
 * sent (the vendor took it; its id is kept) → delivered → read where the vendor reports it, or
 * failed with the vendor's code and text (the agent can retry). Messages to the web widget
 * have no delivery state: the widget resumes from the store.
 */
export type DeliveryState = 'queued' | 'sent' | 'delivered' | 'read' | 'failed';

export interface Delivery {
  state: DeliveryState;
  /** The vendor's message id once sent. */
  vendorId?: string;
  /** For failed (and for queued after a failed attempt): what went wrong. */
  error?: { code: string; message: string };
  attempts: number;
  /** When it was last attempted or reported. */
  at: number;
}

export interface DeliveryUpdate extends Delivery { messageId: string; conversationId: string; channel: string }

/** An outbox row as a delivery state (skipped rows are not shown: the channel cannot show that kind). */
export function deliveryOf(item: OutboxItem): Delivery | undefined {
  if (item.status === 'skipped') return undefined;
  const state: DeliveryState = item.status === 'pending' ? 'queued' : item.status;
  const [code, ...rest] = (item.lastError ?? '').split(': ');
  return {
    state, vendorId: item.vendorId, attempts: item.attempts, at: item.updatedAt ?? item.createdAt,
    error: item.lastError ? { code, message: rest.join(': ') } : undefined,
  };
}

/** The same messages with their delivery state, for agents and bots (one outbox read for all of them). */
export async function withDeliveries(outbox: OutboxStore, messages: Message[]): Promise<Message[]> {
  const ids = messages.filter((m) => m.direction === 'outbound' && !m.private).map((m) => m.id);
  if (ids.length === 0) return messages;
  const items = await outbox.byMessage(ids);
  if (items.size === 0) return messages;
  return messages.map((m) => {
    const item = items.get(m.id);
    const d = item && deliveryOf(item);
    return d ? { ...m, delivery: d } : m;
  });
}
