/**
 * The normalized model every channel maps to. Core never branches on a vendor's raw
 * payload: adapters parse raw → these types, and send these types back out.
 */
export type ChannelName = 'web' | 'api' | 'wechat-mp' | 'wechaty' | 'dingtalk' | 'feishu' | 'email' | 'sms' | (string & {});

/** Where a conversation lives on its channel: e.g. web:default:<visitorId>, sms:+1555…:+1666…. */
export interface ConversationRef {
  channel: ChannelName;
  account: string;
  thread: string;
}

export type Role = 'customer' | 'agent' | 'bot' | 'system';

export interface Participant {
  id: string;
  role: Role;
  name?: string;
}

export interface Attachment {
  kind: 'image' | 'file' | 'voice';
  /** Gateway-local media id (see store media); served at /media/<id>. */
  mediaId: string;
  mime: string;
  size: number;
  name?: string;
  width?: number;
  height?: number;
}

export type Content =
  | { kind: 'text'; text: string; /** Slack Block Kit, kept as given (text is the fallback). */ blocks?: unknown[] }
  | { kind: 'media'; attachments: Attachment[]; caption?: string }
  | { kind: 'event'; event: 'typing' | 'read' | 'join' | 'leave' | 'handoff' | 'assigned' | 'resolved' | 'notice' | 'deleted' | 'csat'; refId?: string; text?: string;
      /** On a `csat` event: the survey, for channels that draw it natively (buttons, cards); `text` is the fallback for the rest. */
      survey?: SurveyPrompt };

/**
 * A satisfaction survey as the customer's channel shows it. `url` is the signed public rating page
 * (absent when `[server] public_url` is unset); a reply starting with a digit 1–5 answers it too.
 */
export interface SurveyPrompt {
  question: string;
  url?: string;
}

/**
 * A conversation's satisfaction survey (core/csat): scheduled when it is first resolved, asked after
 * its queue's delay, answered with a rating 1–5 and an optional comment. At most one per conversation.
 */
export interface Csat {
  state: 'scheduled' | 'asked' | 'answered';
  /** When the survey is (or was) due: the resolution time plus the queue's delay. */
  dueAt: Date;
  askedAt?: Date;
  rating?: number;
  comment?: string;
  answeredAt?: Date;
  /** How the answer came: `reply` (a message starting with the digit: SMS, WeChat, widget and card buttons) or `page` (the rating page). */
  via?: 'reply' | 'page';
}

export interface Message {
  /** Server id, time-sortable, unique across the gateway. */
  id: string;
  /** Position in its conversation, 1-based, gap-free in normal operation; clients resume from it. */
  seq: number;
  conversationId: string;
  /** Vendor message id (inbound) or client-generated id: the idempotency key within a conversation. */
  sourceId?: string;
  direction: 'inbound' | 'outbound';
  from: Participant;
  content: Content;
  sentAt: Date;
  /** Private notes are visible to agents only and never leave through a channel. */
  private?: boolean;
  intent?: { label: string; score: number };
  /** Root message id when this message is a reply in a thread (Slack-compatible API). */
  threadId?: string;
  editedAt?: Date;
  deleted?: boolean;
  /** Where its delivery to the customer's vendor stands (push channels; filled on agent-facing reads, not stored here). */
  delivery?: import('./delivery.js').Delivery;
}

export type ConversationStatus = 'bot' | 'queued' | 'assigned' | 'pending' | 'resolved';

export interface Conversation {
  id: string;
  ref: ConversationRef;
  customer: Participant;
  status: ConversationStatus;
  queue: string;
  priority: number;
  intent?: { label: string; score: number };
  /** 1 = the bot may answer; lowered by requests for a human (AI plugin). */
  aiWeight: number;
  assigneeId?: string;
  createdAt: Date;
  updatedAt: Date;
  /** When it entered its current queue wait (for FIFO/aging); undefined unless queued. */
  queuedAt?: Date;
  lastSeq: number;
  lastMessageAt?: Date;
  /**
   * Who is expected to write next, from the last public message that was not an event: a customer's
   * message waits on an agent, an agent's or bot's answer waits on the customer (a help desk's
   * open vs pending; SLAs pause on 'customer'). Derived from the messages, never stored apart.
   */
  waitingOn?: 'agent' | 'customer';
  /** Free-form labels, e.g. an order number an integration tagged the conversation with. */
  tags: string[];
  /**
   * Small channel-provided facts shown to agents (an e-mail ticket's subject, sender address, cc).
   * Bounded by the bus (MAX_META_KEYS keys, MAX_META_VALUE chars a value) so it stays one cheap row column.
   */
  meta?: Record<string, string>;
  /** The satisfaction survey, once the conversation was resolved in a queue that asks for one. */
  csat?: Csat;
}

/** What an adapter hands to ChannelContext.ingest: a message before it has ids or a conversation. */
export interface InboundMessage {
  ref: ConversationRef;
  customer: { externalId: string; name?: string };
  sourceId?: string;
  content: Content;
  sentAt?: Date;
  /** Entry-point hints (widget data-queue, API field) that routing may use. */
  hints?: { queue?: string };
  /** Merged into the conversation's meta on ingest; a key set to '' removes it. */
  meta?: Record<string, string>;
  /**
   * The vendor never redelivers a refused message (Twilio, most SMS gateways): over the customer
   * quota it is stored and shown to agents instead of refused, but the classify and decide stages
   * (the bot) skip it, so a flood triggers no paid automatic replies. Vendors that retry (SMTP's
   * 451, Feishu, DingTalk) are refused as usual and come back later.
   */
  keepOverQuota?: boolean;
}

export function textOf(content: Content): string {
  if (content.kind === 'text') return content.text;
  if (content.kind === 'media') return content.caption ?? `[${content.attachments.map((a) => a.kind).join(', ')}]`;
  return content.text ?? '';
}

export function refKey(ref: ConversationRef): string {
  return `${ref.channel}:${ref.account}:${ref.thread}`;
}
