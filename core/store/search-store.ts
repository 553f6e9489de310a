import type { Conversation, ConversationStatus } from '../model/message.js';

/** One searchable message: its words as core/search/segment.ts cut them (lowercased, CJK segmented). */
export interface SearchDoc {
  messageId: string;
  conversationId: string;
  sentAt: number;
  tokens: string[];
}

/**
 * Every token must be in the message (AND); the conversation filters apply to the conversation as
 * it is now (its queue, assignee, status and labels when the search runs, not when the message was
 * written). Newest first; `beforeId` pages on.
 */
export interface SearchQuery {
  tokens: string[];
  channel?: string;
  queue?: string;
  assigneeId?: string;
  status?: ConversationStatus[];
  label?: string;
  /** Message time, ms since the epoch: from ≤ sentAt < to. */
  from?: number;
  to?: number;
  beforeId?: string;
  limit: number;
}

export interface SearchHit { messageId: string; conversationId: string }

/**
 * The full-text index, fed after the message is stored (core/search/indexer.ts): never on the
 * message's own commit. Writes are upserts keyed by message id, so indexing a message twice (a
 * catch-up after a crash re-reads a margin) is harmless.
 */
export interface SearchStore {
  /** `missing`: only messages not indexed yet (a catch-up must not overwrite a newer edit the live path wrote). */
  put(docs: SearchDoc[], only?: 'missing'): Promise<void>;
  remove(messageIds: string[]): Promise<void>;
  query(q: SearchQuery): Promise<SearchHit[]>;
  /**
   * Conversations whose customer name or id contains `text` (case-insensitive), newest first.
   * Contacts (issue 17, built alongside) will answer this from their own table; until then the
   * names conversations carry are what there is.
   */
  customers(text: string, limit: number): Promise<Conversation[]>;
  /** Labels (conversation tags) in use, most used first. */
  labels(limit: number): Promise<{ label: string; count: number }[]>;
}

/** A conversation put aside until a time, or until its customer writes again (or both: whichever comes first). */
export interface SnoozeRecord {
  conversationId: string;
  /** ms since the epoch; undefined: only the customer's next message wakes it. */
  until?: number;
  untilReply: boolean;
  agentId: string;
  createdAt: number;
}

export interface SnoozeStore {
  set(rec: SnoozeRecord): Promise<void>;
  clear(conversationId: string): Promise<void>;
  /** Every snooze in force (a handful per agent: read whole at start). */
  list(): Promise<SnoozeRecord[]>;
}
