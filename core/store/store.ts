import type { Conversation, ConversationRef, ConversationStatus, Message } from '../model/message.js';
import type { ContactStore } from '../contacts/types.js';
import type { SearchStore, SnoozeStore } from './search-store.js';

export interface AgentRecord {
  id: string;
  login: string;
  name: string;
  role: 'agent' | 'admin';
  passwordHash: string;
  capacity: number;
  /** Queues this agent serves; empty = all queues. */
  skills: string[];
  disabled: boolean;
  createdAt: Date;
}

export interface MediaRecord {
  id: string;
  mime: string;
  size: number;
  name?: string;
  /** Participant id that uploaded it. */
  owner: string;
  createdAt: Date;
  /** Images: pixel size from the header, so every message that names the media can reserve its space. */
  width?: number;
  height?: number;
}

export interface ApiTokenRecord { id: string; name: string; tokenHash: string; scopes: string[]; createdAt: Date; revokedAt?: Date }

export interface TokenStore {
  create(rec: ApiTokenRecord): Promise<void>;
  byHash(tokenHash: string): Promise<ApiTokenRecord | undefined>;
  byNameOrId(nameOrId: string): Promise<ApiTokenRecord | undefined>;
  list(): Promise<ApiTokenRecord[]>;
  revoke(id: string): Promise<void>;
}

/**
 * Delivery states of an outbox item. Events and webhooks end `delivered`; a channel send goes
 * pending (queued) → sent (the vendor took it, `vendorId` kept) → delivered → read where the
 * vendor reports it, or `failed` (reason in lastError); `skipped` when the channel cannot show
 * that kind of message (an internal event on SMS).
 */
export type OutboxStatus = 'pending' | 'sent' | 'delivered' | 'read' | 'failed' | 'skipped';

export interface OutboxItem {
  id: number; target: string; orderingKey: string; payload: string; attempts: number; nextAt: number; status: OutboxStatus;
  lastError?: string;
  /** For channel sends: the message delivered, and the vendor's id for it once sent. */
  messageId?: string; vendorId?: string;
  createdAt: number; updatedAt?: number;
}

export interface OutboxAdd {
  target: string; orderingKey: string; payload: string; messageId?: string;
  /** Not offered before this time (ms, the dispatcher's clock): a durable delay, e.g. a survey sent a while after resolution. */
  notBefore?: number;
}

export interface OutboxSettle { status: OutboxStatus; attempts: number; nextAt: number; lastError?: string; vendorId?: string }

/**
 * Durable queue of outgoing deliveries (bot events, webhooks, every channel send to a vendor):
 * at least once, in order per key. All writes go through the store's writer.
 */
export interface OutboxStore {
  add(items: OutboxAdd[]): Promise<void>;
  /** The oldest pending item of each (target, key) whose turn it is (next_at ≤ now), of these targets only when given. */
  due(now: number, limit: number, targets?: readonly string[]): Promise<OutboxItem[]>;
  settle(id: number, s: OutboxSettle): Promise<void>;
  /** A failed item back in line (the agent's Retry): pending, due now, attempts from 0. */
  retry(id: number, now: number): Promise<void>;
  get(id: number): Promise<OutboxItem | undefined>;
  byMessage(messageIds: readonly string[]): Promise<Map<string, OutboxItem>>;
  byVendorId(target: string, vendorId: string): Promise<OutboxItem | undefined>;
  pending(target?: string): Promise<number>;
  /** Forgets settled items (sent, delivered, read, skipped, failed) last touched before `before`. */
  purge(before: number): Promise<void>;
  /** Per target: pending items and the creation time of the oldest (for metrics). */
  depth(): Promise<{ target: string; pending: number; oldestAt: number }[]>;
}

/** A small durable key-value store per channel (IMAP UIDs, vendor access tokens, cursors). */
export interface ChannelStateStore {
  get(channel: string, key: string): Promise<string | undefined>;
  set(channel: string, key: string, value: string): Promise<void>;
  delete(channel: string, key: string): Promise<void>;
}

export interface ConversationQuery {
  status?: ConversationStatus[];
  assigneeId?: string;
  /** Changed at or after this time (a bounded read of recent conversations: the CSAT totals at start). */
  updatedSince?: Date;
  limit?: number;
}

export interface MessageQuery {
  afterSeq?: number;
  beforeSeq?: number;
  limit?: number;
}

/**
 * The persistence contract. Every write resolves only once it is durable (committed);
 * implementations batch writes (group commit) and must keep a failed write from taking
 * its batch companions down with it. Reads see every write whose promise has resolved.
 * The in-process SQLite store implements it; mongo-store.ts is the shared one ([store] driver = "mongodb").
 */
export interface Store {
  /** Conversation by id, including ones whose creation is still being committed. */
  getConversation(id: string): Promise<Conversation | undefined>;
  findConversationByRef(ref: ConversationRef): Promise<Conversation | undefined>;
  /** Conversations tagged with an external reference such as an order number. */
  findConversationsByTag(tag: string): Promise<Conversation[]>;
  listConversations(q: ConversationQuery): Promise<Conversation[]>;
  /** The customer's conversations, newest first. */
  findConversationsByCustomer(customerId: string): Promise<Conversation[]>;
  saveConversation(conv: Conversation): Promise<void>;
  /**
   * Another node changed `conv` (cluster mode): a store that caches conversations updates its
   * copy in place (callers hold it). Absent where nothing is cached across processes.
   */
  refreshed?(conv: Conversation): void;

  /** Appends a message and advances its conversation's lastSeq in the same commit; with
   *  `deliverTo`, the message's outbox item (target `deliverTo`, key the conversation) is written
   *  in that same commit: never "message stored, delivery forgotten". Rejects with
   *  DuplicateSource when another writer (another node on a shared store) stored the same
   *  sourceId in the conversation first. */
  appendMessage(msg: Message, conv: Conversation, deliverTo?: string): Promise<void>;
  findMessageBySource(conversationId: string, sourceId: string): Promise<Message | undefined>;
  getMessage(id: string): Promise<Message | undefined>;
  /** Messages of a conversation sent at exactly this millisecond (Slack `ts` lookups). */
  findMessagesAt(conversationId: string, sentAtMs: number): Promise<Message[]>;
  /** A thread's replies (messages whose threadId is the root), oldest first. */
  listThread(conversationId: string, rootId: string, limit?: number): Promise<Message[]>;
  /** Stores an edit or deletion of a message's content (same id and seq). */
  updateMessage(msg: Message): Promise<void>;
  /** Conversations ordered by id after `afterId` (cursor pagination). */
  pageConversations(afterId: string, limit: number, status?: string[]): Promise<Conversation[]>;
  readonly tokens: TokenStore;
  readonly outbox: OutboxStore;
  readonly channelState: ChannelStateStore;
  /** Contacts, their identities and the audit of links and splits (core/contacts). */
  readonly contacts: ContactStore;
  /** Full-text search over messages, customers and labels (core/search). */
  readonly search: SearchStore;
  /** Snoozed conversations (core/search/snooze.ts keeps the one timer). */
  readonly snoozes: SnoozeStore;
  listMessages(conversationId: string, q: MessageQuery): Promise<Message[]>;
  /** Messages across conversations in time order (exports, analytics). */
  listMessagesBetween(from: Date, to: Date, afterId?: string, limit?: number): Promise<Message[]>;

  createAgent(agent: AgentRecord): Promise<void>;
  updateAgent(agent: AgentRecord): Promise<void>;
  getAgent(id: string): Promise<AgentRecord | undefined>;
  getAgentByLogin(login: string): Promise<AgentRecord | undefined>;
  listAgents(): Promise<AgentRecord[]>;

  createSession(tokenHash: string, agentId: string, expiresAt: Date): Promise<void>;
  getSession(tokenHash: string): Promise<{ agentId: string; expiresAt: Date } | undefined>;
  deleteSession(tokenHash: string): Promise<void>;

  putMedia(rec: MediaRecord): Promise<void>;
  getMedia(id: string): Promise<MediaRecord | undefined>;

  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
  /**
   * Sets `key` only if it has no value and returns the value that holds: processes starting
   * together on one shared database agree on one (the visitor-token secret). Absent: one process.
   */
  claimMeta?(key: string, value: string): Promise<string>;

  /** Commits everything pending, then closes. */
  close(): Promise<void>;
}

/** appendMessage lost a race for a sourceId to another writer: the stored one is the message. */
export class DuplicateSource extends Error {
  constructor(readonly conversationId: string, readonly sourceId: string) {
    super(`source id ${sourceId} is already stored in conversation ${conversationId}`);
    this.name = 'DuplicateSource';
  }
}
