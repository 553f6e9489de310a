import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../core/store/sqlite-store.js';
import { createBatcher } from '../../../core/store/group-commit.js';
import { MIGRATIONS } from '../../../core/store/migrations.js';
import type { Conversation, Message } from '../../../core/model/message.js';
import { newId } from '../../../core/model/ids.js';

export function conversation(thread = newId()): Conversation {
  const now = new Date();
  return { id: newId('C'), ref: { channel: 'web', account: 'default', thread }, customer: { id: `web:${thread}`, role: 'customer' },
    status: 'pending', queue: 'general', priority: 0, aiWeight: 1, createdAt: now, updatedAt: now, lastSeq: 0, tags: [] };
}

export function message(conv: Conversation, text: string, sourceId?: string): Message {
  return { id: newId('M'), seq: ++conv.lastSeq, conversationId: conv.id, sourceId, direction: 'inbound', from: conv.customer,
    content: { kind: 'text', text }, sentAt: new Date() };
}

describe('SqliteStore', () => {
  let dir: string;
  let store: SqliteStore;
  let commits: number[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'kefu-store-'));
    commits = [];
    store = new SqliteStore({ path: join(dir, 'k.db'), commitIntervalMs: 5, onCommit: (n) => commits.push(n) });
  });
  afterEach(async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); });

  it('applies every migration and records the schema version', () => {
    assert.equal(store.schemaVersion, MIGRATIONS.length);
  });

  it('group commit: concurrent writes share one transaction and all resolve once durable', async () => {
    const c = conversation();
    await store.saveConversation(c);
    commits.length = 0;
    const msgs = Array.from({ length: 50 }, (_, i) => message(c, `m${i}`));
    await Promise.all(msgs.map((m) => store.appendMessage(m, c)));
    assert.deepEqual(commits, [50], 'one commit for the whole burst');
    const back = await store.listMessages(c.id, {});
    assert.deepEqual(back.map((m) => m.seq), msgs.map((m) => m.seq));
    await store.close();
    store = new SqliteStore({ path: join(dir, 'k.db') });
    assert.equal((await store.getConversation(c.id))?.lastSeq, 50, 'a reloaded conversation continues after its last message');
  });

  it('a failing write is rejected alone; its batch companions still commit', async () => {
    const c = conversation();
    await store.saveConversation(c);
    const good1 = message(c, 'good1');
    const bad = { ...message(c, 'bad'), seq: good1.seq }; // violates UNIQUE(conversation_id, seq)
    const good2 = message(c, 'good2');
    const results = await Promise.allSettled([store.appendMessage(good1, c), store.appendMessage(bad, c), store.appendMessage(good2, c)]);
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'rejected', 'fulfilled']);
    assert.deepEqual((await store.listMessages(c.id, {})).map((m) => (m.content as any).text), ['good1', 'good2']);
  });

  it('finds a conversation by ref before its creation has committed (no duplicate conversations)', async () => {
    const c = conversation('visitor-1');
    const saving = store.saveConversation(c);
    assert.equal((await store.findConversationByRef(c.ref))?.id, c.id);
    await saving;
  });

  it('dedupes on (conversation, sourceId) and pages history both ways', async () => {
    const c = conversation();
    await store.saveConversation(c);
    for (let i = 0; i < 10; i++) await store.appendMessage(message(c, `t${i}`, `src${i}`), c);
    assert.equal((await store.findMessageBySource(c.id, 'src3'))?.seq, 4);
    await assert.rejects(store.appendMessage(message(c, 'again', 'src3'), c));
    assert.deepEqual((await store.listMessages(c.id, { afterSeq: 7 })).map((m) => m.seq), [8, 9, 10]);
    assert.deepEqual((await store.listMessages(c.id, { beforeSeq: 4, limit: 2 })).map((m) => m.seq), [2, 3]);
  });

  it('dedupe: source ids written before a restart, before the first check and after it are all found; others are not', async () => {
    const c = conversation();
    await store.saveConversation(c);
    await store.appendMessage(message(c, 'before restart', 'old'), c);
    await store.close();
    store = new SqliteStore({ path: join(dir, 'k.db') });
    const conv = (await store.getConversation(c.id))!;
    const inFlight = store.appendMessage(message(conv, 'enqueued before the first check', 'racing'), conv);
    assert.equal((await store.findMessageBySource(c.id, 'old'))?.content.kind, 'text');
    assert.equal((await store.findMessageBySource(c.id, 'racing'))?.seq, 2);
    await inFlight;
    await store.appendMessage(message(conv, 'after', 'new'), conv);
    assert.equal((await store.findMessageBySource(c.id, 'new'))?.seq, 3);
    assert.equal(await store.findMessageBySource(c.id, 'never-sent'), undefined);
    // A write that failed leaves no trace: its id is not reported as stored.
    await assert.rejects(store.appendMessage({ ...message(conv, 'bad', 'failed'), seq: 1 }, conv));
    assert.equal(await store.findMessageBySource(c.id, 'failed'), undefined);
    await store.appendMessage(message(conv, 'retried', 'failed'), conv);
    assert.equal((await store.findMessageBySource(c.id, 'failed'))?.content.kind, 'text', 'a failed id can be sent again');
    await assert.rejects(store.appendMessage(message(conv, 'dup', 'failed'), conv), /already stored/);
  });

  it('reopens with all data after close (durable file)', async () => {
    const c = conversation();
    c.tags = ['order_12345'];
    await store.saveConversation(c);
    await store.appendMessage(message(c, 'persisted'), c);
    await store.close();
    store = new SqliteStore({ path: join(dir, 'k.db') });
    assert.equal((await store.listMessages(c.id, {}))[0].content.kind, 'text');
    assert.equal((await store.findConversationsByTag('order_12345'))[0].id, c.id);
    assert.equal((await store.getConversation(c.id))?.lastSeq, 1);
  });
});

describe('createBatcher', () => {
  it('commits immediately-queued writes together and in order', async () => {
    const order: number[] = [];
    const batches: number[] = [];
    const b = createBatcher((run) => { run(); }, 0, (n) => batches.push(n));
    await Promise.all([1, 2, 3].map((i) => b.enqueue(() => { order.push(i); })));
    assert.deepEqual(order, [1, 2, 3]);
    assert.deepEqual(batches, [3]);
  });
});

describe('SqliteStore writer thread', () => {
  it('commits on the writer thread, reads see it, and a dead writer rejects instead of hanging', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kefu-writer-'));
    const store = new SqliteStore({ path: join(dir, 'w.db'), writer: 'thread' });
    try {
      const c = conversation();
      await store.saveConversation(c);
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.appendMessage(message(c, `w${i}`), c)));
      assert.equal((await store.listMessages(c.id, { limit: 1000 })).length, 100);
      await (store as any).writer.worker.terminate(); // the thread dies under us
      await assert.rejects(store.appendMessage(message(c, 'after'), c), /writer thread exited/);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
