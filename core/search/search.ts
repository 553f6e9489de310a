import { KefuError } from '../errors.js';
import type { Conversation, ConversationStatus, Message } from '../model/message.js';
import type { Store } from '../store/store.js';
import type { SearchQuery } from '../store/search-store.js';
import { tokens } from './segment.js';

const STATUSES = new Set<ConversationStatus>(['bot', 'queued', 'assigned', 'pending', 'resolved']);
export const MAX_QUERY_CHARS = 200;
const MAX_WORDS = 12;
const MAX_LIMIT = 50;

/** What the search box sends, as strings (a query string). */
export type SearchParams = Partial<Record<'q' | 'channel' | 'queue' | 'agent' | 'status' | 'label' | 'from' | 'to' | 'before' | 'limit', string>>;

export interface SearchResult<C> {
  /** Matching messages, newest first, each with its conversation (to open it at that message). */
  messages: { message: Message; conversation: C }[];
  /** Conversations whose customer's name or id contains the query. */
  customers: C[];
  /** Without words but with a label: the conversations carrying it (newest first, the other filters applied). */
  labelled?: C[];
  /** Pass as `before` for the next page; absent on the last one. */
  next?: string;
  /** The words searched for, as cut (the client marks them in the results). */
  words: string[];
}

/**
 * A contacts directory answering name searches (the contacts part of issue 17 plugs in here);
 * without one, customers are found by the names their conversations carry.
 */
export type ContactSearch = (text: string, limit: number) => Promise<Conversation[]>;

/** Full-text search over messages, with conversation filters; the index itself is core/search/indexer.ts's. */
export class Search {
  constructor(private store: Store, private contacts?: ContactSearch) {}

  async run<C>(p: SearchParams, view: (c: Conversation) => C): Promise<SearchResult<C>> {
    const q = parseQuery(p);
    const text = (p.q ?? '').trim();
    const hits = q.tokens.length ? await this.store.search.query({ ...q, limit: q.limit + 1 }) : [];
    const more = hits.length > q.limit;
    const messages: SearchResult<C>['messages'] = [];
    const convs = new Map<string, Conversation | undefined>();
    for (const hit of hits.slice(0, q.limit)) {
      const m = await this.store.getMessage(hit.messageId);
      // The index trails the store by a tick: a message deleted since is not shown from the index's copy.
      if (!m || m.deleted) continue;
      if (!convs.has(hit.conversationId)) convs.set(hit.conversationId, await this.store.getConversation(hit.conversationId));
      const c = convs.get(hit.conversationId);
      if (c) messages.push({ message: m, conversation: view(c) });
    }
    let customers: Conversation[] = [];
    if (text && !p.before) {
      customers = await (this.contacts ?? ((t, n) => this.store.search.customers(t, n)))(text, 20);
      if (q.channel) customers = customers.filter((c) => c.ref.channel === q.channel);
      if (q.queue) customers = customers.filter((c) => c.queue === q.queue);
    }
    const labelled = !q.tokens.length && q.label ? (await this.store.findConversationsByTag(q.label)).filter((c) =>
      (!q.channel || c.ref.channel === q.channel) && (!q.queue || c.queue === q.queue) && (!q.assigneeId || c.assigneeId === q.assigneeId)
      && (!q.status?.length || q.status.includes(c.status))) : undefined;
    return { messages, customers: customers.map(view), next: more ? hits[q.limit - 1].messageId : undefined, words: q.tokens,
      ...(labelled ? { labelled: labelled.map(view) } : {}) };
  }
}

/** Query-string filters to a store query; anything malformed is a validation_failed naming the field. */
export function parseQuery(p: SearchParams): SearchQuery {
  const text = (p.q ?? '').trim();
  if (text.length > MAX_QUERY_CHARS) throw new KefuError('validation_failed', `q is longer than ${MAX_QUERY_CHARS} characters`);
  const words = tokens(text, 'query').slice(0, MAX_WORDS);
  const status = p.status ? p.status.split(',').filter(Boolean) : undefined;
  if (status?.some((s) => !STATUSES.has(s as ConversationStatus))) throw new KefuError('validation_failed', 'status: bot, queued, assigned, pending or resolved');
  const field = (k: 'channel' | 'queue' | 'agent' | 'label' | 'before', max: number) => {
    const v = p[k]?.trim();
    if (v && v.length > max) throw new KefuError('validation_failed', `${k} is longer than ${max} characters`);
    return v || undefined;
  };
  const limit = p.limit === undefined ? 20 : Number(p.limit);
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= MAX_LIMIT)) throw new KefuError('validation_failed', `limit must be 1-${MAX_LIMIT}`);
  return { tokens: words, channel: field('channel', 40), queue: field('queue', 40), assigneeId: field('agent', 64), label: field('label', 40),
    status: status as ConversationStatus[] | undefined, from: time(p.from, 'from'), to: time(p.to, 'to'), beforeId: field('before', 64), limit };
}

/** A date (2026-03-01, the start of that day UTC), a full ISO time, or milliseconds since the epoch. */
function time(v: string | undefined, key: string): number | undefined {
  if (!v) return undefined;
  const ms = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) throw new KefuError('validation_failed', `${key} must be a date (YYYY-MM-DD), an ISO time or milliseconds`);
  return ms;
}
