import assert from 'node:assert/strict';
import { MongoClient, ObjectId } from 'mongodb';
import { MongoStore } from '../../../core/store/mongo-store.js';
import { isDuplicateKey, keyId } from '../../../core/store/mongo-docs.js';
import { KefuError } from '../../../core/errors.js';
import { mongoTarget, type MongoTarget } from '../../helpers/mongo.js';
import { conversation, message, storeContract, type Capabilities } from './store-contract.js';

const target = await mongoTarget();

if ('skip' in target) {
  describe('store contract: mongodb', () => {
    it.skip(`every MongoDB store test: ${target.skip}`);
  });
} else {
  const caps = await capabilitiesOf(target);
  after(() => target.stop());
  storeContract(`mongodb (${target.kind})`, async () => {
    const database = target.freshDatabase();
    let store = await MongoStore.open({ url: target.url, database });
    return {
      store,
      async reopen() { await store.close(); return (store = await MongoStore.open({ url: target.url, database })); },
      async close() { await store.db.dropDatabase(); await store.close(); },
    };
  }, caps);
  mongoOnly(target, caps);
}

/** The emulator lacks these; a real standalone mongod lacks the replica-set ones. */
async function capabilitiesOf(t: MongoTarget): Promise<Capabilities> {
  if (t.kind === 'emulator') {
    const why = (gap: string) => `requires real MongoDB (${gap})`;
    return { uniqueIndex: why('the emulator accepts duplicates under a unique index'), ttl: why('the emulator never expires documents'),
      transactions: why('the emulator\'s commit and abort do nothing'), changeStreams: why('the emulator has no $changeStream') };
  }
  const client = await MongoClient.connect(t.url);
  try {
    const hello = await client.db('admin').command({ hello: 1 });
    const rs = hello.setName ? true : 'requires a MongoDB replica set (MONGODB_URL is a standalone server)';
    return { uniqueIndex: true, ttl: true, transactions: rs, changeStreams: rs };
  } finally { await client.close(); }
}

function mongoOnly(t: MongoTarget, caps: Capabilities): void {
  describe(`mongodb store (${t.kind}): what only the shared store has`, () => {
    const opened: MongoStore[] = [];
    const open = async (database: string, opts: { node?: string; outboxLeaseMs?: number } = {}) => {
      const s = await MongoStore.open({ url: t.url, database, ...opts });
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      const dbs = new Set<string>();
      for (const s of opened.splice(0)) { dbs.add(s.db.databaseName); await s.close().catch(() => {}); }
      const client = await MongoClient.connect(t.url);
      try { for (const d of dbs) await client.db(d).dropDatabase(); } finally { await client.close(); }
    });

    if (t.kind === 'emulator') {
      it('canary: the emulator still accepts a duplicate under a unique index (if this fails, revisit the uniqueIndex skips)', async () => {
        const s = await open(t.freshDatabase());
        const col = s.db.collection('canary');
        await col.createIndex({ k: 1 }, { unique: true });
        await col.insertOne({ k: 'same' });
        await col.insertOne({ k: 'same' });
        assert.equal(await col.countDocuments({ k: 'same' }), 2);
      });
    }

    it('two processes change one conversation from their own copies: each save writes only what it changed, neither undoes the other', async () => {
      const db = t.freshDatabase();
      const a = await open(db);
      const b = await open(db);
      const c = conversation(undefined, { status: 'queued' });
      await a.saveConversation(c);
      const onA = (await a.getConversation(c.id))!;
      const onB = (await b.getConversation(c.id))!;
      // A assigns it; B, not yet told, merges the customer's meta into its stale copy.
      Object.assign(onA, { status: 'assigned', assigneeId: 'A1', updatedAt: new Date() });
      await a.saveConversation(onA);
      Object.assign(onB, { meta: { plan: 'gold' }, tags: ['vip'], updatedAt: new Date() });
      await b.saveConversation(onB);
      const fresh = (await b.reread(c.id))!;
      assert.equal(fresh.status, 'assigned');
      assert.equal(fresh.assigneeId, 'A1');
      assert.deepEqual(fresh.meta, { plan: 'gold' });
      assert.deepEqual(fresh.tags, ['vip']);
    });

    it('creates its indexes at start, including the unique ones, and a second start is harmless', async () => {
      const db = t.freshDatabase();
      await open(db);
      const s = await open(db);
      const names = async (col: string) => (await s.db.collection(col).listIndexes().toArray()).map((i) => `${i.name}${i.unique ? ' unique' : ''}`);
      assert.ok((await names('messages')).includes('conversationId_1_seq_1 unique'));
      assert.ok((await names('messages')).includes('id_1 unique'));
      assert.ok((await names('outbox')).includes('status_1_target_1_orderingKey_1_id_1'));
      assert.ok((await s.db.collection('sessions').listIndexes().toArray()).some((i) => i.expireAfterSeconds === 0));
    });

    it('every _id is an ObjectId derived from the natural key (the emulator mangles string ids)', async () => {
      const s = await open(t.freshDatabase());
      const conv = conversation('oid');
      await s.saveConversation(conv);
      await s.appendMessage(message(conv, 'x', { sourceId: 'src' }), conv);
      const doc = await s.db.collection('messages').findOne({});
      assert.ok(doc!._id instanceof ObjectId);
      assert.ok(doc!._id.equals(keyId('message-source', conv.id, 'src')));
      assert.ok(keyId('a', 'b\u0000c').equals(keyId('a', 'b\u0000c')) && !keyId('a', 'b', 'c').equals(keyId('ab', 'c')));
    });

    it('two nodes on one database: seq is taken in the database, gap-free, and dedupe holds across them', async () => {
      const db = t.freshDatabase();
      const [a, b] = [await open(db), await open(db)];
      const conv = conversation('shared');
      await a.saveConversation(conv);
      const onB = (await b.getConversation(conv.id))!;
      assert.notEqual(onB, conv, 'two processes, two objects');
      const sent = [];
      for (let i = 0; i < 10; i++) sent.push(a.appendMessage(message(conv, `a${i}`), conv), b.appendMessage(message(onB, `b${i}`), onB));
      await Promise.all(sent);
      assert.deepEqual((await a.listMessages(conv.id, {})).map((m) => m.seq), Array.from({ length: 20 }, (_, i) => i + 1));
      const dup = await Promise.allSettled([a.appendMessage(message(conv, 'v', { sourceId: 'vendor-1' }), conv),
        b.appendMessage(message(onB, 'v', { sourceId: 'vendor-1' }), onB)]);
      assert.deepEqual(dup.map((r) => r.status).sort(), ['fulfilled', 'rejected']);
      const after = message(conv, 'next');
      await a.appendMessage(after, conv);
      assert.equal(after.seq, 22, 'the refused duplicate gave its seq back');
      await assert.rejects(b.saveConversation(conversation('shared')), (err: unknown) => err instanceof KefuError && err.code === 'conflict');
    });

    it('outbox: an item one node claimed is not offered to another until settled or its lease runs out', async () => {
      const db = t.freshDatabase();
      const a = await open(db, { node: 'a', outboxLeaseMs: 60_000 });
      const b = await open(db, { node: 'b', outboxLeaseMs: 60_000 });
      await a.outbox.add([{ target: 'channel:sms', orderingKey: 'c1', payload: '1' }, { target: 'channel:sms', orderingKey: 'c1', payload: '2' },
        { target: 'channel:sms', orderingKey: 'c2', payload: '3' }]);
      const now = Date.now();
      assert.deepEqual((await a.outbox.due(now, 1)).map((i) => i.payload), ['1']);
      assert.deepEqual((await b.outbox.due(now, 10)).map((i) => i.payload), ['3'], 'c1 is in flight on a; its second item waits too');
      assert.deepEqual((await a.outbox.due(now, 10)).map((i) => i.payload), ['1'], 'a\'s own claim is offered to a again (its dispatcher skips keys in flight)');
      assert.deepEqual((await b.outbox.due(now + 60_001, 10)).map((i) => i.payload), ['1', '3'], 'a\'s lease ran out (a died mid-send); 3 is b\'s own');
      const [one] = await b.outbox.due(now + 60_001, 10);
      await b.outbox.settle(one.id, { status: 'sent', attempts: 1, nextAt: 0 });
      assert.deepEqual((await a.outbox.due(now, 10)).map((i) => i.payload), ['2']);
    });

    it('a start releases the leases a crashed predecessor left', async () => {
      const db = t.freshDatabase();
      const a = await open(db, { node: 'crashed' });
      await a.outbox.add([{ target: 'bot:x', orderingKey: 'k', payload: 'p' }]);
      assert.equal((await a.outbox.due(Date.now(), 10)).length, 1);
      const restarted = await open(db, { node: 'restarted' });
      assert.deepEqual((await restarted.outbox.due(Date.now(), 10)).map((i) => i.payload), ['p']);
    });

    it('a message stored without its outbox item (a crash between the two writes) gets it at the next start, once', async () => {
      const db = t.freshDatabase();
      const s = await open(db);
      const conv = conversation();
      await s.saveConversation(conv);
      const sent = message(conv, 'written fully', { direction: 'outbound' });
      await s.appendMessage(sent, conv, 'channel:sms');
      const orphan = message(conv, 'crashed before its item', { direction: 'outbound' });
      await s.appendMessage(orphan, conv);
      await s.db.collection('messages').updateOne({ id: orphan.id }, { $set: { deliverTo: 'channel:sms' } });
      await s.db.collection('messages').updateOne({ id: sent.id }, { $set: { deliverTo: 'channel:sms' } }); // item written, marker not cleared
      const restarted = await open(db);
      const items = await restarted.outbox.byMessage([sent.id, orphan.id]);
      assert.deepEqual([...items.keys()].sort(), [sent.id, orphan.id].sort());
      assert.equal(await restarted.outbox.pending('channel:sms'), 2, 'the item already written is not doubled');
      assert.equal(await s.db.collection('messages').countDocuments({ deliverTo: { $exists: true } }), 0);
    });

    it('duplicate-key errors are recognized from a real server (11000) and from the emulator (code 1)', () => {
      assert.ok(isDuplicateKey({ code: 11000, message: 'E11000 duplicate key error collection: k.messages' }));
      assert.ok(isDuplicateKey({ code: 1, message: 'Duplicate key error: _id 0707' }));
      assert.ok(!isDuplicateKey({ code: 50, message: 'operation exceeded time limit' }));
      assert.ok(!isDuplicateKey(undefined));
    });

    const probe = (cap: 'transactions' | 'changeStreams', title: string, fn: () => Promise<void>) =>
      caps[cap] === true ? it(`${title} [${cap}]`, fn) : it.skip(`${title} [${cap}: ${caps[cap]}]`);

    // Capabilities cluster mode will build on (the store does not use them yet): probed, never assumed.
    probe('transactions', 'an aborted transaction leaves nothing behind', async () => {
      const s = await open(t.freshDatabase());
      const col = s.db.collection('tx');
      await col.insertOne({ seed: true });
      const client = (s as unknown as { client: MongoClient }).client;
      const session = client.startSession();
      try {
        session.startTransaction();
        await col.insertOne({ k: 'aborted' }, { session });
        await session.abortTransaction();
      } finally { await session.endSession(); }
      assert.equal(await col.countDocuments({ k: 'aborted' }), 0);
    });

    probe('changeStreams', 'a change stream on messages sees a message another node stores', async () => {
      const db = t.freshDatabase();
      const [a, b] = [await open(db), await open(db)];
      const stream = b.db.collection('messages').watch([{ $match: { operationType: 'insert' } }]);
      try {
        await stream.tryNext(); // opens the stream's cursor before the insert
        const conv = conversation();
        await a.saveConversation(conv);
        await a.appendMessage(message(conv, 'seen elsewhere'), conv);
        assert.equal(((await stream.next()) as { fullDocument?: { conversationId: string } }).fullDocument?.conversationId, conv.id);
      } finally { await stream.close(); }
    });
  });
}
