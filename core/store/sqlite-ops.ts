import type Database from 'better-sqlite3';

/**
 * Every write the hot path makes, as plain data: the same operations run on the main thread
 * (inline writer) or in the writer thread, which owns its own connection.
 */
export type WriteOp =
  /** Values in MESSAGE_COLUMNS order: positional binding, and a smaller JSON batch to the writer thread. */
  | { op: 'msgInsert'; row: unknown[]; outbox?: string; now?: number }
  | { op: 'convUpsert'; row: Record<string, unknown>; tags: string[] }
  | { op: 'msgUpdate'; id: string; content: string; editedAt: number | null; deleted: number }
  | { op: 'outboxAdd'; items: { target: string; orderingKey: string; payload: string; messageId?: string; notBefore?: number }[]; now: number }
  /** Rare writes (sessions, agents, tokens, outbox settles, channel state): one statement, prepared once per connection. */
  | { op: 'run'; sql: string; args: unknown[] }
  /** Several rare statements that must commit together or not at all (a contact link moves identities and marks the merge). */
  | { op: 'runAll'; steps: { sql: string; args: unknown[] }[] }
  | { op: 'mediaInsert'; args: [string, string, number, string | null, string, number, number | null, number | null] }
  /** The search index (sqlite-search.ts): one op per indexer batch, [message id, conversation id, sent at, space-joined words]. */
  | { op: 'searchPut'; rows: [string, string, number, string][]; only?: 'missing' }
  | { op: 'searchRemove'; ids: string[] };

export const MESSAGE_COLUMNS = ['id', 'conversation_id', 'seq', 'source_id', 'direction', 'from_id', 'from_role', 'from_name',
  'content', 'sent_at', 'private', 'intent_label', 'intent_score', 'thread_id'] as const;

export function prepareOps(db: Database.Database): (op: WriteOp) => void {
  const p = (sql: string) => db.prepare(sql);
  const msgInsert = p(`INSERT INTO messages (${MESSAGE_COLUMNS.join(', ')}) VALUES (${MESSAGE_COLUMNS.map(() => '?').join(', ')})`);
  const convUpsert = p(`INSERT INTO conversations (id, channel, account, thread, customer_id, customer_name, status, queue,
      priority, intent_label, intent_score, ai_weight, assignee_id, created_at, updated_at, queued_at, last_seq, last_message_at, tags, meta, csat)
    VALUES (@id, @channel, @account, @thread, @customer_id, @customer_name, @status, @queue, @priority, @intent_label,
      @intent_score, @ai_weight, @assignee_id, @created_at, @updated_at, @queued_at, @last_seq, @last_message_at, @tags, @meta, @csat)
    ON CONFLICT (id) DO UPDATE SET customer_name = excluded.customer_name, status = excluded.status, queue = excluded.queue,
      priority = excluded.priority, intent_label = excluded.intent_label, intent_score = excluded.intent_score,
      ai_weight = excluded.ai_weight, assignee_id = excluded.assignee_id, updated_at = excluded.updated_at,
      queued_at = excluded.queued_at, last_seq = excluded.last_seq, last_message_at = excluded.last_message_at, tags = excluded.tags,
      meta = excluded.meta, csat = excluded.csat`);
  const tagDelete = p('DELETE FROM conversation_tags WHERE conversation_id = ?');
  const tagInsert = p('INSERT OR IGNORE INTO conversation_tags (tag, conversation_id) VALUES (?, ?)');
  const msgUpdate = p('UPDATE messages SET content = ?, edited_at = ?, deleted = ? WHERE id = ?');
  const mediaInsert = p('INSERT INTO media (id, mime, size, name, owner, created_at, width, height) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const outboxAdd = p('INSERT INTO outbox (target, ordering_key, payload, next_at, created_at, message_id) VALUES (?, ?, ?, ?, ?, ?)');
  const statements = new Map<string, Database.Statement>();
  let search: ((o: Extract<WriteOp, { op: 'searchPut' | 'searchRemove' }>) => void) | undefined;
  return (o) => {
    switch (o.op) {
      case 'msgInsert':
        msgInsert.run(o.row);
        // Column 1 is conversation_id, 0 the message id: the send is recorded with the message.
        // next_at 0: due at once, whatever clock the dispatcher runs on.
        if (o.outbox) outboxAdd.run(o.outbox, o.row[1], '', 0, o.now, o.row[0]);
        return;
      case 'run': {
        let st = statements.get(o.sql);
        if (!st) statements.set(o.sql, (st = db.prepare(o.sql)));
        st.run(...o.args);
        return;
      }
      case 'runAll':
        for (const step of o.steps) {
          let st = statements.get(step.sql);
          if (!st) statements.set(step.sql, (st = db.prepare(step.sql)));
          st.run(...step.args);
        }
        return;
      case 'convUpsert':
        convUpsert.run(o.row);
        tagDelete.run(o.row.id);
        for (const t of o.tags) tagInsert.run(t, o.row.id);
        return;
      case 'msgUpdate': msgUpdate.run(o.content, o.editedAt, o.deleted, o.id); return;
      case 'mediaInsert': mediaInsert.run(...o.args); return;
      case 'outboxAdd': for (const i of o.items) outboxAdd.run(i.target, i.orderingKey, i.payload, i.notBefore ?? 0, o.now, i.messageId ?? null); return;
      case 'searchPut': case 'searchRemove': (search ??= searchOps(db))(o); return;
    }
  };
}

/** Prepared on first use: a connection that never indexes (a CLI command) never compiles them. */
function searchOps(db: Database.Database): (o: Extract<WriteOp, { op: 'searchPut' | 'searchRemove' }>) => void {
  const upsert = db.prepare(`INSERT INTO search_docs (message_id, conversation_id, sent_at, tokens) VALUES (?, ?, ?, ?)
    ON CONFLICT (message_id) DO UPDATE SET tokens = excluded.tokens WHERE tokens != excluded.tokens`);
  const missing = db.prepare('INSERT INTO search_docs (message_id, conversation_id, sent_at, tokens) VALUES (?, ?, ?, ?) ON CONFLICT (message_id) DO NOTHING');
  const remove = db.prepare('DELETE FROM search_docs WHERE message_id = ?');
  return (o) => {
    if (o.op === 'searchRemove') { for (const id of o.ids) remove.run(id); return; }
    const st = o.only === 'missing' ? missing : upsert;
    for (const r of o.rows) st.run(r);
  };
}

/** Opens a connection the way every kefu connection is opened. */
export function configure(db: Database.Database, synchronous: 'full' | 'normal' | undefined): void {
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
  db.pragma('busy_timeout = 5000');
}
