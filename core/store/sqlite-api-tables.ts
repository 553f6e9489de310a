import type Database from 'better-sqlite3';
import type { ApiTokenRecord, ChannelStateStore, OutboxAdd, OutboxItem, OutboxSettle, OutboxStore, TokenStore } from './store.js';
import type { WriteOp } from './sqlite-ops.js';

type Row = Record<string, any>;

type Enqueue = (op: WriteOp) => Promise<void>;
const run = (enqueue: Enqueue, sql: string, ...args: unknown[]) => enqueue({ op: 'run', sql, args });

/**
 * API tokens (only their SHA-256 is stored). Writes go through the writer like every other: a
 * write on the main connection would wait on the writer thread's lock and block the event loop.
 */
export class SqliteTokenStore implements TokenStore {
  constructor(private db: Database.Database, private enqueue: Enqueue) {}

  create(r: ApiTokenRecord): Promise<void> {
    return run(this.enqueue, 'INSERT INTO api_tokens (id, name, token_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)',
      r.id, r.name, r.tokenHash, JSON.stringify(r.scopes), r.createdAt.getTime());
  }
  async byHash(h: string) { return toToken(this.db.prepare('SELECT * FROM api_tokens WHERE token_hash = ?').get(h) as Row); }
  async byNameOrId(k: string) { return toToken(this.db.prepare('SELECT * FROM api_tokens WHERE id = ? OR name = ?').get(k, k) as Row); }
  async list() { return (this.db.prepare('SELECT * FROM api_tokens ORDER BY created_at').all() as Row[]).map((r) => toToken(r)!); }
  revoke(id: string): Promise<void> { return run(this.enqueue, 'UPDATE api_tokens SET revoked_at = ? WHERE id = ?', Date.now(), id); }
}

function toToken(r: Row | undefined): ApiTokenRecord | undefined {
  return r ? { id: r.id, name: r.name, tokenHash: r.token_hash, scopes: JSON.parse(r.scopes), createdAt: new Date(r.created_at),
    revokedAt: r.revoked_at ? new Date(r.revoked_at) : undefined } : undefined;
}

/**
 * The outbox. An item is due when it is the oldest pending one of its (target, key) and its
 * next_at has passed: that gives in-order, one-at-a-time delivery per conversation.
 */
export class SqliteOutboxStore implements OutboxStore {
  /** due() runs every poll: its statement is prepared once per number of targets. */
  private dueStatements = new Map<number, Database.Statement>();

  constructor(private db: Database.Database, private enqueue: Enqueue) {}

  /** Goes through group commit: an event is durable before the message that caused it is acknowledged further. */
  add(items: OutboxAdd[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return this.enqueue({ op: 'outboxAdd', items, now: Date.now() });
  }

  async due(now: number, limit: number, targets?: readonly string[]): Promise<OutboxItem[]> {
    if (targets && targets.length === 0) return [];
    const n = targets?.length ?? -1;
    let st = this.dueStatements.get(n);
    if (!st) {
      const only = targets ? `AND target IN (${targets.map(() => '?').join(',')})` : '';
      st = this.db.prepare(`SELECT o.* FROM outbox o JOIN (
          SELECT MIN(id) AS id FROM outbox WHERE status = 'pending' ${only} GROUP BY target, ordering_key) h ON h.id = o.id
        WHERE o.next_at <= ? ORDER BY o.id LIMIT ?`);
      this.dueStatements.set(n, st);
    }
    return (st.all(...(targets ?? []), now, limit) as Row[]).map(toItem);
  }

  settle(id: number, s: OutboxSettle): Promise<void> {
    return run(this.enqueue, 'UPDATE outbox SET status = ?, attempts = ?, next_at = ?, last_error = ?, vendor_id = COALESCE(?, vendor_id), updated_at = ? WHERE id = ?',
      s.status, s.attempts, s.nextAt, s.lastError ?? null, s.vendorId ?? null, Date.now(), id);
  }

  retry(id: number, now: number): Promise<void> {
    return run(this.enqueue, "UPDATE outbox SET status = 'pending', attempts = 0, next_at = ?, last_error = NULL, updated_at = ? WHERE id = ? AND status = 'failed'", now, now, id);
  }

  async get(id: number): Promise<OutboxItem | undefined> {
    const r = this.db.prepare('SELECT * FROM outbox WHERE id = ?').get(id) as Row | undefined;
    return r ? toItem(r) : undefined;
  }

  async byMessage(ids: readonly string[]): Promise<Map<string, OutboxItem>> {
    const out = new Map<string, OutboxItem>();
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const rows = this.db.prepare(`SELECT * FROM outbox WHERE message_id IN (${chunk.map(() => '?').join(',')})`).all(...chunk) as Row[];
      for (const r of rows) out.set(r.message_id, toItem(r));
    }
    return out;
  }

  async byVendorId(target: string, vendorId: string): Promise<OutboxItem | undefined> {
    const r = this.db.prepare('SELECT * FROM outbox WHERE target = ? AND vendor_id = ? ORDER BY id DESC LIMIT 1').get(target, vendorId) as Row | undefined;
    return r ? toItem(r) : undefined;
  }

  async pending(target?: string): Promise<number> {
    const r = target
      ? this.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending' AND target = ?").get(target)
      : this.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'").get();
    return (r as Row).n;
  }

  purge(before: number): Promise<void> {
    return run(this.enqueue, "DELETE FROM outbox WHERE status != 'pending' AND COALESCE(updated_at, created_at) < ?", before);
  }

  async depth(): Promise<{ target: string; pending: number; oldestAt: number }[]> {
    return (this.db.prepare("SELECT target, COUNT(*) AS n, MIN(created_at) AS oldest FROM outbox WHERE status = 'pending' GROUP BY target").all() as Row[])
      .map((r) => ({ target: r.target, pending: r.n, oldestAt: r.oldest }));
  }
}

function toItem(r: Row): OutboxItem {
  return { id: r.id, target: r.target, orderingKey: r.ordering_key, payload: r.payload, attempts: r.attempts, nextAt: r.next_at,
    status: r.status, lastError: r.last_error ?? undefined, messageId: r.message_id ?? undefined, vendorId: r.vendor_id ?? undefined,
    createdAt: r.created_at, updatedAt: r.updated_at ?? undefined };
}

/** Per-channel key-value state; reads on the main connection, writes through the writer. */
export class SqliteChannelState implements ChannelStateStore {
  constructor(private db: Database.Database, private enqueue: Enqueue) {}

  async get(channel: string, key: string): Promise<string | undefined> {
    return (this.db.prepare('SELECT value FROM channel_state WHERE channel = ? AND key = ?').get(channel, key) as Row | undefined)?.value;
  }
  set(channel: string, key: string, value: string): Promise<void> {
    return run(this.enqueue, `INSERT INTO channel_state (channel, key, value, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (channel, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, channel, key, value, Date.now());
  }
  delete(channel: string, key: string): Promise<void> {
    return run(this.enqueue, 'DELETE FROM channel_state WHERE channel = ? AND key = ?', channel, key);
  }
}
