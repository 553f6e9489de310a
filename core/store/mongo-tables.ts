import type { Collection, Db } from 'mongodb';
import type { ApiTokenRecord, ChannelStateStore, OutboxAdd, OutboxItem, OutboxSettle, OutboxStore, TokenStore } from './store.js';
import { isDuplicateKey, keyId, toOutboxItem, toToken, type Doc } from './mongo-docs.js';
import type { WriteQueue } from './mongo-write-queue.js';

/** API tokens; the name is the `_id`'s key, so a second token of one name is refused everywhere. */
export class MongoTokenStore implements TokenStore {
  private col: Collection<Doc>;
  constructor(db: Db) { this.col = db.collection('api_tokens'); }

  async create(r: ApiTokenRecord): Promise<void> {
    await this.col.insertOne({ _id: keyId('token', r.name), id: r.id, name: r.name, tokenHash: r.tokenHash, scopes: [...r.scopes],
      createdAt: r.createdAt, revokedAt: null });
  }
  async byHash(h: string) { return toToken(await this.col.findOne({ tokenHash: h })); }
  async byNameOrId(k: string) { return toToken(await this.col.findOne({ $or: [{ id: k }, { name: k }] })); }
  async list() { return (await this.col.find({}).sort({ createdAt: 1, id: 1 }).toArray()).map((d) => toToken(d)!); }
  async revoke(id: string): Promise<void> { await this.col.updateOne({ id }, { $set: { revokedAt: new Date() } }); }
}

export interface MongoOutboxOptions {
  /** This process's name on the leases it takes. */
  node: string;
  /** How long a claimed item is kept from other nodes if its attempt never settles (a node died mid-send). */
  leaseMs: number;
}

/**
 * The outbox. Ids are numbers from a counter document ($inc, atomic across nodes), so "oldest
 * pending of its (target, key)" is the smallest id, as in SQLite. due() claims what it returns
 * with a lease: a node never hands out an item another node is attempting, and the lease runs
 * out if that node dies. Items this node leased are offered again (its dispatcher already skips
 * a conversation it has in flight, exactly as with SQLite).
 */
export class MongoOutboxStore implements OutboxStore {
  readonly col: Collection<Doc>;
  private counters: Collection<Doc>;
  /**
   * Settles that finished while a due() was reading, by id: the dispatcher trusts that an item
   * due() returns is not the one an attempt of its own just settled (with SQLite the read is one
   * instant). Here reads and a settle's answer can interleave, and a stale copy would be sent
   * again at once, before its backoff; such items are left for the next pass.
   */
  private settles = { gen: 0, byId: new Map<number, number>(), reading: 0 };

  constructor(db: Db, private queue: WriteQueue, private o: MongoOutboxOptions) {
    this.col = db.collection('outbox');
    this.counters = db.collection('counters');
  }

  /** Reserves `n` consecutive ids and returns the first. */
  private async ids(n: number): Promise<number> {
    const after = await this.counters.findOneAndUpdate({ _id: keyId('counter', 'outbox') }, { $inc: { value: n } },
      { upsert: true, returnDocument: 'after' });
    return after!.value - n + 1;
  }

  async add(items: OutboxAdd[]): Promise<void> {
    if (items.length === 0) return;
    const first = await this.ids(items.length);
    const now = Date.now();
    await this.col.insertMany(items.map((i, n) => newItem(first + n, i, now)), { ordered: true });
  }

  /** A channel send recorded with its message; keyed by (target, message), so writing it twice is harmless. */
  async addForMessage(target: string, conversationId: string, messageId: string): Promise<void> {
    const doc = { ...newItem(await this.ids(1), { target, orderingKey: conversationId, payload: '', messageId }, Date.now()),
      _id: keyId('outbox-message', target, messageId) };
    try { await this.col.insertOne(doc); } catch (err) { if (!isDuplicateKey(err)) throw err; }
  }

  async due(now: number, limit: number, targets?: readonly string[]): Promise<OutboxItem[]> {
    if (targets && targets.length === 0) return [];
    const st = this.settles;
    if (st.reading === 0) st.byId.clear();
    st.reading++;
    const since = st.gen;
    try {
      return (await this.claimDue(now, limit, targets)).filter((i) => (st.byId.get(i.id) ?? 0) <= since);
    } finally { st.reading--; }
  }

  private async claimDue(now: number, limit: number, targets?: readonly string[]): Promise<OutboxItem[]> {
    const match: Doc = { status: 'pending', ...(targets ? { target: { $in: [...targets] } } : {}) };
    const heads = await this.col.aggregate<Doc>([{ $match: match },
      { $group: { _id: { t: '$target', k: '$orderingKey' }, id: { $min: '$id' } } }]).toArray();
    if (heads.length === 0) return [];
    const docs = await this.col.find({ id: { $in: heads.map((h) => h.id) }, nextAt: { $lte: now } }).sort({ id: 1 }).toArray();
    const out: OutboxItem[] = [];
    const free = [{ leasedBy: this.o.node }, { leaseUntil: null }, { leaseUntil: { $lte: now } }];
    for (const d of docs) {
      if (out.length >= limit) break;
      if (d.leasedBy && d.leasedBy !== this.o.node && d.leaseUntil > now) continue;
      // Only the version read: an attempt that settled meanwhile (a retry waiting its backoff) is not claimed.
      const claimed = await this.col.findOneAndUpdate({ _id: d._id, status: 'pending', attempts: d.attempts, nextAt: d.nextAt, $or: free },
        { $set: { leaseUntil: now + this.o.leaseMs, leasedBy: this.o.node } }, { returnDocument: 'after' });
      if (claimed) out.push(toOutboxItem(claimed));
    }
    return out;
  }

  settle(id: number, s: OutboxSettle): Promise<void> {
    const set: Doc = { status: s.status, attempts: s.attempts, nextAt: s.nextAt, lastError: s.lastError ?? null, updatedAt: Date.now() };
    if (s.vendorId !== undefined) set.vendorId = s.vendorId;
    return this.queue.run(`outbox\u0000${id}`, async () => {
      await this.col.updateOne({ id }, { $set: set, $unset: { leaseUntil: '', leasedBy: '' } });
      if (this.settles.reading > 0) this.settles.byId.set(id, ++this.settles.gen);
    });
  }

  retry(id: number, now: number): Promise<void> {
    return this.queue.run(`outbox\u0000${id}`, async () => {
      await this.col.updateOne({ id, status: 'failed' },
        { $set: { status: 'pending', attempts: 0, nextAt: now, lastError: null, updatedAt: now }, $unset: { leaseUntil: '', leasedBy: '' } });
    });
  }

  async get(id: number): Promise<OutboxItem | undefined> {
    const d = await this.col.findOne({ id });
    return d ? toOutboxItem(d) : undefined;
  }

  async byMessage(ids: readonly string[]): Promise<Map<string, OutboxItem>> {
    const out = new Map<string, OutboxItem>();
    for (let i = 0; i < ids.length; i += 500) {
      const docs = await this.col.find({ messageId: { $in: ids.slice(i, i + 500) } }).sort({ id: 1 }).toArray();
      for (const d of docs) out.set(d.messageId, toOutboxItem(d));
    }
    return out;
  }

  async byVendorId(target: string, vendorId: string): Promise<OutboxItem | undefined> {
    const [d] = await this.col.find({ target, vendorId }).sort({ id: -1 }).limit(1).toArray();
    return d ? toOutboxItem(d) : undefined;
  }

  pending(target?: string): Promise<number> {
    return this.col.countDocuments(target ? { status: 'pending', target } : { status: 'pending' });
  }

  async purge(before: number): Promise<void> {
    await this.col.deleteMany({ status: { $ne: 'pending' },
      $or: [{ updatedAt: { $lt: before } }, { updatedAt: null, createdAt: { $lt: before } }] });
  }

  async depth(): Promise<{ target: string; pending: number; oldestAt: number }[]> {
    const rows = await this.col.aggregate<Doc>([{ $match: { status: 'pending' } },
      { $group: { _id: '$target', n: { $sum: 1 }, oldest: { $min: '$createdAt' } } }, { $sort: { _id: 1 } }]).toArray();
    return rows.map((r) => ({ target: r._id, pending: r.n, oldestAt: r.oldest }));
  }

  /** Single-node start: the leases left are the dead predecessor's, whose attempts ended with it. */
  async releaseLeases(): Promise<void> {
    await this.col.updateMany({ leasedBy: { $exists: true } }, { $unset: { leaseUntil: '', leasedBy: '' } });
  }
}

function newItem(id: number, i: OutboxAdd, now: number): Doc {
  // nextAt 0: due at once, whatever clock the dispatcher runs on (unless it is held until notBefore).
  return { id, target: i.target, orderingKey: i.orderingKey, payload: i.payload, attempts: 0, nextAt: i.notBefore ?? 0, status: 'pending',
    lastError: null, messageId: i.messageId ?? null, vendorId: null, createdAt: now, updatedAt: null };
}

/** Per-channel key-value state, one document per (channel, key). */
export class MongoChannelState implements ChannelStateStore {
  private col: Collection<Doc>;
  constructor(db: Db, private queue: WriteQueue) { this.col = db.collection('channel_state'); }

  async get(channel: string, key: string): Promise<string | undefined> {
    return (await this.col.findOne({ _id: keyId('state', channel, key) }))?.value;
  }
  set(channel: string, key: string, value: string): Promise<void> {
    const _id = keyId('state', channel, key);
    return this.queue.run(`state\u0000${_id}`, async () => {
      await this.col.updateOne({ _id }, { $set: { channel, key, value, updatedAt: new Date() } }, { upsert: true });
    });
  }
  delete(channel: string, key: string): Promise<void> {
    const _id = keyId('state', channel, key);
    return this.queue.run(`state\u0000${_id}`, async () => { await this.col.deleteOne({ _id }); });
  }
}
