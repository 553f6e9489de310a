import assert from 'node:assert/strict';
import type { Conversation, Message } from '../../../core/model/message.js';
import { newId } from '../../../core/model/ids.js';
import type { Store } from '../../../core/store/store.js';
import { tableContract } from './store-contract-tables.js';
import { contactContract } from './store-contract-contacts.js';
import { searchContract } from './store-contract-search.js';

/**
 * The store contract: what callers of a Store rely on, run against every implementation
 * (store-contract-sqlite.test.ts, store-contract-mongo.test.ts). A behaviour that needs a
 * capability some server lacks is tagged with it and skipped by name with the reason, so a
 * skip is visible in the report and never counted as a pass.
 */
export type Capability = 'uniqueIndex' | 'ttl' | 'transactions' | 'changeStreams';

/** true: the server has it; a string: why it is missing (shown in the skipped test's title). */
export type Capabilities = Record<Capability, true | string>;

export interface OpenedStore {
  store: Store;
  /** Closes the store and opens it again on the same data (a restart). */
  reopen(): Promise<Store>;
  close(): Promise<void>;
}

export interface ContractContext {
  readonly s: Store;
  reopen(): Promise<Store>;
  /** `it`, or a named skip when the capability is missing. */
  needs(cap: Capability, title: string, fn: () => Promise<void>, timeoutMs?: number): void;
}

export function storeContract(name: string, open: () => Promise<OpenedStore>, caps: Capabilities): void {
  describe(`store contract: ${name}`, () => {
    let h: OpenedStore | undefined;
    let store: Store;
    beforeEach(async () => { h = await open(); store = h.store; });
    afterEach(async () => { await h?.close(); h = undefined; });
    const ctx: ContractContext = {
      get s() { return store; },
      async reopen() { store = await h!.reopen(); return store; },
      needs(cap, title, fn, timeoutMs) {
        const has = caps[cap];
        if (has === true) it(`${title} [${cap}]`, fn).timeout(timeoutMs ?? 30_000);
        else it.skip(`${title} [${cap}: ${has}]`);
      },
    };
    conversationContract(ctx);
    messageContract(ctx);
    tableContract(ctx);
    contactContract(ctx);
    searchContract(ctx);
  });
}

export function conversation(thread = newId(), over: Partial<Conversation> = {}): Conversation {
  const now = new Date();
  return { id: newId('C'), ref: { channel: 'web', account: 'default', thread }, customer: { id: `web:${thread}`, role: 'customer' },
    status: 'pending', queue: 'general', priority: 0, aiWeight: 1, createdAt: now, updatedAt: now, lastSeq: 0, tags: [], ...over };
}

/** A message as the bus makes one: the next seq of its conversation. */
export function message(conv: Conversation, text: string, over: Partial<Message> = {}): Message {
  return { id: newId('M'), seq: ++conv.lastSeq, conversationId: conv.id, direction: 'inbound', from: conv.customer,
    content: { kind: 'text', text }, sentAt: new Date(), ...over };
}

/** Without undefined fields and with dates as strings: what both stores return compares equal. */
export const plain = (v: unknown) => JSON.parse(JSON.stringify(v));
const texts = (ms: Message[]) => ms.map((m) => (m.content.kind === 'text' ? m.content.text : m.content.kind));
const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);

function conversationContract(c: ContractContext): void {
  describe('conversations', () => {
    it('stores every field and reads it back by id and by ref after a restart', async () => {
      const conv = conversation('v-1', { customer: { id: 'web:v-1', role: 'customer', name: 'Li Lei' }, status: 'assigned', queue: 'sales',
        priority: 2, intent: { label: '物流', score: 0.75 }, aiWeight: 0.5, assigneeId: 'A1', queuedAt: at(5), tags: ['order_1', 'vip'],
        meta: { subject: 'Teapot', 'a.b': '$x' } });
      await c.s.saveConversation(conv);
      const s = await c.reopen();
      assert.deepEqual(plain(await s.getConversation(conv.id)), plain(conv));
      assert.deepEqual(plain(await s.findConversationByRef(conv.ref)), plain(conv));
      assert.equal(await s.getConversation('C-none'), undefined);
      assert.equal(await s.findConversationByRef({ ...conv.ref, thread: 'other' }), undefined);
    });

    it('keeps the satisfaction survey with the conversation through every state, after a restart', async () => {
      const conv = conversation('v-csat', { status: 'resolved', csat: { state: 'scheduled', dueAt: at(60_000) } });
      await c.s.saveConversation(conv);
      assert.deepEqual(plain((await (await c.reopen()).getConversation(conv.id))!.csat), plain(conv.csat));
      conv.csat = { state: 'answered', dueAt: at(60_000), askedAt: at(61_000), rating: 4, comment: '快，谢谢 "ok"', answeredAt: at(62_000), via: 'reply' };
      await c.s.saveConversation(conv);
      const s = await c.reopen();
      assert.deepEqual(plain(await s.getConversation(conv.id)), plain(conv));
      assert.deepEqual(plain((await s.findConversationByRef(conv.ref))!.csat), plain(conv.csat));
      const none = conversation('v-no-csat');
      await s.saveConversation(none);
      assert.equal((await (await c.reopen()).getConversation(none.id))!.csat, undefined);
    });

    it('finds a conversation by id and by ref before its save has resolved', async () => {
      const conv = conversation('visitor-1');
      const saving = c.s.saveConversation(conv);
      assert.equal((await c.s.findConversationByRef(conv.ref))?.id, conv.id);
      assert.equal((await c.s.getConversation(conv.id))?.id, conv.id);
      await saving;
    });

    it('a later save wins, also when saves are not awaited one by one', async () => {
      const conv = conversation();
      await c.s.saveConversation(conv);
      const saves = (['queued', 'assigned', 'resolved'] as const).map((status) => c.s.saveConversation({ ...conv, status, updatedAt: new Date() }));
      await Promise.all(saves);
      assert.equal((await (await c.reopen()).getConversation(conv.id))?.status, 'resolved');
    });

    it('refuses a second conversation for a ref that already has one', async () => {
      const first = conversation('same-thread');
      await c.s.saveConversation(first);
      await assert.rejects(c.s.saveConversation(conversation('same-thread')));
      assert.equal((await (await c.reopen()).findConversationByRef(first.ref))?.id, first.id);
    });

    it('lists by status and assignee, longest waiting first (queued time, else last update), up to the limit', async () => {
      const a = conversation('a', { status: 'queued', queuedAt: at(30), updatedAt: at(1) });
      const b = conversation('b', { status: 'queued', queuedAt: at(10), updatedAt: at(50) });
      const d = conversation('d', { status: 'assigned', assigneeId: 'A7', updatedAt: at(20) });
      const e = conversation('e', { status: 'resolved', updatedAt: at(5) });
      for (const x of [a, b, d, e]) await c.s.saveConversation(x);
      const ids = (cs: Conversation[]) => cs.map((x) => x.id);
      assert.deepEqual(ids(await c.s.listConversations({ status: ['queued'] })), [b.id, a.id]);
      assert.deepEqual(ids(await c.s.listConversations({ status: ['queued', 'assigned'] })), [b.id, d.id, a.id]);
      assert.deepEqual(ids(await c.s.listConversations({ assigneeId: 'A7' })), [d.id]);
      assert.deepEqual(ids(await c.s.listConversations({})), [e.id, b.id, d.id, a.id]);
      assert.deepEqual(ids(await c.s.listConversations({ limit: 1 })), [e.id]);
    });

    it('lists conversations changed since a time (the CSAT totals\' read at start), the bound included', async () => {
      const old = conversation('old', { status: 'resolved', updatedAt: at(5) });
      const edge = conversation('edge', { status: 'resolved', updatedAt: at(20) });
      const recent = conversation('recent', { status: 'resolved', updatedAt: at(40) });
      const open = conversation('open', { status: 'assigned', assigneeId: 'A1', updatedAt: at(40) });
      for (const x of [old, edge, recent, open]) await c.s.saveConversation(x);
      const got = await c.s.listConversations({ status: ['resolved'], updatedSince: at(20) });
      assert.deepEqual(got.map((x) => x.id), [edge.id, recent.id]);
    });

    it('lists a conversation whose save is still in flight', async () => {
      const conv = conversation('in-flight', { status: 'queued', queuedAt: new Date() });
      const saving = c.s.saveConversation(conv);
      assert.deepEqual((await c.s.listConversations({ status: ['queued'] })).map((x) => x.id), [conv.id]);
      await saving;
    });

    it('finds by tag (latest update first) and by customer (newest first); a removed tag no longer matches', async () => {
      const older = conversation('t1', { tags: ['order_9'], updatedAt: at(1) });
      const newer = conversation('t2', { tags: ['order_9', 'x'], updatedAt: at(2), customer: older.customer });
      await c.s.saveConversation(older);
      await c.s.saveConversation(newer);
      assert.deepEqual((await c.s.findConversationsByTag('order_9')).map((x) => x.id), [newer.id, older.id]);
      assert.deepEqual((await c.s.findConversationsByCustomer(older.customer.id)).map((x) => x.id), [newer.id, older.id]);
      newer.tags = ['x'];
      await c.s.saveConversation(newer);
      const s = await c.reopen();
      assert.deepEqual((await s.findConversationsByTag('order_9')).map((x) => x.id), [older.id]);
      assert.deepEqual(await s.findConversationsByTag('nothing'), []);
    });

    it('pages conversations by id, optionally of some statuses', async () => {
      const all: Conversation[] = [];
      for (let i = 0; i < 5; i++) all.push(conversation(`p${i}`, { status: i % 2 ? 'resolved' : 'queued' }));
      for (const x of all) await c.s.saveConversation(x);
      const first = await c.s.pageConversations('', 2);
      assert.deepEqual(first.map((x) => x.id), [all[0].id, all[1].id]);
      assert.deepEqual((await c.s.pageConversations(first[1].id, 10)).map((x) => x.id), all.slice(2).map((x) => x.id));
      assert.deepEqual((await c.s.pageConversations('', 10, ['resolved'])).map((x) => x.id), [all[1].id, all[3].id]);
    });
  });
}

function messageContract(c: ContractContext): void {
  describe('messages', () => {
    it('stores every field of a message and returns it by id', async () => {
      const conv = conversation();
      await c.s.saveConversation(conv);
      const m = message(conv, '', { sourceId: 'src-1', direction: 'outbound', from: { id: 'A1', role: 'agent', name: 'Han Meimei' },
        content: { kind: 'media', caption: 'photo', attachments: [{ kind: 'image', mediaId: 'x'.repeat(32), mime: 'image/png', size: 10, width: 4, height: 3 }] },
        private: true, intent: { label: '问候', score: 0.9 }, threadId: 'M-root', sentAt: at(7) });
      await c.s.appendMessage(m, conv);
      const s = await c.reopen();
      assert.deepEqual(plain(await s.getMessage(m.id)), plain(m));
      assert.deepEqual(plain((await s.listMessages(conv.id, {}))[0]), plain(m));
      assert.equal(await s.getMessage('M-none'), undefined);
    });

    it('seq is gap-free per conversation under concurrent appends, in call order, and continues after a restart', async () => {
      const conv = conversation();
      const other = conversation();
      await c.s.saveConversation(conv);
      await c.s.saveConversation(other);
      const msgs = Array.from({ length: 40 }, (_, i) => message(i % 4 ? conv : other, `m${i}`));
      await Promise.all(msgs.map((m) => c.s.appendMessage(m, m.conversationId === conv.id ? conv : other)));
      const stored = await c.s.listMessages(conv.id, {});
      assert.deepEqual(stored.map((m) => m.seq), Array.from({ length: 30 }, (_, i) => i + 1));
      assert.deepEqual(texts(stored), msgs.filter((m) => m.conversationId === conv.id).map((m) => (m.content as { text: string }).text));
      assert.deepEqual((await c.s.listMessages(other.id, {})).map((m) => m.seq), Array.from({ length: 10 }, (_, i) => i + 1));
      const s = await c.reopen();
      const back = (await s.getConversation(conv.id))!;
      assert.equal(back.lastSeq, 30);
      const next = message(back, 'after restart');
      await s.appendMessage(next, back);
      assert.equal(next.seq, 31);
      assert.deepEqual((await s.listMessages(conv.id, { afterSeq: 30 })).map((m) => m.seq), [31]);
    });

    it('dedupes on (conversation, sourceId): found, refused again, free in another conversation', async () => {
      const conv = conversation();
      const other = conversation();
      await c.s.saveConversation(conv);
      await c.s.saveConversation(other);
      assert.equal(await c.s.findMessageBySource(conv.id, 'wamid.1'), undefined);
      await c.s.appendMessage(message(conv, 'first', { sourceId: 'wamid.1' }), conv);
      assert.equal((await c.s.findMessageBySource(conv.id, 'wamid.1'))?.seq, 1);
      await assert.rejects(c.s.appendMessage(message(conv, 'again', { sourceId: 'wamid.1' }), conv), /already stored/);
      await c.s.appendMessage(message(other, 'elsewhere', { sourceId: 'wamid.1' }), other);
      assert.equal(await c.s.findMessageBySource(conv.id, 'never-sent'), undefined);
      assert.deepEqual(texts(await c.s.listMessages(conv.id, {})), ['first']);
    });

    it('concurrent duplicates (a vendor retry racing its original): exactly one is stored', async () => {
      const conv = conversation();
      await c.s.saveConversation(conv);
      assert.equal(await c.s.findMessageBySource(conv.id, 'retry-me'), undefined); // the check the bus makes first
      const results = await Promise.allSettled([1, 2, 3].map((i) => c.s.appendMessage(message(conv, `copy ${i}`, { sourceId: 'retry-me' }), conv)));
      assert.deepEqual(results.map((r) => r.status).sort(), ['fulfilled', 'rejected', 'rejected']);
      assert.equal((await c.s.listMessages(conv.id, {})).filter((m) => m.sourceId === 'retry-me').length, 1);
    });

    it('dedupe holds across a restart, and sees an append still in flight', async () => {
      const conv = conversation();
      await c.s.saveConversation(conv);
      await c.s.appendMessage(message(conv, 'before restart', { sourceId: 'old' }), conv);
      const s = await c.reopen();
      const back = (await s.getConversation(conv.id))!;
      const inFlight = s.appendMessage(message(back, 'racing', { sourceId: 'racing' }), back);
      assert.equal((await s.findMessageBySource(conv.id, 'old'))?.seq, 1);
      assert.equal((await s.findMessageBySource(conv.id, 'racing'))?.seq, 2);
      await inFlight;
      await assert.rejects(s.appendMessage(message(back, 'dup', { sourceId: 'old' }), back), /already stored/);
    });

    c.needs('uniqueIndex', 'refuses a second message with an id already stored (other source id)', async () => {
      const conv = conversation();
      await c.s.saveConversation(conv);
      const m = message(conv, 'one', { sourceId: 'a' });
      await c.s.appendMessage(m, conv);
      await assert.rejects(c.s.appendMessage({ ...message(conv, 'two', { sourceId: 'b' }), id: m.id }, conv));
    });

    it('pages history both ways, limits clamped to 1..1000, default 100', async () => {
      const conv = conversation();
      await c.s.saveConversation(conv);
      for (let i = 0; i < 120; i++) await c.s.appendMessage(message(conv, `t${i}`), conv);
      const seqs = (ms: Message[]) => ms.map((m) => m.seq);
      assert.deepEqual(seqs(await c.s.listMessages(conv.id, { afterSeq: 117 })), [118, 119, 120]);
      assert.deepEqual(seqs(await c.s.listMessages(conv.id, { beforeSeq: 4, limit: 2 })), [2, 3]);
      assert.deepEqual(seqs(await c.s.listMessages(conv.id, { beforeSeq: 3, limit: 50 })), [1, 2]);
      assert.deepEqual(seqs(await c.s.listMessages(conv.id, { afterSeq: 5, limit: 0 })), [6]);
      assert.equal((await c.s.listMessages(conv.id, {})).length, 100);
      assert.equal((await c.s.listMessages(conv.id, { limit: 5000 })).length, 120);
      assert.deepEqual(await c.s.listMessages('C-none', {}), []);
    });

    it('a restart keeps who the conversation waits on and when its last message was', async () => {
      const conv = conversation();
      await c.s.saveConversation(conv);
      const agent = { id: 'A1', role: 'agent' as const };
      await c.s.appendMessage(message(conv, 'help?', { sentAt: at(1) }), conv);
      let s = await c.reopen();
      assert.equal((await s.getConversation(conv.id))?.waitingOn, 'agent');
      const back = (await s.getConversation(conv.id))!;
      await s.appendMessage(message(back, 'on it', { direction: 'outbound', from: agent, sentAt: at(2) }), back);
      await s.appendMessage(message(back, 'note', { direction: 'inbound', from: agent, private: true, sentAt: at(3) }), back);
      await s.appendMessage(message(back, '', { direction: 'inbound', content: { kind: 'event', event: 'read' }, sentAt: at(4) }), back);
      s = await c.reopen();
      const last = (await s.getConversation(conv.id))!;
      assert.equal(last.waitingOn, 'customer', 'private notes and events do not change who is waited on');
      assert.equal(last.lastMessageAt?.getTime(), at(4).getTime());
      assert.equal(last.lastSeq, 4);
    });

    it('edits and deletions keep the id and seq', async () => {
      const conv = conversation();
      await c.s.saveConversation(conv);
      const m = message(conv, 'typo');
      await c.s.appendMessage(m, conv);
      await c.s.appendMessage(message(conv, 'second'), conv);
      await c.s.updateMessage({ ...m, content: { kind: 'text', text: 'fixed' }, editedAt: at(9) });
      let got = (await c.s.getMessage(m.id))!;
      assert.deepEqual([got.seq, got.content, got.editedAt?.getTime(), got.deleted], [1, { kind: 'text', text: 'fixed' }, at(9).getTime(), undefined]);
      await c.s.updateMessage({ ...got, content: { kind: 'event', event: 'deleted' }, deleted: true, editedAt: at(10) });
      got = (await (await c.reopen()).listMessages(conv.id, {}))[0];
      assert.deepEqual([got.id, got.seq, got.content.kind, got.deleted], [m.id, 1, 'event', true]);
    });

    it('finds messages sent at one millisecond, and a thread\'s replies oldest first', async () => {
      const conv = conversation();
      const other = conversation();
      await c.s.saveConversation(conv);
      await c.s.saveConversation(other);
      const root = message(conv, 'root', { sentAt: at(100) });
      await c.s.appendMessage(root, conv);
      await c.s.appendMessage(message(conv, 'same ms', { sentAt: at(100) }), conv);
      await c.s.appendMessage(message(other, 'other conv same ms', { sentAt: at(100) }), other);
      for (let i = 0; i < 3; i++) await c.s.appendMessage(message(conv, `reply ${i}`, { threadId: root.id, sentAt: at(200 + i) }), conv);
      assert.deepEqual(texts(await c.s.findMessagesAt(conv.id, at(100).getTime())), ['root', 'same ms']);
      assert.deepEqual(await c.s.findMessagesAt(conv.id, at(101).getTime()), []);
      assert.deepEqual(texts(await c.s.listThread(conv.id, root.id)), ['reply 0', 'reply 1', 'reply 2']);
      assert.deepEqual(texts(await c.s.listThread(conv.id, root.id, 2)), ['reply 0', 'reply 1']);
    });

    it('lists messages across conversations by receive time, with an id cursor and a limit', async () => {
      const a = conversation();
      const b = conversation();
      await c.s.saveConversation(a);
      await c.s.saveConversation(b);
      const from = new Date();
      const made: Message[] = [];
      for (let i = 0; i < 5; i++) {
        const m = message(i % 2 ? b : a, `x${i}`);
        made.push(m);
        await c.s.appendMessage(m, i % 2 ? b : a);
      }
      const to = new Date(Date.now() + 1);
      assert.deepEqual(texts(await c.s.listMessagesBetween(from, to)), ['x0', 'x1', 'x2', 'x3', 'x4']);
      assert.deepEqual(texts(await c.s.listMessagesBetween(from, to, made[1].id, 2)), ['x2', 'x3']);
      assert.deepEqual(await c.s.listMessagesBetween(new Date(from.getTime() - 60_000), new Date(from.getTime() - 1)), []);
    });

    it('appendMessage with deliverTo records the send in the outbox with the message', async () => {
      const conv = conversation();
      await c.s.saveConversation(conv);
      const m = message(conv, 'to the vendor', { direction: 'outbound', from: { id: 'A1', role: 'agent' } });
      await c.s.appendMessage(m, conv, 'channel:sms');
      const s = await c.reopen();
      const item = (await s.outbox.byMessage([m.id])).get(m.id)!;
      assert.deepEqual([item.target, item.orderingKey, item.status, item.attempts, item.payload], ['channel:sms', conv.id, 'pending', 0, '']);
      assert.deepEqual((await s.outbox.due(Date.now(), 10)).map((i) => i.messageId), [m.id]);
    });
  });
}
