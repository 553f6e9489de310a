/**
 * Schema migrations, applied in order; PRAGMA user_version records the last one applied.
 * Never edit a released step: append a new one.
 */
export const MIGRATIONS: string[] = [
  `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE conversations (
     id TEXT PRIMARY KEY, channel TEXT NOT NULL, account TEXT NOT NULL, thread TEXT NOT NULL,
     customer_id TEXT NOT NULL, customer_name TEXT, status TEXT NOT NULL, queue TEXT NOT NULL,
     priority INTEGER NOT NULL DEFAULT 0, intent_label TEXT, intent_score REAL,
     ai_weight REAL NOT NULL DEFAULT 1, assignee_id TEXT, created_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL, queued_at INTEGER, last_seq INTEGER NOT NULL DEFAULT 0,
     last_message_at INTEGER, tags TEXT NOT NULL DEFAULT '[]',
     UNIQUE (channel, account, thread));
   CREATE INDEX conversations_status ON conversations (status, queued_at);
   CREATE INDEX conversations_assignee ON conversations (assignee_id, status);
   CREATE TABLE conversation_tags (tag TEXT NOT NULL, conversation_id TEXT NOT NULL, PRIMARY KEY (tag, conversation_id));
   CREATE TABLE messages (
     id TEXT PRIMARY KEY, conversation_id TEXT NOT NULL, seq INTEGER NOT NULL, source_id TEXT,
     direction TEXT NOT NULL, from_id TEXT NOT NULL, from_role TEXT NOT NULL, from_name TEXT,
     content TEXT NOT NULL, sent_at INTEGER NOT NULL, private INTEGER NOT NULL DEFAULT 0,
     intent_label TEXT, intent_score REAL,
     UNIQUE (conversation_id, seq));
   CREATE UNIQUE INDEX messages_source ON messages (conversation_id, source_id) WHERE source_id IS NOT NULL;
   CREATE INDEX messages_sent ON messages (sent_at, id);
   CREATE TABLE agents (
     id TEXT PRIMARY KEY, login TEXT NOT NULL UNIQUE, name TEXT NOT NULL, role TEXT NOT NULL,
     password_hash TEXT NOT NULL, capacity INTEGER NOT NULL, skills TEXT NOT NULL DEFAULT '[]',
     disabled INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
   CREATE TABLE sessions (token_hash TEXT PRIMARY KEY, agent_id TEXT NOT NULL, expires_at INTEGER NOT NULL);
   CREATE TABLE media (id TEXT PRIMARY KEY, mime TEXT NOT NULL, size INTEGER NOT NULL, name TEXT,
     owner TEXT NOT NULL, created_at INTEGER NOT NULL);`,
  // 2: Slack-compatible API — threads, edits/deletes, API tokens, the durable outbox for events/webhooks.
  `ALTER TABLE messages ADD COLUMN thread_id TEXT;
   ALTER TABLE messages ADD COLUMN edited_at INTEGER;
   ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX messages_thread ON messages (conversation_id, thread_id) WHERE thread_id IS NOT NULL;
   CREATE INDEX messages_conv_sent ON messages (conversation_id, sent_at);
   CREATE TABLE api_tokens (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, token_hash TEXT NOT NULL UNIQUE,
     scopes TEXT NOT NULL, created_at INTEGER NOT NULL, revoked_at INTEGER);
   CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, target TEXT NOT NULL, ordering_key TEXT NOT NULL,
     payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, status TEXT NOT NULL DEFAULT 'pending',
     last_error TEXT, created_at INTEGER NOT NULL);
   CREATE INDEX outbox_due ON outbox (status, next_at);
   CREATE INDEX outbox_key ON outbox (target, ordering_key, id);
   CREATE INDEX conversations_customer ON conversations (customer_id);`,
  // 3: fewer index writes per message (the hot path): ids are time-sortable, so time ranges use the
  // primary key, and ts lookups scan one conversation through (conversation_id, seq).
  `DROP INDEX messages_sent;
   DROP INDEX messages_conv_sent;`,
  // 4: (conversation_id, source_id) uniqueness moves from an index to the store's per-conversation
  // source-id sets (one process owns the file and every message goes through appendMessage):
  // the index cost a random B-tree page per message, ~8 µs of the writer thread's 23 (profiled).
  `DROP INDEX messages_source;`,
  // 5: the channel kit — every channel send to a vendor goes through the outbox with its message
  // (delivery state per message, the vendor's id for status callbacks); a key-value store per
  // channel; images keep their pixel size, so a message naming the media can reserve its space.
  `ALTER TABLE outbox ADD COLUMN message_id TEXT;
   ALTER TABLE outbox ADD COLUMN vendor_id TEXT;
   ALTER TABLE outbox ADD COLUMN updated_at INTEGER;
   CREATE INDEX outbox_message ON outbox (message_id) WHERE message_id IS NOT NULL;
   CREATE INDEX outbox_vendor ON outbox (target, vendor_id) WHERE vendor_id IS NOT NULL;
   ALTER TABLE media ADD COLUMN width INTEGER;
   ALTER TABLE media ADD COLUMN height INTEGER;
   CREATE TABLE channel_state (channel TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, updated_at INTEGER NOT NULL,
     PRIMARY KEY (channel, key)) WITHOUT ROWID;`,
  // 6: a small channel-provided metadata map per conversation (an e-mail ticket's subject, sender, cc),
  // JSON, NULL when empty so chat conversations cost nothing.
  `ALTER TABLE conversations ADD COLUMN meta TEXT;`,
  // 7: contacts (core/contacts): the person behind conversations, their identities (a key per
  // contact and kind: a customer id is an address with one owner, facts may be claimed by several),
  // and the audit of every link and split.
  `CREATE TABLE contacts (id TEXT PRIMARY KEY, name TEXT, name_key TEXT, company TEXT, attributes TEXT NOT NULL DEFAULT '{}',
     tags TEXT NOT NULL DEFAULT '[]', notes TEXT, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, merged_into TEXT);
   CREATE INDEX contacts_name ON contacts (name_key) WHERE merged_into IS NULL;
   CREATE TABLE contact_identities (key TEXT NOT NULL, contact_id TEXT NOT NULL, address INTEGER NOT NULL, verified INTEGER NOT NULL,
     source TEXT NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (key, contact_id, address)) WITHOUT ROWID;
   CREATE INDEX contact_identities_contact ON contact_identities (contact_id);
   CREATE UNIQUE INDEX contact_addresses ON contact_identities (key) WHERE address = 1;
   CREATE TABLE contact_audit (id INTEGER PRIMARY KEY AUTOINCREMENT, contact_id TEXT NOT NULL, at INTEGER NOT NULL, actor_id TEXT NOT NULL,
     actor_name TEXT, action TEXT NOT NULL, other_id TEXT, keys TEXT, reason TEXT);
   CREATE INDEX contact_audit_contact ON contact_audit (contact_id, id);`,
  // 8: the satisfaction survey of a resolved conversation (core/csat), JSON, NULL when none was asked.
  `ALTER TABLE conversations ADD COLUMN csat TEXT;`,
  // 9 (search, issue 17): the full-text index, fed after the write (core/search/indexer.ts) so the
  // message's own commit pays nothing; words arrive segmented (jieba for Chinese), so FTS5 only
  // splits on the spaces between them. Snoozes in a table of their own: the conversation row stays as it is.
  `CREATE TABLE search_docs (rowid INTEGER PRIMARY KEY, message_id TEXT NOT NULL UNIQUE, conversation_id TEXT NOT NULL,
     sent_at INTEGER NOT NULL, tokens TEXT NOT NULL);
   CREATE VIRTUAL TABLE search_fts USING fts5(tokens, content='search_docs', content_rowid='rowid', tokenize='unicode61 remove_diacritics 0');
   CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN
     INSERT INTO search_fts (rowid, tokens) VALUES (new.rowid, new.tokens); END;
   CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN
     INSERT INTO search_fts (search_fts, rowid, tokens) VALUES ('delete', old.rowid, old.tokens); END;
   CREATE TRIGGER search_docs_au AFTER UPDATE ON search_docs BEGIN
     INSERT INTO search_fts (search_fts, rowid, tokens) VALUES ('delete', old.rowid, old.tokens);
     INSERT INTO search_fts (rowid, tokens) VALUES (new.rowid, new.tokens); END;
   CREATE TABLE snoozes (conversation_id TEXT PRIMARY KEY, until INTEGER, until_reply INTEGER NOT NULL,
     agent_id TEXT NOT NULL, created_at INTEGER NOT NULL) WITHOUT ROWID;`,
];
