import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Conversation, ConversationRef, Message } from '../model/message.js';
import type { AgentRecord, ChannelStateStore, ConversationQuery, MediaRecord, MessageQuery, OutboxStore, Store, TokenStore } from './store.js';
import { MIGRATIONS } from './migrations.js';
import { idTimePrefix } from '../model/ids.js';

const idAt = (ms: number) => `M${idTimePrefix(ms)}`;
import { InlineWriter, ThreadWriter, type Writer } from './writer.js';
import { configure } from './sqlite-ops.js';
import type { WriteOp } from './sqlite-ops.js';
import { SqliteChannelState, SqliteOutboxStore, SqliteTokenStore } from './sqlite-api-tables.js';
import { ConversationCache } from './conversation-cache.js';
import { SqliteContactStore } from './sqlite-contacts.js';
import type { ContactStore } from '../contacts/types.js';
import { decodeCsat, encodeCsat } from './csat-column.js';
import { SqliteSearchStore, SqliteSnoozeStore } from './sqlite-search.js';
import type { SearchStore, SnoozeStore } from './search-store.js';

type Row = Record<string, any>;

const CACHE_LIMIT = 50_000;

export interface SqliteStoreOptions {
  path: string;
  commitIntervalMs?: number;
  synchronous?: 'full' | 'normal';
  /** thread (default): commits on a writer thread, the event loop never waits on fsync; inline: on the main connection. */
  writer?: 'thread' | 'inline';
  onCommit?: (size: number, seconds: number) => void;
}

/**
 * The embedded store. better-sqlite3 is synchronous, which makes group commit simple: a
 * batch is one transaction executed in one tick. Conversations are cached write-through
 * so a conversation created in a batch that has not committed yet is still found by ref.
 */
export class SqliteStore implements Store {
  readonly db: Database.Database;
  private writer: Writer;
  // Evicting is safe once nothing is queued: committed rows can be read back.
  private convCache = new ConversationCache(() => this.writer.pending === 0, CACHE_LIMIT);
  /**
   * Every source id (client id) stored per conversation, loaded from disk on a conversation's
   * first dedupe check and kept up to date by appendMessage: the check every message makes
   * becomes a Set lookup, only a real duplicate reads its row back, and no index has to be
   * written per message (migration 4). One process owns the database file, so the set is whole.
   */
  private sources = new Map<string, { ids: Set<string>; loading?: Promise<void> }>();
  private stmts: Record<string, Database.Statement>;
  readonly tokens: TokenStore;
  readonly outbox: OutboxStore;
  readonly channelState: ChannelStateStore;
  readonly contacts: ContactStore;
  readonly search: SearchStore;
  readonly snoozes: SnoozeStore;

  constructor(opts: SqliteStoreOptions) {
    if (opts.path !== ':memory:') mkdirSync(dirname(opts.path), { recursive: true });
    this.db = new Database(opts.path);
    configure(this.db, opts.synchronous);
    this.migrate();
    this.writer = opts.path === ':memory:' || opts.writer === 'inline'
      ? new InlineWriter(this.db, opts.commitIntervalMs ?? 2, opts.onCommit)
      : new ThreadWriter(opts.path, opts.synchronous ?? 'full', opts.onCommit);
    const p = (sql: string) => this.db.prepare(sql);
    this.stmts = {
      convById: p('SELECT * FROM conversations WHERE id = ?'),
      convByRef: p('SELECT * FROM conversations WHERE channel = ? AND account = ? AND thread = ?'),
      convByTag: p('SELECT c.* FROM conversation_tags t JOIN conversations c ON c.id = t.conversation_id WHERE t.tag = ? ORDER BY c.updated_at DESC LIMIT 50'),
      convMax: p('SELECT MAX(seq) AS seq, MAX(sent_at) AS at FROM messages WHERE conversation_id = ?'),
      // Backwards through (conversation_id, seq): a handful of rows, and only on a cache miss.
      convLastPublic: p(`SELECT direction FROM messages WHERE conversation_id = ? AND private = 0
        AND json_extract(content, '$.kind') != 'event' ORDER BY seq DESC LIMIT 1`),
      msgById: p('SELECT * FROM messages WHERE id = ?'),
      msgAt: p('SELECT * FROM messages WHERE conversation_id = ? AND sent_at = ? ORDER BY seq'),
      msgThread: p('SELECT * FROM messages WHERE conversation_id = ? AND thread_id = ? ORDER BY seq LIMIT ?'),
      convPage: p('SELECT * FROM conversations WHERE id > ? ORDER BY id LIMIT ?'),
      msgBySource: p('SELECT * FROM messages WHERE conversation_id = ? AND source_id = ?'),
      sourceIds: p('SELECT source_id FROM messages WHERE conversation_id = ? AND source_id IS NOT NULL').pluck(),
      msgAfter: p('SELECT * FROM messages WHERE conversation_id = ? AND seq > ? ORDER BY seq LIMIT ?'),
      msgBefore: p('SELECT * FROM (SELECT * FROM messages WHERE conversation_id = ? AND seq < ? ORDER BY seq DESC LIMIT ?) ORDER BY seq'),
      msgBetween: p('SELECT * FROM messages WHERE id > ? AND id < ? ORDER BY id LIMIT ?'),
      agentById: p('SELECT * FROM agents WHERE id = ?'),
      agentByLogin: p('SELECT * FROM agents WHERE login = ?'),
      agentList: p('SELECT * FROM agents ORDER BY created_at'),
      sessionGet: p('SELECT * FROM sessions WHERE token_hash = ?'),
      sessionPurge: p('DELETE FROM sessions WHERE expires_at < ?'),
      mediaGet: p('SELECT * FROM media WHERE id = ?'),
      metaGet: p('SELECT value FROM meta WHERE key = ?'),
    };
    this.stmts.sessionPurge.run(Date.now());
    const enqueue = (op: WriteOp) => this.writer.enqueue(op);
    this.tokens = new SqliteTokenStore(this.db, enqueue);
    this.outbox = new SqliteOutboxStore(this.db, enqueue);
    this.channelState = new SqliteChannelState(this.db, enqueue);
    const settled = () => this.writer.settled();
    this.contacts = new SqliteContactStore(this.db, enqueue, settled);
    this.search = new SqliteSearchStore(this.db, enqueue, settled, (rows) => rows.map((r) => this.convCache.get(r.id) ?? this.load(r)));
    this.snoozes = new SqliteSnoozeStore(this.db, enqueue, settled);
  }

  private migrate(): void {
    const version = this.db.pragma('user_version', { simple: true }) as number;
    for (let v = version; v < MIGRATIONS.length; v++) {
      this.db.transaction(() => {
        this.db.exec(MIGRATIONS[v]);
        this.db.pragma(`user_version = ${v + 1}`);
      })();
    }
  }

  get schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  async getConversation(id: string): Promise<Conversation | undefined> {
    const hit = this.convCache.get(id);
    if (hit) return hit;
    const row = this.stmts.convById.get(id) as Row | undefined;
    return row ? this.load(row) : undefined;
  }

  async findConversationByRef(ref: ConversationRef): Promise<Conversation | undefined> {
    const id = this.convCache.idOf(ref);
    if (id) return this.getConversation(id);
    const row = this.stmts.convByRef.get(ref.channel, ref.account, ref.thread) as Row | undefined;
    return row ? this.load(row) : undefined;
  }

  async findConversationsByTag(tag: string): Promise<Conversation[]> {
    await this.writer.settled();
    return (this.stmts.convByTag.all(tag) as Row[]).map((r) => this.convCache.get(r.id) ?? this.load(r));
  }

  async findConversationsByCustomer(customerId: string): Promise<Conversation[]> {
    await this.writer.settled();
    return (this.db.prepare('SELECT * FROM conversations WHERE customer_id = ? ORDER BY updated_at DESC LIMIT 20').all(customerId) as Row[])
      .map((r) => this.convCache.get(r.id) ?? this.load(r));
  }

  async listConversations(q: ConversationQuery): Promise<Conversation[]> {
    await this.writer.settled(); // a list must include conversations whose creation is in flight
    const where: string[] = [];
    const args: unknown[] = [];
    if (q.status?.length) { where.push(`status IN (${q.status.map(() => '?').join(',')})`); args.push(...q.status); }
    if (q.assigneeId) { where.push('assignee_id = ?'); args.push(q.assigneeId); }
    if (q.updatedSince) { where.push('updated_at >= ?'); args.push(q.updatedSince.getTime()); }
    const sql = `SELECT * FROM conversations ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY COALESCE(queued_at, updated_at) ASC LIMIT ?`;
    args.push(q.limit ?? 500);
    return (this.db.prepare(sql).all(...args) as Row[]).map((r) => this.convCache.get(r.id) ?? this.load(r));
  }

  saveConversation(conv: Conversation): Promise<void> {
    this.convCache.put(conv);
    return this.writer.enqueue({ op: 'convUpsert', row: conversationToRow(conv), tags: [...conv.tags] });
  }

  /**
   * One INSERT per message and nothing else: the conversation row's last_seq is not rewritten per
   * message (loading a conversation takes MAX(seq) from its messages), which keeps the hot path cheap.
   */
  appendMessage(msg: Message, _conv: Conversation, deliverTo?: string): Promise<void> {
    const known = msg.sourceId ? this.sources.get(msg.conversationId) : undefined;
    if (known) {
      // The bus checks findMessageBySource first (which loads the set); this is the guard behind it.
      if (known.ids.has(msg.sourceId!)) return Promise.reject(new Error(`source id ${msg.sourceId} is already stored in conversation ${msg.conversationId}`));
      known.ids.add(msg.sourceId!);
    }
    // A write that failed stored nothing: its source id may be sent again.
    const op: WriteOp = deliverTo ? { op: 'msgInsert', row: messageToRow(msg), outbox: deliverTo, now: Date.now() } : { op: 'msgInsert', row: messageToRow(msg) };
    return this.writer.enqueue(op, known ? () => { known.ids.delete(msg.sourceId!); } : undefined);
  }

  /** A conversation read from disk: its last seq and message time come from its messages. */
  private load(row: Row): Conversation {
    const conv = rowToConversation(row);
    const max = this.stmts.convMax.get(conv.id) as Row;
    if (max.seq !== null && max.seq > conv.lastSeq) conv.lastSeq = max.seq;
    if (max.at !== null && (!conv.lastMessageAt || max.at > conv.lastMessageAt.getTime())) conv.lastMessageAt = new Date(max.at);
    const last = this.stmts.convLastPublic.get(conv.id) as Row | undefined;
    if (last) conv.waitingOn = last.direction === 'inbound' ? 'agent' : 'customer';
    return this.convCache.put(conv);
  }

  async getMessage(id: string): Promise<Message | undefined> {
    const r = this.stmts.msgById.get(id) as Row | undefined;
    return r ? rowToMessage(r) : undefined;
  }

  async findMessagesAt(conversationId: string, sentAtMs: number): Promise<Message[]> {
    await this.writer.settled();
    return (this.stmts.msgAt.all(conversationId, sentAtMs) as Row[]).map(rowToMessage);
  }

  async listThread(conversationId: string, rootId: string, limit = 1000): Promise<Message[]> {
    return (this.stmts.msgThread.all(conversationId, rootId, limit) as Row[]).map(rowToMessage);
  }

  updateMessage(msg: Message): Promise<void> {
    return this.writer.enqueue({ op: 'msgUpdate', id: msg.id, content: JSON.stringify(msg.content), editedAt: msg.editedAt?.getTime() ?? null, deleted: msg.deleted ? 1 : 0 });
  }

  async pageConversations(afterId: string, limit: number, status?: string[]): Promise<Conversation[]> {
    await this.writer.settled();
    const rows = status?.length
      ? this.db.prepare(`SELECT * FROM conversations WHERE id > ? AND status IN (${status.map(() => '?').join(',')}) ORDER BY id LIMIT ?`).all(afterId, ...status, limit)
      : this.stmts.convPage.all(afterId, limit);
    return (rows as Row[]).map((r) => this.convCache.get(r.id) ?? this.load(r));
  }

  async findMessageBySource(conversationId: string, sourceId: string): Promise<Message | undefined> {
    let known = this.sources.get(conversationId);
    if (!known) {
      // Registered before loading, so appends made meanwhile are recorded; writes enqueued before
      // it are on disk once settled() resolves, and the load reads them.
      const ids = new Set<string>();
      known = { ids, loading: this.writer.settled().then(() => { for (const id of this.stmts.sourceIds.all(conversationId) as string[]) ids.add(id); })
        .catch((err) => { this.sources.delete(conversationId); throw err; }) }; // never trust a half-loaded set
      this.sources.set(conversationId, known);
      if (this.sources.size > CACHE_LIMIT) this.sources.delete(this.sources.keys().next().value!); // reloads on next use
    }
    if (known.loading) { await known.loading; known.loading = undefined; }
    if (!known.ids.has(sourceId)) return undefined;
    const row = this.stmts.msgBySource.get(conversationId, sourceId) as Row | undefined;
    return row ? rowToMessage(row) : undefined;
  }

  async listMessages(conversationId: string, q: MessageQuery): Promise<Message[]> {
    await this.writer.settled(); // history reads see every write this process has queued
    const limit = Math.min(Math.max(q.limit ?? 100, 1), 1000);
    const rows = q.beforeSeq !== undefined
      ? this.stmts.msgBefore.all(conversationId, q.beforeSeq, limit)
      : this.stmts.msgAfter.all(conversationId, q.afterSeq ?? 0, limit);
    return (rows as Row[]).map(rowToMessage);
  }

  /** By server receive time: message ids start with it (see model/ids.ts). */
  async listMessagesBetween(from: Date, to: Date, afterId = '', limit = 1000): Promise<Message[]> {
    await this.writer.settled();
    const lo = idAt(from.getTime());
    return (this.stmts.msgBetween.all(afterId > lo ? afterId : lo, idAt(to.getTime()), limit) as Row[]).map(rowToMessage);
  }

  // Rare writes also go through the writer: on the main connection they would wait on the writer
  // thread's lock (busy_timeout) with the event loop blocked.
  createAgent(a: AgentRecord): Promise<void> {
    const r = agentToRow(a);
    return this.run(`INSERT INTO agents (id, login, name, role, password_hash, capacity, skills, disabled, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      r.id, r.login, r.name, r.role, r.password_hash, r.capacity, r.skills, r.disabled, r.created_at);
  }
  updateAgent(a: AgentRecord): Promise<void> {
    const r = agentToRow(a);
    return this.run('UPDATE agents SET name = ?, role = ?, password_hash = ?, capacity = ?, skills = ?, disabled = ? WHERE id = ?',
      r.name, r.role, r.password_hash, r.capacity, r.skills, r.disabled, r.id);
  }
  private run(sql: string, ...args: unknown[]): Promise<void> { return this.writer.enqueue({ op: 'run', sql, args }); }
  async getAgent(id: string): Promise<AgentRecord | undefined> { return rowToAgent(this.stmts.agentById.get(id) as Row); }
  async getAgentByLogin(login: string): Promise<AgentRecord | undefined> { return rowToAgent(this.stmts.agentByLogin.get(login) as Row); }
  async listAgents(): Promise<AgentRecord[]> { return (this.stmts.agentList.all() as Row[]).map((r) => rowToAgent(r)!); }

  createSession(tokenHash: string, agentId: string, expiresAt: Date): Promise<void> {
    return this.run('INSERT INTO sessions (token_hash, agent_id, expires_at) VALUES (?, ?, ?)', tokenHash, agentId, expiresAt.getTime());
  }
  async getSession(tokenHash: string) {
    const row = this.stmts.sessionGet.get(tokenHash) as Row | undefined;
    return row ? { agentId: row.agent_id as string, expiresAt: new Date(row.expires_at) } : undefined;
  }
  deleteSession(tokenHash: string): Promise<void> { return this.run('DELETE FROM sessions WHERE token_hash = ?', tokenHash); }

  /** Through the writer: a main-connection write would wait on the writer's lock (and block the event loop). */
  putMedia(m: MediaRecord): Promise<void> {
    return this.writer.enqueue({ op: 'mediaInsert', args: [m.id, m.mime, m.size, m.name ?? null, m.owner, m.createdAt.getTime(), m.width ?? null, m.height ?? null] });
  }
  /** No wait on the writer: an upload is answered only after its row has committed. */
  async getMedia(id: string): Promise<MediaRecord | undefined> {
    const r = this.stmts.mediaGet.get(id) as Row | undefined;
    return r ? { id: r.id, mime: r.mime, size: r.size, name: r.name ?? undefined, owner: r.owner, createdAt: new Date(r.created_at),
      width: r.width ?? undefined, height: r.height ?? undefined } : undefined;
  }

  async getMeta(key: string): Promise<string | undefined> { return (this.stmts.metaGet.get(key) as Row | undefined)?.value; }
  setMeta(key: string, value: string): Promise<void> {
    return this.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', key, value);
  }

  async close(): Promise<void> {
    await this.writer.settled();
    if (this.db.open) this.db.close();
  }
}

const d = (v: number | null | undefined) => (v == null ? undefined : new Date(v));

function conversationToRow(c: Conversation): Row {
  return {
    id: c.id, channel: c.ref.channel, account: c.ref.account, thread: c.ref.thread, customer_id: c.customer.id,
    customer_name: c.customer.name ?? null, status: c.status, queue: c.queue, priority: c.priority,
    intent_label: c.intent?.label ?? null, intent_score: c.intent?.score ?? null, ai_weight: c.aiWeight,
    assignee_id: c.assigneeId ?? null, created_at: c.createdAt.getTime(), updated_at: c.updatedAt.getTime(),
    queued_at: c.queuedAt?.getTime() ?? null, last_seq: c.lastSeq, last_message_at: c.lastMessageAt?.getTime() ?? null,
    tags: JSON.stringify(c.tags),
    meta: c.meta && Object.keys(c.meta).length ? JSON.stringify(c.meta) : null,
    csat: encodeCsat(c.csat),
  };
}

function rowToConversation(r: Row): Conversation {
  return {
    id: r.id, ref: { channel: r.channel, account: r.account, thread: r.thread },
    customer: { id: r.customer_id, role: 'customer', name: r.customer_name ?? undefined },
    status: r.status, queue: r.queue, priority: r.priority,
    intent: r.intent_label ? { label: r.intent_label, score: r.intent_score } : undefined,
    aiWeight: r.ai_weight, assigneeId: r.assignee_id ?? undefined, createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at), queuedAt: d(r.queued_at), lastSeq: r.last_seq, lastMessageAt: d(r.last_message_at),
    tags: JSON.parse(r.tags),
    ...(r.meta ? { meta: JSON.parse(r.meta) } : {}),
    ...(r.csat ? { csat: decodeCsat(r.csat) } : {}),
  };
}

/** In MESSAGE_COLUMNS order. */
function messageToRow(m: Message): unknown[] {
  return [m.id, m.conversationId, m.seq, m.sourceId ?? null, m.direction, m.from.id, m.from.role, m.from.name ?? null,
    JSON.stringify(m.content), m.sentAt.getTime(), m.private ? 1 : 0, m.intent?.label ?? null, m.intent?.score ?? null,
    m.threadId ?? null];
}

function rowToMessage(r: Row): Message {
  return {
    id: r.id, seq: r.seq, conversationId: r.conversation_id, sourceId: r.source_id ?? undefined, direction: r.direction,
    from: { id: r.from_id, role: r.from_role, name: r.from_name ?? undefined }, content: JSON.parse(r.content),
    sentAt: new Date(r.sent_at), private: r.private === 1 || undefined,
    intent: r.intent_label ? { label: r.intent_label, score: r.intent_score } : undefined,
    threadId: r.thread_id ?? undefined, editedAt: d(r.edited_at), deleted: r.deleted === 1 || undefined,
  };
}

function agentToRow(a: AgentRecord): Row {
  return { id: a.id, login: a.login, name: a.name, role: a.role, password_hash: a.passwordHash, capacity: a.capacity,
    skills: JSON.stringify(a.skills), disabled: a.disabled ? 1 : 0, created_at: a.createdAt.getTime() };
}

function rowToAgent(r: Row | undefined): AgentRecord | undefined {
  if (!r) return undefined;
  return { id: r.id, login: r.login, name: r.name, role: r.role, passwordHash: r.password_hash, capacity: r.capacity,
    skills: JSON.parse(r.skills), disabled: r.disabled === 1, createdAt: new Date(r.created_at) };
}
