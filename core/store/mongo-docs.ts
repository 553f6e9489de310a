import { createHash } from 'node:crypto';
import { ObjectId } from 'mongodb';
import type { Conversation, ConversationRef, Message } from '../model/message.js';
import type { AgentRecord, ApiTokenRecord, MediaRecord, OutboxItem } from './store.js';
import { decodeCsat, encodeCsat } from './csat-column.js';

export type Doc = Record<string, any>;

/**
 * Every `_id` is an ObjectId derived from the record's natural key. A duplicate `_id` is refused
 * by every MongoDB-wire server, while unique secondary indexes are not enforced by the CI
 * emulator (and a 24-hex string `_id` is silently turned into an ObjectId there): keying on the
 * hash makes dedupe (conversation + source id), one conversation per ref and one agent per login
 * hold on both, across every node that shares the database.
 */
export function keyId(kind: string, ...parts: string[]): ObjectId {
  const h = createHash('sha256').update(kind);
  for (const p of parts) h.update('\u0000').update(p);
  return new ObjectId(h.digest().subarray(0, 12));
}

export const conversationKey = (ref: ConversationRef) => keyId('conversation', ref.channel, ref.account, ref.thread);

/** The message's `_id`: its source id decides when it has one, so a vendor's retry collides with the original. */
export const messageKey = (m: Message) => (m.sourceId ? keyId('message-source', m.conversationId, m.sourceId) : keyId('message', m.id));

/**
 * Real MongoDB reports 11000; the emulator reports an upsert that hits an existing `_id` as code 1
 * "Duplicate key error". Both mean the same thing to the store.
 */
export function isDuplicateKey(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  return !!e && (e.code === 11000 || e.code === 11001 || (typeof e.message === 'string' && /duplicate key/i.test(e.message)));
}

const opt = <T>(v: T | null | undefined): T | undefined => (v == null ? undefined : v);

/** The fields a save may change; the ref, customer id and creation time are fixed at insert. */
export function conversationFields(c: Conversation): Doc {
  return {
    customerName: c.customer.name ?? null, status: c.status, queue: c.queue, priority: c.priority,
    intent: c.intent ?? null, aiWeight: c.aiWeight, assigneeId: c.assigneeId ?? null, updatedAt: c.updatedAt,
    queuedAt: c.queuedAt ?? null, tags: [...c.tags],
    // listConversations orders by how long a conversation has waited: one indexed field instead of an $ifNull sort.
    waitSince: c.queuedAt ?? c.updatedAt,
    // A JSON string: channel-provided keys may hold dots or a leading $, which BSON field names may not.
    meta: c.meta && Object.keys(c.meta).length ? JSON.stringify(c.meta) : null,
    csat: encodeCsat(c.csat),
  };
}

export function toConversation(d: Doc): Conversation {
  return {
    id: d.id, ref: { channel: d.channel, account: d.account, thread: d.thread },
    customer: { id: d.customerId, role: 'customer', name: opt(d.customerName) },
    status: d.status, queue: d.queue, priority: d.priority, intent: opt(d.intent), aiWeight: d.aiWeight,
    assigneeId: opt(d.assigneeId), createdAt: d.createdAt, updatedAt: d.updatedAt, queuedAt: opt(d.queuedAt),
    lastSeq: d.lastSeq ?? 0, lastMessageAt: opt(d.lastMessageAt), waitingOn: opt(d.waitingOn), tags: d.tags ?? [],
    ...(d.meta ? { meta: JSON.parse(d.meta) } : {}),
    ...(d.csat ? { csat: decodeCsat(d.csat) } : {}),
  };
}

export function messageDoc(m: Message): Doc {
  return {
    _id: messageKey(m), id: m.id, conversationId: m.conversationId, seq: m.seq, sourceId: m.sourceId ?? null,
    direction: m.direction, from: { id: m.from.id, role: m.from.role, name: m.from.name ?? null },
    // Content is kept as the JSON the API speaks: Block Kit blocks are arbitrary vendor JSON.
    content: JSON.stringify(m.content), sentAt: m.sentAt, private: !!m.private, intent: m.intent ?? null,
    threadId: m.threadId ?? null, editedAt: null, deleted: false,
  };
}

export function toMessage(d: Doc): Message {
  return {
    id: d.id, seq: d.seq, conversationId: d.conversationId, sourceId: opt(d.sourceId), direction: d.direction,
    from: { id: d.from.id, role: d.from.role, name: opt(d.from.name) }, content: JSON.parse(d.content),
    sentAt: d.sentAt, private: d.private || undefined, intent: opt(d.intent), threadId: opt(d.threadId),
    editedAt: opt(d.editedAt), deleted: d.deleted || undefined,
  };
}

export function toAgent(d: Doc | null): AgentRecord | undefined {
  if (!d) return undefined;
  return { id: d.id, login: d.login, name: d.name, role: d.role, passwordHash: d.passwordHash, capacity: d.capacity,
    skills: d.skills, disabled: d.disabled, createdAt: d.createdAt };
}

export function toToken(d: Doc | null): ApiTokenRecord | undefined {
  if (!d) return undefined;
  return { id: d.id, name: d.name, tokenHash: d.tokenHash, scopes: d.scopes, createdAt: d.createdAt, revokedAt: opt(d.revokedAt) };
}

export function toMedia(d: Doc | null): MediaRecord | undefined {
  if (!d) return undefined;
  return { id: d.id, mime: d.mime, size: d.size, name: opt(d.name), owner: d.owner, createdAt: d.createdAt,
    width: opt(d.width), height: opt(d.height) };
}

export function toOutboxItem(d: Doc): OutboxItem {
  return { id: d.id, target: d.target, orderingKey: d.orderingKey, payload: d.payload, attempts: d.attempts, nextAt: d.nextAt,
    status: d.status, lastError: opt(d.lastError), messageId: opt(d.messageId), vendorId: opt(d.vendorId),
    createdAt: d.createdAt, updatedAt: opt(d.updatedAt) };
}
