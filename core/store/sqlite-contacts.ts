import type Database from 'better-sqlite3';
import { KefuError } from '../errors.js';
import type { AuditEntry, ContactRecord, ContactStore, IdentityRecord } from '../contacts/types.js';
import type { WriteOp } from './sqlite-ops.js';

type Row = Record<string, any>;

/**
 * Contacts on SQLite (migration 7). Reads on the main connection after the writer has settled
 * (a contact is read back right after it is written); writes through the writer like every
 * other, a move of identities as one `runAll` so a link is whole or absent after a crash.
 */
export class SqliteContactStore implements ContactStore {
  private st: Record<string, Database.Statement>;

  constructor(db: Database.Database, private enqueue: (op: WriteOp) => Promise<void>, private settled: () => Promise<void>) {
    const p = (sql: string) => db.prepare(sql);
    this.st = {
      get: p('SELECT * FROM contacts WHERE id = ?'),
      byName: p('SELECT * FROM contacts WHERE name_key = ? AND merged_into IS NULL ORDER BY created_at LIMIT ?'),
      search: p(`SELECT * FROM contacts WHERE merged_into IS NULL AND (name LIKE @q ESCAPE '\\' OR company LIKE @q ESCAPE '\\'
        OR id IN (SELECT contact_id FROM contact_identities WHERE key LIKE @q ESCAPE '\\')) ORDER BY updated_at DESC LIMIT @limit`),
      identities: p('SELECT * FROM contact_identities WHERE contact_id = ? ORDER BY address DESC, created_at, key'),
      withKey: p('SELECT * FROM contact_identities WHERE key = ? ORDER BY created_at'),
      owner: p('SELECT * FROM contact_identities WHERE key = ? AND address = 1'),
      audit: p('SELECT * FROM contact_audit WHERE contact_id = ? ORDER BY id DESC LIMIT ?'),
    };
  }

  create(c: ContactRecord): Promise<void> {
    const r = toRow(c);
    return this.run(`INSERT INTO contacts (id, name, name_key, company, attributes, tags, notes, created_at, updated_at, merged_into)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, r.id, r.name, r.name_key, r.company, r.attributes, r.tags, r.notes, r.created_at, r.updated_at, r.merged_into);
  }

  update(c: ContactRecord): Promise<void> {
    const r = toRow(c);
    return this.run(`UPDATE contacts SET name = ?, name_key = ?, company = ?, attributes = ?, tags = ?, notes = ?, updated_at = ?, merged_into = ? WHERE id = ?`,
      r.name, r.name_key, r.company, r.attributes, r.tags, r.notes, r.updated_at, r.merged_into, r.id);
  }

  async get(id: string): Promise<ContactRecord | undefined> {
    await this.settled();
    const r = this.st.get.get(id) as Row | undefined;
    return r ? toContact(r) : undefined;
  }

  async search(q: string, limit: number): Promise<ContactRecord[]> {
    await this.settled();
    return (this.st.search.all({ q: `%${q.replace(/[\\%_]/g, (m) => `\\${m}`)}%`, limit }) as Row[]).map(toContact);
  }

  async byName(name: string, limit: number): Promise<ContactRecord[]> {
    await this.settled();
    return (this.st.byName.all(nameKey(name), limit) as Row[]).map(toContact);
  }

  async putIdentities(rows: IdentityRecord[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.enqueue({ op: 'runAll', steps: rows.map((i) => ({
        sql: `INSERT INTO contact_identities (key, contact_id, address, verified, source, created_at) VALUES (?, ?, ?, ?, ?, ?)
          ON CONFLICT (key, contact_id, address) DO UPDATE SET verified = MAX(verified, excluded.verified)`,
        args: [i.key, i.contactId, i.address ? 1 : 0, i.verified ? 1 : 0, i.source, i.createdAt.getTime()] })) });
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw new KefuError('conflict', 'The address belongs to another contact.');
      throw err;
    }
  }

  async identities(contactId: string): Promise<IdentityRecord[]> {
    await this.settled();
    return (this.st.identities.all(contactId) as Row[]).map(toIdentity);
  }

  async withKey(key: string): Promise<IdentityRecord[]> {
    await this.settled();
    return (this.st.withKey.all(key) as Row[]).map(toIdentity);
  }

  async addressOwner(key: string): Promise<IdentityRecord | undefined> {
    await this.settled();
    const r = this.st.owner.get(key) as Row | undefined;
    return r ? toIdentity(r) : undefined;
  }

  moveIdentities(from: string, to: string, o: { sources?: string[]; merge?: boolean }): Promise<void> {
    const only = o.sources ? ` AND source IN (${o.sources.map(() => '?').join(',')})` : '';
    const src = o.sources ?? [];
    const steps: { sql: string; args: unknown[] }[] = [
      // A key both hold stays once, verified if either was; then the rest moves over.
      { sql: `UPDATE contact_identities SET verified = 1 WHERE contact_id = ? AND verified = 0 AND (key, address) IN
          (SELECT key, address FROM contact_identities WHERE contact_id = ? AND verified = 1${only})`, args: [to, from, ...src] },
      { sql: `UPDATE OR IGNORE contact_identities SET contact_id = ? WHERE contact_id = ?${only}`, args: [to, from, ...src] },
      { sql: `DELETE FROM contact_identities WHERE contact_id = ?${only}`, args: [from, ...src] },
    ];
    if (o.merge) steps.push({ sql: 'UPDATE contacts SET merged_into = ?, updated_at = ? WHERE id = ?', args: [to, Date.now(), from] });
    return this.enqueue({ op: 'runAll', steps });
  }

  removeOrphan(id: string): Promise<void> {
    return this.run('DELETE FROM contacts WHERE id = ? AND NOT EXISTS (SELECT 1 FROM contact_identities WHERE contact_id = ?)', id, id);
  }

  audit(e: AuditEntry): Promise<void> {
    return this.run('INSERT INTO contact_audit (contact_id, at, actor_id, actor_name, action, other_id, keys, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
      e.contactId, e.at.getTime(), e.actorId, e.actorName ?? null, e.action, e.otherId ?? null, e.keys ? JSON.stringify(e.keys) : null, e.reason ?? null);
  }

  async auditOf(contactId: string, limit: number): Promise<AuditEntry[]> {
    await this.settled();
    return (this.st.audit.all(contactId, limit) as Row[]).map((r) => ({ contactId: r.contact_id, at: new Date(r.at), actorId: r.actor_id,
      actorName: r.actor_name ?? undefined, action: r.action, otherId: r.other_id ?? undefined, keys: r.keys ? JSON.parse(r.keys) : undefined,
      reason: r.reason ?? undefined }));
  }

  private run(sql: string, ...args: unknown[]): Promise<void> { return this.enqueue({ op: 'run', sql, args }); }
}

export const nameKey = (name: string | undefined) => (name ? name.trim().toLowerCase() : null);

function toRow(c: ContactRecord): Row {
  return { id: c.id, name: c.name ?? null, name_key: nameKey(c.name), company: c.company ?? null, attributes: JSON.stringify(c.attributes),
    tags: JSON.stringify(c.tags), notes: c.notes ?? null, created_at: c.createdAt.getTime(), updated_at: c.updatedAt.getTime(), merged_into: c.mergedInto ?? null };
}

function toContact(r: Row): ContactRecord {
  return { id: r.id, name: r.name ?? undefined, company: r.company ?? undefined, attributes: JSON.parse(r.attributes), tags: JSON.parse(r.tags),
    notes: r.notes ?? undefined, createdAt: new Date(r.created_at), updatedAt: new Date(r.updated_at), mergedInto: r.merged_into ?? undefined };
}

function toIdentity(r: Row): IdentityRecord {
  return { key: r.key, contactId: r.contact_id, address: r.address === 1, verified: r.verified === 1, source: r.source, createdAt: new Date(r.created_at) };
}
