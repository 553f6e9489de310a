import type Database from 'better-sqlite3';
import type { Conversation } from '../model/message.js';
import type { WriteOp } from './sqlite-ops.js';
import type { SearchDoc, SearchHit, SearchQuery, SearchStore, SnoozeRecord, SnoozeStore } from './search-store.js';

type Row = Record<string, any>;
type Enqueue = (op: WriteOp) => Promise<void>;

/** A token as an FTS5 string: tokens are letters and digits only, the quotes keep FTS5 syntax out anyway. */
const phrase = (t: string) => `"${t.replace(/"/g, '""')}"`;
const likeEscape = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * The FTS5 index (migration 7). Writes go through the writer like every other; the triggers on
 * search_docs keep search_fts in step inside the same statement, so one write op per message.
 */
export class SqliteSearchStore implements SearchStore {
  constructor(private db: Database.Database, private enqueue: Enqueue, private settled: () => Promise<void>,
    private load: (rows: Row[]) => Conversation[]) {}

  /** One write op for the whole batch: no SQL text per message crosses to the writer thread. */
  put(docs: SearchDoc[], only?: 'missing'): Promise<void> {
    if (docs.length === 0) return Promise.resolve();
    return this.enqueue({ op: 'searchPut', rows: docs.map((d) => [d.messageId, d.conversationId, d.sentAt, d.tokens.join(' ')]), ...(only ? { only } : {}) });
  }

  remove(ids: string[]): Promise<void> {
    return ids.length ? this.enqueue({ op: 'searchRemove', ids }) : Promise.resolve();
  }

  async query(q: SearchQuery): Promise<SearchHit[]> {
    if (q.tokens.length === 0) return [];
    await this.settled();
    const where = ['search_fts MATCH ?'];
    const args: unknown[] = [q.tokens.map(phrase).join(' ')];
    const add = (sql: string, ...v: unknown[]) => { where.push(sql); args.push(...v); };
    if (q.channel) add('c.channel = ?', q.channel);
    if (q.queue) add('c.queue = ?', q.queue);
    if (q.assigneeId) add('c.assignee_id = ?', q.assigneeId);
    if (q.status?.length) add(`c.status IN (${q.status.map(() => '?').join(',')})`, ...q.status);
    if (q.label) add('EXISTS (SELECT 1 FROM conversation_tags t WHERE t.tag = ? AND t.conversation_id = c.id)', q.label);
    if (q.from !== undefined) add('d.sent_at >= ?', q.from);
    if (q.to !== undefined) add('d.sent_at < ?', q.to);
    if (q.beforeId) add('d.message_id < ?', q.beforeId);
    args.push(q.limit);
    const rows = this.db.prepare(`SELECT d.message_id, d.conversation_id FROM search_fts JOIN search_docs d ON d.rowid = search_fts.rowid
      JOIN conversations c ON c.id = d.conversation_id WHERE ${where.join(' AND ')} ORDER BY d.message_id DESC LIMIT ?`).all(...args) as Row[];
    return rows.map((r) => ({ messageId: r.message_id, conversationId: r.conversation_id }));
  }

  async customers(text: string, limit: number): Promise<Conversation[]> {
    if (!text) return [];
    await this.settled();
    const like = `%${likeEscape(text.toLowerCase())}%`;
    return this.load(this.db.prepare(`SELECT * FROM conversations WHERE lower(COALESCE(customer_name, '')) LIKE ? ESCAPE '\\'
      OR lower(customer_id) LIKE ? ESCAPE '\\' ORDER BY updated_at DESC LIMIT ?`).all(like, like, limit) as Row[]);
  }

  async labels(limit: number): Promise<{ label: string; count: number }[]> {
    await this.settled();
    return (this.db.prepare('SELECT tag, COUNT(*) AS n FROM conversation_tags GROUP BY tag ORDER BY n DESC, tag LIMIT ?').all(limit) as Row[])
      .map((r) => ({ label: r.tag, count: r.n }));
  }
}

export class SqliteSnoozeStore implements SnoozeStore {
  constructor(private db: Database.Database, private enqueue: Enqueue, private settled: () => Promise<void>) {}

  set(r: SnoozeRecord): Promise<void> {
    return this.enqueue({ op: 'run', sql: `INSERT INTO snoozes (conversation_id, until, until_reply, agent_id, created_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (conversation_id) DO UPDATE SET until = excluded.until, until_reply = excluded.until_reply, agent_id = excluded.agent_id,
      created_at = excluded.created_at`, args: [r.conversationId, r.until ?? null, r.untilReply ? 1 : 0, r.agentId, r.createdAt] });
  }

  clear(id: string): Promise<void> {
    return this.enqueue({ op: 'run', sql: 'DELETE FROM snoozes WHERE conversation_id = ?', args: [id] });
  }

  async list(): Promise<SnoozeRecord[]> {
    await this.settled();
    return (this.db.prepare('SELECT * FROM snoozes ORDER BY conversation_id').all() as Row[]).map((r) => ({
      conversationId: r.conversation_id, until: r.until ?? undefined, untilReply: r.until_reply === 1, agentId: r.agent_id, createdAt: r.created_at }));
  }
}
