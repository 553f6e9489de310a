import type { Collection, Db } from 'mongodb';
import { KefuError } from '../errors.js';
import type { AuditEntry, ContactRecord, ContactStore, IdentityRecord } from '../contacts/types.js';
import { isDuplicateKey, keyId, type Doc } from './mongo-docs.js';
import type { WriteQueue } from './mongo-write-queue.js';

const nameKey = (name: string | undefined) => (name ? name.trim().toLowerCase() : null);
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Contacts on MongoDB. An address's one owner is its `_id` (derived from the key alone), so two
 * nodes claiming one customer collide instead of creating two owners; a fact's `_id` is the
 * key and the contact. Without transactions a move is document by document, each step leaving
 * every identity on one contact or the other, never lost. Writes of the contacts are ordered
 * through one queue key: they are rare, and a link must not overtake the edit before it.
 */
export class MongoContactStore implements ContactStore {
  private contacts: Collection<Doc>;
  private ids: Collection<Doc>;
  private log: Collection<Doc>;

  constructor(db: Db, private queue: WriteQueue) {
    this.contacts = db.collection('contacts');
    this.ids = db.collection('contact_identities');
    this.log = db.collection('contact_audit');
  }

  private write(fn: () => Promise<void>): Promise<void> { return this.queue.run('contacts', fn); }
  private settled(): Promise<void> { return this.queue.after('contacts'); }

  create(c: ContactRecord): Promise<void> {
    return this.write(async () => { await this.contacts.insertOne({ _id: keyId('contact', c.id), ...toDoc(c) }); });
  }

  update(c: ContactRecord): Promise<void> {
    return this.write(async () => { await this.contacts.updateOne({ _id: keyId('contact', c.id) }, { $set: toDoc(c) }); });
  }

  async get(id: string): Promise<ContactRecord | undefined> {
    await this.settled();
    const d = await this.contacts.findOne({ _id: keyId('contact', id) });
    return d ? toContact(d) : undefined;
  }

  async search(q: string, limit: number): Promise<ContactRecord[]> {
    await this.settled();
    const re = { $regex: escape(q), $options: 'i' };
    const byKey = (await this.ids.find({ key: re }).limit(500).toArray()).map((d) => d.contactId);
    const docs = await this.contacts.find({ mergedInto: null, $or: [{ name: re }, { company: re }, { id: { $in: byKey } }] })
      .sort({ updatedAt: -1, id: 1 }).limit(limit).toArray();
    return docs.map(toContact);
  }

  async byName(name: string, limit: number): Promise<ContactRecord[]> {
    await this.settled();
    return (await this.contacts.find({ nameKey: nameKey(name), mergedInto: null }).sort({ createdAt: 1, id: 1 }).limit(limit).toArray()).map(toContact);
  }

  putIdentities(rows: IdentityRecord[]): Promise<void> {
    return this.write(async () => {
      for (const r of rows) {
        if (r.address) {
          const _id = keyId('contact-address', r.key);
          const known = await this.ids.findOne({ _id });
          if (known && known.contactId !== r.contactId) throw new KefuError('conflict', 'The address belongs to another contact.');
          if (known) { if (r.verified && !known.verified) await this.ids.updateOne({ _id }, { $set: { verified: true } }); continue; }
          try { await this.ids.insertOne({ _id, ...identityDoc(r) }); } catch (err) {
            if (isDuplicateKey(err)) throw new KefuError('conflict', 'The address belongs to another contact.');
            throw err;
          }
        } else {
          await this.upsertFact(r);
        }
      }
    });
  }

  private async upsertFact(r: IdentityRecord): Promise<void> {
    const _id = keyId('contact-fact', r.key, r.contactId);
    const known = await this.ids.findOne({ _id });
    if (!known) {
      try { await this.ids.insertOne({ _id, ...identityDoc(r) }); return; } catch (err) { if (!isDuplicateKey(err)) throw err; }
    }
    if (r.verified) await this.ids.updateOne({ _id }, { $set: { verified: true } });
  }

  removeOrphan(id: string): Promise<void> {
    return this.write(async () => {
      // Nobody else knows the id of a contact that lost its address race, so nothing attaches to it meanwhile.
      if (await this.ids.findOne({ contactId: id })) return;
      await this.contacts.deleteOne({ _id: keyId('contact', id) });
    });
  }

  async identities(contactId: string): Promise<IdentityRecord[]> {
    await this.settled();
    return (await this.ids.find({ contactId }).sort({ address: -1, createdAt: 1, key: 1 }).toArray()).map(toIdentity);
  }

  async withKey(key: string): Promise<IdentityRecord[]> {
    await this.settled();
    return (await this.ids.find({ key }).sort({ createdAt: 1 }).toArray()).map(toIdentity);
  }

  async addressOwner(key: string): Promise<IdentityRecord | undefined> {
    await this.settled();
    const d = await this.ids.findOne({ _id: keyId('contact-address', key) });
    return d ? toIdentity(d) : undefined;
  }

  moveIdentities(from: string, to: string, o: { sources?: string[]; merge?: boolean }): Promise<void> {
    return this.write(async () => {
      const filter: Doc = { contactId: from, ...(o.sources ? { source: { $in: o.sources } } : {}) };
      for (const d of await this.ids.find(filter).toArray()) {
        if (d.address) { await this.ids.updateOne({ _id: d._id }, { $set: { contactId: to } }); continue; }
        // The copy first, then the original: a crash in between leaves the key on both, never on neither.
        await this.upsertFact({ ...toIdentity(d), contactId: to });
        await this.ids.deleteOne({ _id: d._id });
      }
      if (o.merge) await this.contacts.updateOne({ _id: keyId('contact', from) }, { $set: { mergedInto: to, updatedAt: new Date() } });
    });
  }

  audit(e: AuditEntry): Promise<void> {
    return this.write(async () => {
      await this.log.insertOne({ contactId: e.contactId, at: e.at, actorId: e.actorId, actorName: e.actorName ?? null, action: e.action,
        otherId: e.otherId ?? null, keys: e.keys ?? null, reason: e.reason ?? null });
    });
  }

  async auditOf(contactId: string, limit: number): Promise<AuditEntry[]> {
    await this.settled();
    return (await this.log.find({ contactId }).sort({ at: -1, _id: -1 }).limit(limit).toArray()).map((d) => ({ contactId: d.contactId, at: d.at,
      actorId: d.actorId, actorName: d.actorName ?? undefined, action: d.action, otherId: d.otherId ?? undefined, keys: d.keys ?? undefined,
      reason: d.reason ?? undefined }));
  }
}

function toDoc(c: ContactRecord): Doc {
  return { id: c.id, name: c.name ?? null, nameKey: nameKey(c.name), company: c.company ?? null,
    // A JSON string, like conversation meta: configured attribute names may hold dots.
    attributes: JSON.stringify(c.attributes), tags: [...c.tags], notes: c.notes ?? null, createdAt: c.createdAt, updatedAt: c.updatedAt,
    mergedInto: c.mergedInto ?? null };
}

function toContact(d: Doc): ContactRecord {
  return { id: d.id, name: d.name ?? undefined, company: d.company ?? undefined, attributes: JSON.parse(d.attributes ?? '{}'), tags: d.tags ?? [],
    notes: d.notes ?? undefined, createdAt: d.createdAt, updatedAt: d.updatedAt, mergedInto: d.mergedInto ?? undefined };
}

function identityDoc(r: IdentityRecord): Doc {
  return { key: r.key, contactId: r.contactId, address: r.address, verified: r.verified, source: r.source, createdAt: r.createdAt };
}

function toIdentity(d: Doc): IdentityRecord {
  return { key: d.key, contactId: d.contactId, address: !!d.address, verified: !!d.verified, source: d.source, createdAt: d.createdAt };
}
