import assert from 'node:assert/strict';
import type { Conversation } from '../../../core/model/message.js';
import type { SearchDoc, SearchQuery } from '../../../core/store/search-store.js';
import { tokens } from '../../../core/search/segment.js';
import type { ContractContext } from './store-contract.js';
import { conversation, message } from './store-contract.js';

const at = (min: number) => Date.UTC(2026, 2, 1) + min * 60_000;

/** The search index, labels and snoozes (issue 17), on every store. */
export function searchContract(c: ContractContext): void {
  describe('search index', () => {
    /** Stores a message and indexes it as the indexer would. */
    async function say(conv: Conversation, text: string, min: number): Promise<SearchDoc> {
      const m = message(conv, text, { sentAt: new Date(at(min)) });
      await c.s.appendMessage(m, conv);
      const doc = { messageId: m.id, conversationId: conv.id, sentAt: at(min), tokens: tokens(text, 'index') };
      await c.s.search.put([doc]);
      return doc;
    }
    const ids = async (q: Partial<SearchQuery> & { words: string }) =>
      (await c.s.search.query({ limit: 20, ...q, tokens: tokens(q.words, 'query') })).map((h) => h.messageId);

    it('finds messages holding every word (Chinese segmented), newest first, and pages with beforeId', async () => {
      const a = conversation('s-a');
      await c.s.saveConversation(a);
      const refund = await say(a, '我想申请退款，订单号 A1001', 1);
      const late = await say(a, '快递还没有发货', 2);
      const both = await say(a, '退款以后快递怎么办？', 3);
      const en = await say(a, 'Where is my REFUND for order A1001?', 4);
      assert.deepEqual(await ids({ words: '退款' }), [both.messageId, refund.messageId]);
      assert.deepEqual(await ids({ words: '快递 退款' }), [both.messageId], 'every word must be there');
      assert.deepEqual(await ids({ words: '发货' }), [late.messageId]);
      assert.deepEqual(await ids({ words: 'refund' }), [en.messageId], 'case folded');
      assert.deepEqual(await ids({ words: 'ａ１００１' }), [en.messageId, refund.messageId], 'full-width folded to ASCII');
      assert.deepEqual(await ids({ words: '退款', limit: 1 }), [both.messageId]);
      assert.deepEqual(await ids({ words: '退款', beforeId: both.messageId }), [refund.messageId]);
      assert.deepEqual(await ids({ words: 'nothing-like-this' }), []);
      assert.deepEqual(await c.s.search.query({ tokens: [], limit: 10 }), []);
    });

    it('filters by channel, queue, assignee, status, label and message time, as the conversation is now', async () => {
      const web = conversation('s-web', { queue: 'sales', status: 'assigned', assigneeId: 'A1', tags: ['vip'] });
      const sms = conversation('s-sms', { ref: { channel: 'sms', account: '+1', thread: '+2' }, queue: 'support', status: 'queued' });
      await c.s.saveConversation(web);
      await c.s.saveConversation(sms);
      const w1 = await say(web, 'invoice please', 10);
      const s1 = await say(sms, 'invoice again', 20);
      assert.deepEqual(await ids({ words: 'invoice', channel: 'sms' }), [s1.messageId]);
      assert.deepEqual(await ids({ words: 'invoice', queue: 'sales' }), [w1.messageId]);
      assert.deepEqual(await ids({ words: 'invoice', assigneeId: 'A1' }), [w1.messageId]);
      assert.deepEqual(await ids({ words: 'invoice', status: ['queued', 'pending'] }), [s1.messageId]);
      assert.deepEqual(await ids({ words: 'invoice', label: 'vip' }), [w1.messageId]);
      assert.deepEqual(await ids({ words: 'invoice', from: at(15) }), [s1.messageId]);
      assert.deepEqual(await ids({ words: 'invoice', to: at(15) }), [w1.messageId]);
      assert.deepEqual(await ids({ words: 'invoice', from: at(10), to: at(20) }), [w1.messageId], 'from inclusive, to exclusive');
      sms.tags = ['vip'];
      sms.status = 'resolved';
      await c.s.saveConversation(sms);
      assert.deepEqual(await ids({ words: 'invoice', label: 'vip' }), [s1.messageId, w1.messageId], 'a label added later counts');
      assert.deepEqual(await ids({ words: 'invoice', status: ['resolved'] }), [s1.messageId]);
    });

    it('re-indexing replaces a message\'s words, `missing` never overwrites, remove forgets, and all of it survives a restart', async () => {
      const a = conversation('s-up');
      await c.s.saveConversation(a);
      const doc = await say(a, 'old words here', 1);
      await c.s.search.put([{ ...doc, tokens: tokens('new text', 'index') }]);
      await c.s.search.put([{ ...doc, tokens: tokens('stale catch-up copy', 'index') }], 'missing');
      const other = await say(a, 'other text', 2);
      const s = await c.reopen();
      const q = (w: string) => s.search.query({ tokens: tokens(w, 'query'), limit: 10 }).then((hs) => hs.map((h) => h.messageId));
      assert.deepEqual(await q('old'), []);
      assert.deepEqual(await q('stale'), []);
      assert.deepEqual(await q('text'), [other.messageId, doc.messageId]);
      await s.search.remove([doc.messageId, 'M-never-indexed']);
      assert.deepEqual(await q('text'), [other.messageId]);
      await s.search.put([doc], 'missing');
      assert.deepEqual(await q('words'), [doc.messageId], '`missing` indexes what is not there');
    });

    it('customers: by name (any script) or id, case-insensitive, wildcards taken literally', async () => {
      const li = conversation('s-li', { customer: { id: 'web:s-li', role: 'customer', name: '李小龙 Bruce' } });
      const pct = conversation('s-pct', { customer: { id: 'sms:+861380000', role: 'customer', name: '100% Cotton' } });
      await c.s.saveConversation(li);
      await c.s.saveConversation(pct);
      const names = async (t: string) => (await c.s.search.customers(t, 10)).map((x) => x.id).sort();
      assert.deepEqual(await names('小龙'), [li.id]);
      assert.deepEqual(await names('bruce'), [li.id]);
      assert.deepEqual(await names('+8613'), [pct.id]);
      assert.deepEqual(await names('0%'), [pct.id]);
      assert.deepEqual(await names('%'), [pct.id], '% is a character, not a wildcard');
      assert.deepEqual(await names('.*'), [], 'nor is a regex');
      assert.deepEqual(await names(''), []);
    });

    it('labels in use, most used first', async () => {
      await c.s.saveConversation(conversation('l1', { tags: ['vip', '退款'] }));
      await c.s.saveConversation(conversation('l2', { tags: ['vip'] }));
      await c.s.saveConversation(conversation('l3', { tags: [] }));
      assert.deepEqual(await c.s.search.labels(10), [{ label: 'vip', count: 2 }, { label: '退款', count: 1 }]);
      assert.deepEqual(await c.s.search.labels(1), [{ label: 'vip', count: 2 }]);
    });
  });

  describe('snoozes', () => {
    it('are set, overwritten, cleared, and kept across a restart', async () => {
      await c.s.snoozes.set({ conversationId: 'C1', until: at(60), untilReply: false, agentId: 'A1', createdAt: at(0) });
      await c.s.snoozes.set({ conversationId: 'C2', untilReply: true, agentId: 'A2', createdAt: at(1) });
      await c.s.snoozes.set({ conversationId: 'C1', until: at(90), untilReply: true, agentId: 'A1', createdAt: at(2) });
      await c.s.snoozes.set({ conversationId: 'C3', until: at(5), untilReply: false, agentId: 'A1', createdAt: at(3) });
      await c.s.snoozes.clear('C3');
      await c.s.snoozes.clear('C-none');
      const s = await c.reopen();
      assert.deepEqual(await s.snoozes.list(), [
        { conversationId: 'C1', until: at(90), untilReply: true, agentId: 'A1', createdAt: at(2) },
        { conversationId: 'C2', until: undefined, untilReply: true, agentId: 'A2', createdAt: at(1) },
      ]);
    });
  });
}
