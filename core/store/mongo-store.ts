import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { MongoClient, type Collection, type Db } from 'mongodb';
import { refKey, type Conversation, type ConversationRef, type Message } from '../model/message.js';
import { idTimePrefix } from '../model/ids.js';
import { KefuError } from '../errors.js';
import { DuplicateSource, type AgentRecord, type ChannelStateStore, type ConversationQuery, type MediaRecord, type MessageQuery, type Store, type TokenStore } from './store.js';
import { conversationFields, conversationKey, isDuplicateKey, keyId, messageDoc, toAgent, toConversation, toMedia, toMessage, type Doc } from './mongo-docs.js';
import { MongoChannelState, MongoOutboxStore, MongoTokenStore } from './mongo-tables.js';
import { WriteQueue } from './mongo-write-queue.js';
import { ensureIndexes } from './mongo-indexes.js';
import { ConversationCache } from './conversation-cache.js';
import { MongoContactStore } from './mongo-contacts.js';
import type { ContactStore } from '../contacts/types.js';
import { MongoSearchStore, MongoSnoozeStore } from './mongo-search.js';
import type { SearchStore, SnoozeStore } from './search-store.js';

const idAt = (ms: number) => `M${idTimePrefix(ms)}`;

export interface MongoStoreOptions {
  url: string;
  database: string;
  /** How long an outbox item claimed by a node that died stays with it; longer than any send attempt. */
  outboxLeaseMs?: number;
  /** Names this process on outbox leases; random per start unless given. */
  node?: string;
}

/**
 * The store on MongoDB, for gateways that share one database (issue 18). What several nodes must
 * agree on lives in the database, never in one process: a message's seq is taken with $inc on
 * its conversation, dedupe is a collision on a key-derived `_id`, outbox claims are leases taken
 * with findOneAndUpdate. The process keeps what the SQLite store keeps: conversation objects,
 * write-through (callers mutate and save the object they read, and a conversation whose creation
 * is still in flight is found by ref), and the order of its own writes per conversation.
 * Media bytes stay in the media service's directory ([store] media_dir); only their records are here.
 */
export class MongoStore implements Store {
  readonly tokens: TokenStore;
  readonly outbox: MongoOutboxStore;
  readonly channelState: ChannelStateStore;
  readonly contacts: ContactStore;
  readonly search: SearchStore;
  readonly snoozes: SnoozeStore;
  private queue = new WriteQueue();
  private convCache = new ConversationCache((id) => !this.queue.busy(convKey(id)));
  private convs: Collection<Doc>;
  private messages: Collection<Doc>;
  private agents: Collection<Doc>;
  private sessions: Collection<Doc>;
  private media: Collection<Doc>;
  private meta: Collection<Doc>;

  private constructor(private client: MongoClient, readonly db: Db, opts: MongoStoreOptions) {
    const c = (name: string) => db.collection<Doc>(name);
    this.convs = c('conversations'); this.messages = c('messages'); this.agents = c('agents');
    this.sessions = c('sessions'); this.media = c('media'); this.meta = c('meta');
    this.tokens = new MongoTokenStore(db);
    this.outbox = new MongoOutboxStore(db, this.queue, { node: opts.node ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`,
      leaseMs: opts.outboxLeaseMs ?? 10 * 60_000 });
    this.channelState = new MongoChannelState(db, this.queue);
    this.contacts = new MongoContactStore(db, this.queue);
    this.search = new MongoSearchStore(db, this.queue, (docs) => docs.map((d) => this.load(d)));
    this.snoozes = new MongoSnoozeStore(db, this.queue);
  }

  /** Connects, creates the indexes, and finishes what a crash interrupted (see recoverDeliveries). */
  static async open(opts: MongoStoreOptions): Promise<MongoStore> {
    const client = new MongoClient(opts.url, { appName: 'kefu', serverSelectionTimeoutMS: 10_000 });
    await client.connect();
    try {
      const store = new MongoStore(client, client.db(opts.database), opts);
      await ensureIndexes(store.db);
      await store.sessions.deleteMany({ expiresAt: { $lt: new Date() } });
      // One node today ([cluster] mode = "single"): every lease left is a dead predecessor's.
      await store.outbox.releaseLeases();
      await store.recoverDeliveries();
      return store;
    } catch (err) {
      await client.close().catch(() => {});
      throw err;
    }
  }

  /**
   * A message stored with `deliverTo` carries the target until its outbox item is written; one
   * still carrying it crashed between the two writes, and gets its item now (keyed by message,
   * so an item that was written is not doubled). Without transactions (the CI emulator has none
   * that roll back) this is what keeps "message stored, delivery forgotten" from happening.
   */
  private async recoverDeliveries(): Promise<void> {
    for await (const d of this.messages.find({ deliverTo: { $exists: true } }).sort({ id: 1 })) {
      await this.outbox.addForMessage(d.deliverTo, d.conversationId, d.id);
      await this.messages.updateOne({ _id: d._id }, { $unset: { deliverTo: '' } });
    }
  }

  /** A document just read is at least as new as what the cache holds, unless this node's own write is in flight (refreshed decides). */
  private load(d: Doc): Conversation {
    const hit = this.convCache.get(d.id);
    if (!hit) return this.remember(this.convCache.put(toConversation(d)));
    this.refreshed(toConversation(d));
    return hit;
  }

  /** Per cached conversation, each field as last read or written (JSON), for field-wise saves. */
  private known = new WeakMap<Conversation, Record<string, string>>();

  async getConversation(id: string): Promise<Conversation | undefined> {
    const hit = this.convCache.get(id);
    if (hit) return hit;
    const d = await this.convs.findOne({ id });
    return d ? this.load(d) : undefined;
  }

  async findConversationByRef(ref: ConversationRef): Promise<Conversation | undefined> {
    const id = this.convCache.idOf(ref);
    if (id) return this.getConversation(id);
    const d = await this.convs.findOne({ _id: conversationKey(ref) });
    return d ? this.load(d) : undefined;
  }

  private async findConversations(filter: Doc, sort: Doc, limit: number): Promise<Conversation[]> {
    await this.queue.settled(); // a list includes conversations whose creation is in flight
    return (await this.convs.find(filter).sort(sort).limit(limit).toArray()).map((d) => this.load(d));
  }

  findConversationsByTag(tag: string): Promise<Conversation[]> {
    return this.findConversations({ tags: tag }, { updatedAt: -1, id: 1 }, 50);
  }

  findConversationsByCustomer(customerId: string): Promise<Conversation[]> {
    return this.findConversations({ customerId }, { updatedAt: -1, id: 1 }, 20);
  }

  listConversations(q: ConversationQuery): Promise<Conversation[]> {
    const filter: Doc = {};
    if (q.status?.length) filter.status = { $in: q.status };
    if (q.assigneeId) filter.assigneeId = q.assigneeId;
    if (q.updatedSince) filter.updatedAt = { $gte: q.updatedSince };
    return this.findConversations(filter, { waitSince: 1, id: 1 }, q.limit ?? 500);
  }

  pageConversations(afterId: string, limit: number, status?: string[]): Promise<Conversation[]> {
    return this.findConversations({ id: { $gt: afterId }, ...(status?.length ? { status: { $in: status } } : {}) }, { id: 1 }, limit);
  }

  async reread(id: string): Promise<Conversation | undefined> {
    await this.queue.after(convKey(id)); // this node's own save of it goes first
    const d = await this.convs.findOne({ id });
    return d ? toConversation(d) : undefined;
  }

  refreshed(conv: Conversation): void {
    const key = convKey(conv.id);
    // A write of this node's own in flight goes first; the copy is applied after it (dropping it
    // would leave this node's next save writing the old status and assignee back).
    if (this.queue.busy(key)) return void this.queue.after(key).then(() => this.refreshed(conv));
    const hit = this.convCache.get(conv.id);
    // An older remote copy arriving late must not win.
    if (!hit || conv.updatedAt < hit.updatedAt) return;
    Object.assign(hit, conv, { lastSeq: Math.max(hit.lastSeq, conv.lastSeq) });
    // Optional fields cleared over there (assignee, queue wait) are absent from the copy.
    for (const k of ['assigneeId', 'queuedAt'] as const) if (!(k in conv)) delete hit[k];
    this.remember(hit);
  }

  /** What the database holds of `conv` as this node knows it: the base saveConversation diffs against. */
  private remember(conv: Conversation): Conversation {
    this.known.set(conv, fingerprint(conversationFields(conv)));
    return conv;
  }

  /**
   * One upsert keyed by the ref: a second conversation for a ref another one already has (two
   * nodes creating it at once) is refused as a conflict instead of stored twice. lastSeq only
   * grows here: the database's count, advanced by appendMessage, is the truth.
   */
  /**
   * Writes only the fields that changed since this node last read or wrote the document: several
   * nodes change one conversation (one assigns it, another merges the customer's meta), and a
   * whole-document write from a copy that had not yet heard of the other change would undo it.
   */
  saveConversation(conv: Conversation): Promise<void> {
    this.convCache.put(conv);
    return this.queue.run(convKey(conv.id), async () => {
      const max: Doc = { lastSeq: conv.lastSeq };
      if (conv.lastMessageAt) max.lastMessageAt = conv.lastMessageAt;
      const fields = conversationFields(conv);
      const now = fingerprint(fields);
      const before = this.known.get(conv);
      const changed = before ? Object.fromEntries(Object.entries(fields).filter(([k]) => before[k] !== now[k])) : fields;
      try {
        await this.convs.updateOne({ _id: conversationKey(conv.ref), id: conv.id }, {
          $set: { ...changed, updatedAt: fields.updatedAt },
          $setOnInsert: { channel: conv.ref.channel, account: conv.ref.account, thread: conv.ref.thread, customerId: conv.customer.id,
            createdAt: conv.createdAt },
          $max: max,
        }, { upsert: true });
        this.known.set(conv, now);
      } catch (err) {
        if (!isDuplicateKey(err)) throw err;
        this.convCache.forget(conv);
        throw new KefuError('conflict', `Another conversation is already stored for ${refKey(conv.ref)}.`);
      }
    });
  }

  /**
   * Takes the next seq from the conversation's document ($inc: atomic across nodes) and writes
   * it into `msg`, then inserts the message. A duplicate `_id` is a source id already stored;
   * its seq is handed back when nobody has taken a later one, so a refused retry leaves no gap.
   */
  appendMessage(msg: Message, conv: Conversation, deliverTo?: string): Promise<void> {
    return this.queue.run(convKey(conv.id), async () => {
      const update: Doc = { $inc: { lastSeq: 1 }, $max: { lastMessageAt: msg.sentAt } };
      if (!msg.private && msg.content.kind !== 'event') update.$set = { waitingOn: msg.direction === 'inbound' ? 'agent' : 'customer' };
      const convId = conversationKey(conv.ref);
      const taken = await this.convs.findOneAndUpdate({ _id: convId }, update, { returnDocument: 'after', projection: { lastSeq: 1 } });
      if (!taken) throw new KefuError('conversation_not_found');
      msg.seq = taken.lastSeq;
      const doc = messageDoc(msg);
      if (deliverTo) doc.deliverTo = deliverTo;
      try {
        await this.messages.insertOne(doc);
      } catch (err) {
        await this.convs.updateOne({ _id: convId, lastSeq: msg.seq }, { $inc: { lastSeq: -1 } }).catch(() => {});
        if (!isDuplicateKey(err)) throw err;
        throw msg.sourceId ? new DuplicateSource(conv.id, msg.sourceId) : new Error(`message ${msg.id} is already stored`);
      }
      if (conv.lastSeq < msg.seq) conv.lastSeq = msg.seq;
      if (deliverTo) {
        await this.outbox.addForMessage(deliverTo, conv.id, msg.id);
        await this.messages.updateOne({ _id: doc._id }, { $unset: { deliverTo: '' } });
      }
    });
  }

  async findMessageBySource(conversationId: string, sourceId: string): Promise<Message | undefined> {
    await this.queue.after(convKey(conversationId));
    const d = await this.messages.findOne({ _id: keyId('message-source', conversationId, sourceId) });
    return d ? toMessage(d) : undefined;
  }

  async getMessage(id: string): Promise<Message | undefined> {
    const d = await this.messages.findOne({ id });
    return d ? toMessage(d) : undefined;
  }

  async findMessagesAt(conversationId: string, sentAtMs: number): Promise<Message[]> {
    await this.queue.after(convKey(conversationId));
    return (await this.messages.find({ conversationId, sentAt: new Date(sentAtMs) }).sort({ seq: 1 }).toArray()).map(toMessage);
  }

  async listThread(conversationId: string, rootId: string, limit = 1000): Promise<Message[]> {
    return (await this.messages.find({ conversationId, threadId: rootId }).sort({ seq: 1 }).limit(limit).toArray()).map(toMessage);
  }

  updateMessage(msg: Message): Promise<void> {
    return this.queue.run(convKey(msg.conversationId), async () => {
      await this.messages.updateOne({ id: msg.id }, { $set: { content: JSON.stringify(msg.content), editedAt: msg.editedAt ?? null, deleted: !!msg.deleted } });
    });
  }

  async listMessages(conversationId: string, q: MessageQuery): Promise<Message[]> {
    await this.queue.after(convKey(conversationId)); // history reads see every write this process has queued
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 1000);
    if (q.beforeSeq !== undefined) {
      const docs = await this.messages.find({ conversationId, seq: { $lt: q.beforeSeq } }).sort({ seq: -1 }).limit(limit).toArray();
      return docs.reverse().map(toMessage);
    }
    return (await this.messages.find({ conversationId, seq: { $gt: q.afterSeq ?? 0 } }).sort({ seq: 1 }).limit(limit).toArray()).map(toMessage);
  }

  /** By server receive time: message ids start with it (see model/ids.ts). */
  async listMessagesBetween(from: Date, to: Date, afterId = '', limit = 1000): Promise<Message[]> {
    await this.queue.settled();
    const lo = idAt(from.getTime());
    const docs = await this.messages.find({ id: { $gt: afterId > lo ? afterId : lo, $lt: idAt(to.getTime()) } }).sort({ id: 1 }).limit(limit).toArray();
    return docs.map(toMessage);
  }

  /** Keyed by login: a second agent with a login is refused even where unique indexes are not enforced. */
  async createAgent(a: AgentRecord): Promise<void> {
    // The login is the _id: a second agent with one login (two nodes' first start) is refused.
    await this.agents.insertOne({ _id: keyId('agent', a.login), id: a.id, login: a.login, ...agentFields(a), createdAt: a.createdAt })
      .catch((err) => { throw isDuplicateKey(err) ? new KefuError('conflict', `agent "${a.login}" already exists`) : err; });
  }
  async updateAgent(a: AgentRecord): Promise<void> { await this.agents.updateOne({ id: a.id }, { $set: agentFields(a) }); }
  async getAgent(id: string): Promise<AgentRecord | undefined> { return toAgent(await this.agents.findOne({ id })); }
  async getAgentByLogin(login: string): Promise<AgentRecord | undefined> { return toAgent(await this.agents.findOne({ _id: keyId('agent', login) })); }
  async listAgents(): Promise<AgentRecord[]> { return (await this.agents.find({}).sort({ createdAt: 1, id: 1 }).toArray()).map((d) => toAgent(d)!); }

  /** Expired sessions are deleted at start and, on a real MongoDB, by the TTL index on expiresAt. */
  async createSession(tokenHash: string, agentId: string, expiresAt: Date): Promise<void> {
    await this.sessions.insertOne({ _id: keyId('session', tokenHash), agentId, expiresAt });
  }
  async getSession(tokenHash: string) {
    const d = await this.sessions.findOne({ _id: keyId('session', tokenHash) });
    return d ? { agentId: d.agentId as string, expiresAt: d.expiresAt as Date } : undefined;
  }
  async deleteSession(tokenHash: string): Promise<void> { await this.sessions.deleteOne({ _id: keyId('session', tokenHash) }); }

  async putMedia(m: MediaRecord): Promise<void> {
    await this.media.insertOne({ _id: keyId('media', m.id), id: m.id, mime: m.mime, size: m.size, name: m.name ?? null, owner: m.owner,
      createdAt: m.createdAt, width: m.width ?? null, height: m.height ?? null });
  }
  async getMedia(id: string): Promise<MediaRecord | undefined> { return toMedia(await this.media.findOne({ _id: keyId('media', id) })); }

  async getMeta(key: string): Promise<string | undefined> { return (await this.meta.findOne({ _id: keyId('meta', key) }))?.value; }
  async claimMeta(key: string, value: string): Promise<string> {
    try {
      await this.meta.insertOne({ _id: keyId('meta', key), key, value });
      return value;
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const held = await this.getMeta(key);
      if (held === undefined) throw err;
      return held;
    }
  }
  setMeta(key: string, value: string): Promise<void> {
    return this.queue.run(`meta\u0000${key}`, async () => {
      await this.meta.updateOne({ _id: keyId('meta', key) }, { $set: { key, value } }, { upsert: true });
    });
  }

  async close(): Promise<void> {
    await this.queue.settled();
    await this.client.close();
  }
}

const convKey = (id: string) => `conversation\u0000${id}`;

function agentFields(a: AgentRecord): Doc {
  return { name: a.name, role: a.role, passwordHash: a.passwordHash, capacity: a.capacity, skills: [...a.skills], disabled: a.disabled };
}

function fingerprint(fields: Doc): Record<string, string> {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, JSON.stringify(v) ?? 'undefined']));
}
