import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ConversationBus } from '../../../core/bus/conversation-bus.js';
import { SqliteStore } from '../../../core/store/sqlite-store.js';
import { GcraRateLimiter } from '../../../core/ratelimit/rate-limiter.js';
import { SearchIndexer, idTime } from '../../../core/search/indexer.js';
import { searchableText, tokens } from '../../../core/search/segment.js';
import { newId } from '../../../core/model/ids.js';
import type { Message } from '../../../core/model/message.js';
import { conversation, message } from '../store/store-contract.js';

const logger = pino({ level: 'silent' });

function open(path: string) {
  const store = new SqliteStore({ path, writer: 'inline', commitIntervalMs: 1, synchronous: 'normal' });
  const limiter = new GcraRateLimiter(0, 0);
  const bus = new ConversationBus({ store, limiter, logger, limits: () => ({ maxTextChars: 4000, defaultQueue: 'general' }), sendOut: async () => {} });
  const indexer = new SearchIndexer({ bus, store, logger });
  const find = async (q: string) => (await store.search.query({ tokens: tokens(q, 'query'), limit: 50 })).map((h) => h.messageId);
  return { store, bus, indexer, find, async close() { indexer.close(); limiter.close(); await store.close(); } };
}

describe('search indexer: after the write, never in it; caught up after a crash', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'kefu-index-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('indexes what the bus stores (inbound and outbound), re-indexes edits and forgets deletions', async () => {
    const g = open(join(dir, 'k.db'));
    try {
      assert.equal(await g.indexer.catchUp(), 0);
      const r = await g.bus.ingest({ ref: { channel: 'web', account: 'default', thread: 'v1' }, customer: { externalId: 'v1' }, content: { kind: 'text', text: '我的包裹破损了' } });
      const out = await g.bus.send({ conversationId: r.conversation.id, from: { id: 'A1', role: 'agent' }, content: { kind: 'text', text: '我们马上补发' } });
      await g.bus.idle();
      await g.indexer.idle();
      assert.deepEqual(await g.find('包裹'), [r.message.id]);
      assert.deepEqual(await g.find('补发'), [out.message.id]);
      const edited = await g.bus.editMessage(out.message, { content: { kind: 'text', text: '我们明天退款' } });
      await g.indexer.idle();
      assert.deepEqual(await g.find('补发'), []);
      assert.deepEqual(await g.find('退款'), [edited.id]);
      await g.bus.editMessage(edited, { deleted: true });
      await g.indexer.idle();
      assert.deepEqual(await g.find('退款'), []);
      assert.equal(await g.store.getMeta('search:cursor'), out.message.id, 'the cursor is the newest message indexed');
    } finally { await g.close(); }
  });

  it('a restart indexes what was stored but never indexed (a crash between the two), from the cursor less the margin', async () => {
    const path = join(dir, 'k.db');
    const g = open(path);
    await g.indexer.catchUp();
    const conv = conversation('crash');
    await g.store.saveConversation(conv);
    const indexed = message(conv, 'indexed before the crash');
    await g.store.appendMessage(indexed, conv);
    g.bus.emit('message', indexed, conv);
    await g.indexer.idle();
    // Stored, and the process died before its `message` event was indexed.
    const lost: Message[] = [];
    for (const text of ['刚才的订单取消了', 'lost refund request']) {
      const m = message(conv, text);
      await g.store.appendMessage(m, conv);
      lost.push(m);
    }
    await g.close();

    const again = open(path);
    try {
      assert.deepEqual(await again.find('订单'), []);
      assert.equal(await again.indexer.catchUp(), 3, 'the margin re-reads the one already indexed too (harmless: upsert)');
      assert.deepEqual(await again.find('订单'), [lost[0].id]);
      assert.deepEqual(await again.find('refund'), [lost[1].id]);
      assert.equal(await again.store.getMeta('search:cursor'), lost[1].id);
      assert.equal(await again.indexer.catchUp(), 3, 'a second start re-reads only the margin');
    } finally { await again.close(); }
  });

  it('the first start after an upgrade indexes every stored message, page by page', async () => {
    const g = open(join(dir, 'k.db'));
    try {
      const conv = conversation('old');
      await g.store.saveConversation(conv);
      for (let i = 0; i < 1203; i++) await g.store.appendMessage(message(conv, `message number w${i}`), conv);
      assert.equal(await g.indexer.catchUp(), 1203);
      assert.equal((await g.store.search.query({ tokens: ['message'], limit: 50 })).length, 50);
      assert.equal((await g.find('w1202')).length, 1);
      assert.equal((await g.find('w0')).length, 1);
    } finally { await g.close(); }
  });

  it('a single Chinese character finds every message holding it, inside a word or not (jieba keeps 货 inside 发货)', async () => {
    const g = open(join(dir, 'k.db'));
    try {
      await g.indexer.catchUp();
      const conv = conversation('one-char');
      await g.store.saveConversation(conv);
      const ms = ['我要发货', '货到了吗？', '退款 refund'].map((t) => message(conv, t));
      for (const m of ms) { await g.store.appendMessage(m, conv); g.bus.emit('message', m, conv); }
      await g.indexer.idle();
      assert.deepEqual((await g.find('货')).sort(), [ms[0].id, ms[1].id].sort());
      assert.deepEqual(await g.find('发'), [ms[0].id]);
      assert.deepEqual(await g.find('款'), [ms[2].id]);
      assert.deepEqual(await g.find('发货'), [ms[0].id], 'words still match as words');
      assert.deepEqual(await g.find('吗 货'), [ms[1].id], 'every character typed must be there');
    } finally { await g.close(); }
  });

  it('an index written before single characters were indexed is rewritten at the next start', async () => {
    const path = join(dir, 'k.db');
    const g = open(path);
    const conv = conversation('old-format');
    await g.store.saveConversation(conv);
    const m = message(conv, '我要发货');
    await g.store.appendMessage(m, conv);
    // What the previous version wrote: jieba's words only, a cursor, no format mark.
    await g.store.search.put([{ messageId: m.id, conversationId: conv.id, sentAt: m.sentAt.getTime(), tokens: ['我要', '发货'] }]);
    await g.store.setMeta('search:cursor', m.id);
    assert.deepEqual(await g.find('货'), []);
    await g.close();
    const again = open(path);
    try {
      assert.equal(await again.indexer.catchUp(), 1);
      assert.deepEqual(await again.find('货'), [m.id]);
      assert.equal(await again.store.getMeta('search:format'), '2');
      assert.equal(await again.store.getMeta('search:cursor'), m.id);
    } finally { await again.close(); }
  });

  it('segments: Chinese by jieba, full-width folded, events and deleted content not searchable', () => {
    assert.deepEqual(tokens('我想申请退款', 'query'), ['我', '想', '申请', '退款']);
    assert.ok(tokens('中华人民共和国', 'index').includes('共和国'), 'index mode keeps the shorter words inside a long one');
    assert.ok(['中', '华', '国'].every((c) => tokens('中华人民共和国', 'index').includes(c)), 'and every character on its own');
    assert.deepEqual(tokens('货', 'query'), ['货']);
    assert.deepEqual(tokens('ＡＢＣ１２３ Order-42!', 'query'), ['abc123', 'order', '42']);
    assert.deepEqual(tokens('', 'index'), []);
    const m = (content: any, over: Partial<Message> = {}): Message => ({ id: newId('M'), seq: 1, conversationId: 'C', direction: 'inbound',
      from: { id: 'x', role: 'customer' }, content, sentAt: new Date(), ...over });
    assert.equal(searchableText(m({ kind: 'event', event: 'assigned', text: 'Agent joined' })), '');
    assert.equal(searchableText(m({ kind: 'text', text: 'secret' }, { deleted: true })), '');
    assert.equal(searchableText(m({ kind: 'media', caption: '发票', attachments: [{ kind: 'file', mediaId: 'x', mime: 'application/pdf', size: 1, name: 'invoice.pdf' }] })), '发票 invoice.pdf');
    assert.equal(idTime(newId('M')) <= Date.now() && idTime(newId('M')) > Date.now() - 5000, true);
  });
});
