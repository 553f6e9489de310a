import type { DeliveryUpdate } from '../model/delivery.js';
import type { Conversation, Message, Participant } from '../model/message.js';

/** Ephemeral signals: relayed live, never stored. */
export interface Signal {
  conversationId: string;
  from: Participant;
  event: 'typing' | 'read';
  /** For read: the seq read up to. */
  seq?: number;
}

export type ConversationChange = 'created' | 'queued' | 'assigned' | 'transferred' | 'resolved' | 'updated';

/**
 * What the bus announces. Listeners must not throw (errors are logged) and must not block:
 * they run in the message's hot path.
 */
export interface BusEvents {
  /** A message became durable (inbound or outbound). */
  message: [message: Message, conversation: Conversation];
  conversation: [conversation: Conversation, change: ConversationChange];
  signal: [signal: Signal];
  /** A message is rejected before it was stored (rate limit, validation, plugin). */
  rejected: [code: string, channel: string];
  /** An outbound message's delivery to its vendor moved (queued, sent, delivered, read, failed). */
  delivery: [update: DeliveryUpdate];
  /**
   * The same three produced on another node (cluster mode). Separate names, so only listeners
   * that deliver to this node's sockets take them; webhooks, SLA, CSAT, bots and the outbox
   * listen to the local names and so run once, on the producing node.
   */
  'remote:message': [message: Message, conversation: Conversation];
  'remote:conversation': [conversation: Conversation, change: ConversationChange];
  'remote:signal': [signal: Signal];
  /** Delivery ticks of a vendor send made by another node (the workspace shows them; the API channel's kefu.delivery runs where it was sent). */
  'remote:delivery': [update: DeliveryUpdate];
  /** Remote events may have been missed (the link to the other nodes came back): sockets catch up from the store. */
  resync: [];
}
