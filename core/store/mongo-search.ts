import type { Collection, Db } from 'mongodb';
import type { Conversation } from '../model/message.js';
import { keyId, type Doc } from './mongo-docs.js';
import type { WriteQueue } from './mongo-write-queue.js';
import type { SearchDoc, SearchHit, SearchQuery, SearchStore, SnoozeRecord, SnoozeStore } from './search-store.js';

/** How many conversations a filtered search looks in; past that, a filter that narrow is better served by adding words. */
const MAX_FILTERED_CONVERSATIONS = 20_000;
const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Search on MongoDB: each message's words as an array under a multikey index ({ tokens, messageId }),
 * matched with $all, so a real server answers from the index. Segmentation happened before (the
 * words are what core/search/segment.ts cut), so no text index and no language setting is needed.
 */
export class MongoSearchStore implements SearchStore {
  private col: Collection<Doc>;
  private convs: Collection<Doc>;

  constructor(db: Db, private queue: WriteQueue, private load: (docs: Doc[]) => Conversation[]) {
    this.col = db.collection('search');
    this.convs = db.collection('conversations');
  }

  /** One queue key for the index: an edit and the deletion after it land in that order. */
  put(docs: SearchDoc[], only?: 'missing'): Promise<void> {
    return this.queue.run('search', async () => {
      for (const d of docs) {
        const fields = { messageId: d.messageId, conversationId: d.conversationId, sentAt: d.sentAt, tokens: [...new Set(d.tokens)] };
        await this.col.updateOne({ _id: keyId('search', d.messageId) }, only === 'missing' ? { $setOnInsert: fields } : { $set: fields }, { upsert: true });
      }
    });
  }

  remove(ids: string[]): Promise<void> {
    return this.queue.run('search', async () => {
      if (ids.length) await this.col.deleteMany({ _id: { $in: ids.map((id) => keyId('search', id)) } });
    });
  }

  async query(q: SearchQuery): Promise<SearchHit[]> {
    if (q.tokens.length === 0) return [];
    await this.queue.settled();
    const filter: Doc = { tokens: { $all: [...new Set(q.tokens)] } };
    const conv: Doc = {};
    if (q.channel) conv.channel = q.channel;
    if (q.queue) conv.queue = q.queue;
    if (q.assigneeId) conv.assigneeId = q.assigneeId;
    if (q.status?.length) conv.status = { $in: q.status };
    if (q.label) conv.tags = q.label;
    if (Object.keys(conv).length) {
      const ids = await this.convs.find(conv, { projection: { id: 1 } }).limit(MAX_FILTERED_CONVERSATIONS).toArray();
      if (ids.length === 0) return [];
      filter.conversationId = { $in: ids.map((d) => d.id) };
    }
    const sent: Doc = {};
    if (q.from !== undefined) sent.$gte = q.from;
    if (q.to !== undefined) sent.$lt = q.to;
    if (Object.keys(sent).length) filter.sentAt = sent;
    if (q.beforeId) filter.messageId = { $lt: q.beforeId };
    const docs = await this.col.find(filter, { projection: { messageId: 1, conversationId: 1 } }).sort({ messageId: -1 }).limit(q.limit).toArray();
    return docs.map((d) => ({ messageId: d.messageId, conversationId: d.conversationId }));
  }

  async customers(text: string, limit: number): Promise<Conversation[]> {
    if (!text) return [];
    await this.queue.settled();
    const re = { $regex: escapeRegex(text), $options: 'i' };
    return this.load(await this.convs.find({ $or: [{ customerName: re }, { customerId: re }] }).sort({ updatedAt: -1, id: 1 }).limit(limit).toArray());
  }

  async labels(limit: number): Promise<{ label: string; count: number }[]> {
    await this.queue.settled();
    const rows = await this.convs.aggregate<Doc>([{ $unwind: '$tags' }, { $group: { _id: '$tags', n: { $sum: 1 } } }]).toArray();
    return rows.map((r) => ({ label: String(r._id), count: r.n as number }))
      .sort((a, b) => b.count - a.count || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0)).slice(0, limit);
  }
}

export class MongoSnoozeStore implements SnoozeStore {
  private col: Collection<Doc>;
  constructor(db: Db, private queue: WriteQueue) { this.col = db.collection('snoozes'); }

  set(r: SnoozeRecord): Promise<void> {
    return this.queue.run(`snooze\u0000${r.conversationId}`, async () => {
      await this.col.updateOne({ _id: keyId('snooze', r.conversationId) }, { $set: { conversationId: r.conversationId, until: r.until ?? null,
        untilReply: r.untilReply, agentId: r.agentId, createdAt: r.createdAt } }, { upsert: true });
    });
  }

  clear(id: string): Promise<void> {
    return this.queue.run(`snooze\u0000${id}`, async () => { await this.col.deleteOne({ _id: keyId('snooze', id) }); });
  }

  async list(): Promise<SnoozeRecord[]> {
    await this.queue.settled();
    return (await this.col.find({}).sort({ conversationId: 1 }).toArray()).map((d) => ({
      conversationId: d.conversationId, until: d.until ?? undefined, untilReply: !!d.untilReply, agentId: d.agentId, createdAt: d.createdAt }));
  }
}
