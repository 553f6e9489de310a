import type Database from 'better-sqlite3';
import type { ApiTokenRecord, OutboxItem, OutboxStore, TokenStore } from './store.js';
import type { WriteOp } from './sqlite-ops.js';

type Row = Record<string, any>;

/** API tokens (only their SHA-256 is stored). Writes are rare: no group commit needed. */
export class SqliteTokenStore implements TokenStore {
  constructor(private db: Database.Database) {}

  async create(r: ApiTokenRecord): Promise<void> {
    this.db.prepare('INSERT INTO api_tokens (id, name, token_hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(r.id, r.name, r.tokenHash, JSON.stringify(r.scopes), r.createdAt.getTime());
  }
  async byHash(h: string) { return toToken(this.db.prepare('SELECT * FROM api_tokens WHERE token_hash = ?').get(h) as Row); }
  async byNameOrId(k: string) { return toToken(this.db.prepare('SELECT * FROM api_tokens WHERE id = ? OR name = ?').get(k, k) as Row); }
  async list() { return (this.db.prepare('SELECT * FROM api_tokens ORDER BY created_at').all() as Row[]).map((r) => toToken(r)!); }
  async revoke(id: string): Promise<void> { this.db.prepare('UPDATE api_tokens SET revoked_at = ? WHERE id = ?').run(Date.now(), id); }
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
  constructor(private db: Database.Database, private enqueue: (op: WriteOp) => Promise<void>) {}

  /** Goes through group commit: an event is durable before the message that caused it is acknowledged further. */
  add(items: { target: string; orderingKey: string; payload: string }[]): Promise<void> {
    if (items.length === 0) return Promise.resolve();
    return this.enqueue({ op: 'outboxAdd', items, now: Date.now() });
  }

  async due(now: number, limit: number): Promise<OutboxItem[]> {
    const rows = this.db.prepare(`SELECT o.* FROM outbox o JOIN (
        SELECT MIN(id) AS id FROM outbox WHERE status = 'pending' GROUP BY target, ordering_key) h ON h.id = o.id
      WHERE o.next_at <= ? ORDER BY o.id LIMIT ?`).all(now, limit) as Row[];
    return rows.map((r) => ({ id: r.id, target: r.target, orderingKey: r.ordering_key, payload: r.payload, attempts: r.attempts,
      nextAt: r.next_at, status: r.status, lastError: r.last_error ?? undefined }));
  }

  async settle(id: number, status: OutboxItem['status'], attempts: number, nextAt: number, lastError?: string): Promise<void> {
    this.db.prepare('UPDATE outbox SET status = ?, attempts = ?, next_at = ?, last_error = ? WHERE id = ?').run(status, attempts, nextAt, lastError ?? null, id);
  }

  async pending(target?: string): Promise<number> {
    const r = target
      ? this.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending' AND target = ?").get(target)
      : this.db.prepare("SELECT COUNT(*) AS n FROM outbox WHERE status = 'pending'").get();
    return (r as Row).n;
  }
}
