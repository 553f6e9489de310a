import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';
import { say, connectAgent, connectVisitor, json, loginAgent, type FrameSocket, type Visitor } from '../../helpers/clients.js';

const CONFIG = '[ratelimit]\ncustomer_quota = 0\n[ai]\nenabled = false\n';

/** Search, labels and snooze through the workspace API of a real gateway (SQLite, 127.0.0.1, port 0). */
describe('workspace search, labels and snooze (HTTP API, real gateway)', () => {
  let gw: TestGateway;
  let token: string;
  let offset = 0;
  const visitors: Visitor[] = [];
  const sockets: FrameSocket[] = [];
  const api = (path: string, body?: unknown) => json(`${gw.workspaceUrl}/api${path}`, body === undefined
    ? { headers: { Authorization: `Bearer ${token}` } } : { method: 'POST', headers: { Authorization: `Bearer ${token}` }, json: body });
  async function visitor(text: string): Promise<{ v: Visitor; id: string }> {
    const v = await connectVisitor(gw.publicUrl);
    visitors.push(v);
    await say(v, text);
    await gw.bus.idle();
    const conv = (await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId }))!;
    return { v, id: conv.id };
  }

  beforeEach(async () => {
    offset = 0;
    gw = await startGateway(CONFIG, { now: () => Date.now() + offset });
    token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
  });
  afterEach(async () => {
    for (const v of visitors.splice(0)) await v.socket.close();
    for (const s of sockets.splice(0)) await s.close();
    await gw.close();
  });

  it('finds Chinese and English messages, newest first, with their conversation; filters; customers by name', async () => {
    const a = await visitor('你好，我想申请退款，订单号 A1001');
    const b = await visitor('Where is my refund? Order A1001');
    await api(`/conversations/${a.id}/messages`, { text: '退款已经提交，请耐心等待' });
    await gw.searchIndex.idle();

    const r = await api(`/search?q=${encodeURIComponent('退款')}`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.messages.map((x: any) => x.message.content.text), ['退款已经提交，请耐心等待', '你好，我想申请退款，订单号 A1001']);
    assert.equal(r.body.messages[0].conversation.id, a.id);
    assert.deepEqual(r.body.words, ['退款']);
    const order = await api('/search?q=a1001');
    assert.deepEqual(order.body.messages.map((x: any) => x.conversation.id), [b.id, a.id]);
    assert.deepEqual((await api('/search?q=a1001&channel=sms')).body.messages, []);
    assert.deepEqual((await api(`/search?q=a1001&from=${encodeURIComponent(new Date(Date.now() + 3600_000).toISOString())}`)).body.messages, []);
    const admin = (await api('/me')).body.agent.id;
    assert.deepEqual((await api(`/search?q=${encodeURIComponent('退款')}&agent=${admin}`)).body.messages.length, 2, 'the reply assigned it to the admin');
    assert.deepEqual((await api(`/search?q=refund&status=queued,pending,bot`)).body.messages.map((x: any) => x.conversation.id), [b.id]);
    const page1 = await api('/search?q=a1001&limit=1');
    assert.equal(page1.body.messages.length, 1);
    const page2 = await api(`/search?q=a1001&limit=1&before=${page1.body.next}`);
    assert.deepEqual(page2.body.messages.map((x: any) => x.conversation.id), [a.id]);

    const name = (await gw.store.getConversation(b.id))!.customer.name!;
    const who = await api(`/search?q=${encodeURIComponent(name.slice(-4).toLowerCase())}`);
    assert.deepEqual(who.body.customers.map((c: any) => c.id), [b.id]);
  });

  it('the queue filter: only messages and customers of conversations in that queue', async () => {
    const a = await visitor('refund please, the parcel came broken');
    const b = await visitor('where is my parcel? order shipping');
    const qa = (await gw.store.getConversation(a.id))!.queue;
    const qb = (await gw.store.getConversation(b.id))!.queue;
    assert.deepEqual([qa, qb], ['after_sales', 'order'], 'routed by their keywords');
    await gw.searchIndex.idle();
    const ids = async (query: string) => (await api(`/search?${query}`)).body.messages.map((x: any) => x.conversation.id);
    assert.deepEqual(await ids('q=parcel'), [b.id, a.id]);
    assert.deepEqual(await ids('q=parcel&queue=after_sales'), [a.id]);
    assert.deepEqual(await ids('q=parcel&queue=order'), [b.id]);
    assert.deepEqual(await ids('q=parcel&queue=general'), []);
    const name = (await gw.store.getConversation(b.id))!.customer.name!;
    assert.deepEqual((await api(`/search?q=${encodeURIComponent(name)}&queue=order`)).body.customers.map((c: any) => c.id), [b.id]);
    assert.deepEqual((await api(`/search?q=${encodeURIComponent(name)}&queue=after_sales`)).body.customers, []);
    // Moved to another queue: the filter follows the conversation, not where its messages were written.
    assert.equal((await api(`/conversations/${a.id}/transfer`, { queue: 'general' })).status, 200);
    assert.deepEqual(await ids('q=parcel&queue=general'), [a.id]);
    assert.deepEqual(await ids('q=parcel&queue=after_sales'), []);
  });

  it('the date filters: from ≤ sent < to, as ISO times, dates or milliseconds', async () => {
    // Messages carry the store's receive time (the real clock): the bounds are taken from them.
    const sentOf = async (id: string) => (await gw.store.listMessages(id, { afterSeq: 0, limit: 10 })).find((m) => m.from.role === 'customer')!.sentAt.getTime();
    const early = await visitor('early question about the invoice');
    const t1 = await sentOf(early.id);
    await eventually(() => Date.now() > t1 + 2, 'the clock to move on');
    const late = await visitor('late question about the invoice');
    const t2 = await sentOf(late.id);
    assert.ok(t2 > t1);
    await gw.searchIndex.idle();
    const ids = async (query: string) => (await api(`/search?q=invoice&${query}`)).body.messages.map((x: any) => x.conversation.id);
    const iso = (ms: number) => encodeURIComponent(new Date(ms).toISOString());
    assert.deepEqual(await ids(''), [late.id, early.id]);
    assert.deepEqual(await ids(`to=${iso(t2)}`), [early.id], 'to is exclusive: the late one, sent at to, is out');
    assert.deepEqual(await ids(`to=${iso(t2 + 1)}`), [late.id, early.id]);
    assert.deepEqual(await ids(`to=${t1}`), [], 'milliseconds too; nothing before the first');
    assert.deepEqual(await ids(`from=${t1 + 1}&to=${t2 + 1}`), [late.id], 'from and to together');
    assert.deepEqual(await ids(`from=${iso(t1)}&to=${iso(t2)}`), [early.id], 'from is inclusive');
    // A date alone is the start of that day, UTC.
    const day = new Date(t1).toISOString().slice(0, 10);
    const next = new Date(Date.parse(day) + 86400_000).toISOString().slice(0, 10);
    assert.deepEqual(await ids(`to=${day}`), []);
    assert.deepEqual(await ids(`to=${next}`), new Date(t2).toISOString().slice(0, 10) === day ? [late.id, early.id] : [early.id]);
    assert.equal((await api('/search?q=invoice&to=tomorrow')).body.error.code, 'validation_failed');
  });

  it('customers are also found by their contact: a company or name an agent set on the contact', async () => {
    const { id } = await visitor('hello there');
    const contact = (await api(`/conversations/${id}/contact`)).body.contact;
    assert.equal((await api(`/contacts/${contact.id}`, { name: 'Han Meimei', company: 'Mei Tea Co' })).status, 200);
    assert.deepEqual((await api(`/search?q=${encodeURIComponent('mei tea')}`)).body.customers.map((c: any) => c.id), [id]);
    assert.deepEqual((await api(`/search?q=${encodeURIComponent('Han Meimei')}`)).body.customers.map((c: any) => c.id), [id]);
    assert.deepEqual((await api('/search?q=nobody-like-this')).body.customers, []);
  });

  it('[search] index = false: nothing is indexed, customers and labels are still found', async () => {
    await gw.close();
    gw = await startGateway(`${CONFIG}[search]\nindex = false\n`, { now: () => Date.now() + offset });
    token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    const a = await visitor('an unindexed refund request');
    await api(`/conversations/${a.id}/labels`, { add: ['vip'] });
    await gw.searchIndex.idle();
    assert.deepEqual((await api('/search?q=refund')).body.messages, []);
    assert.equal(await gw.store.getMeta('search:cursor'), undefined);
    const name = (await gw.store.getConversation(a.id))!.customer.name!;
    assert.deepEqual((await api(`/search?q=${encodeURIComponent(name)}`)).body.customers.map((c: any) => c.id), [a.id]);
    assert.deepEqual((await api('/search?label=vip')).body.labelled.map((c: any) => c.id), [a.id]);
  });

  it('refuses malformed searches and anonymous callers with a clear error', async () => {
    for (const [q, field] of [['q=' + 'x'.repeat(201), 'q'], ['q=a&status=open', 'status'], ['q=a&limit=0', 'limit'], ['q=a&from=yesterday', 'from'], ['q=a&q=b', 'q']]) {
      const r = await api(`/search?${q}`);
      assert.equal(r.status, 422, q);
      assert.equal(r.body.error.code, 'validation_failed');
      assert.match(r.body.error.message, new RegExp(field));
    }
    assert.equal((await json(`${gw.workspaceUrl}/api/search?q=a`)).status, 401);
    assert.deepEqual((await api('/search?q=')).body.messages, [], 'an empty query matches nothing');
  });

  it('labels: added and removed, announced to agents, listed, and a search filter', async () => {
    const a = await visitor('my parcel is broken');
    const b = await visitor('my parcel is late');
    const agent = await connectAgent(gw.workspaceUrl, token);
    sockets.push(agent);
    const r = await api(`/conversations/${a.id}/labels`, { add: [' 破损 ', 'vip'] });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.conversation.tags, ['破损', 'vip']);
    await agent.wait((f) => f.type === 'conversation' && f.conversation.id === a.id && f.conversation.tags.includes('破损'));
    await api(`/conversations/${b.id}/labels`, { add: ['vip'] });
    await api(`/conversations/${a.id}/labels`, { remove: ['vip'] });
    assert.deepEqual((await api('/labels')).body.labels, [{ label: 'vip', count: 1 }, { label: '破损', count: 1 }]);
    await gw.searchIndex.idle();
    assert.deepEqual((await api('/search?q=parcel&label=vip')).body.messages.map((x: any) => x.conversation.id), [b.id]);
    const listed = await api(`/search?label=${encodeURIComponent('破损')}`);
    assert.deepEqual([listed.body.messages, listed.body.labelled.map((c: any) => c.id)], [[], [a.id]], 'a label alone lists its conversations');
    assert.deepEqual((await api(`/search?label=${encodeURIComponent('破损')}&channel=sms`)).body.labelled, []);
    assert.equal((await api('/search?q=parcel')).body.labelled, undefined);
    for (const bad of [{ add: [''] }, { add: ['x'.repeat(41)] }, { add: ['a\u0000b'] }, { add: 'vip' }, { add: Array.from({ length: 31 }, (_, i) => `l${i}`) }]) {
      const e = await api(`/conversations/${a.id}/labels`, bad);
      assert.equal(e.status, 422, JSON.stringify(bad).slice(0, 60));
    }
    assert.equal((await api('/conversations/C-none/labels', { add: ['x'] })).status, 404);
  });

  it('snooze until a time: leaves with `snooze`, comes back by itself when the clock passes it', async () => {
    const a = await visitor('call me tomorrow');
    const agent = await connectAgent(gw.workspaceUrl, token);
    sockets.push(agent);
    const until = Date.now() + 3600_000;
    const r = await api(`/conversations/${a.id}/snooze`, { until: new Date(until).toISOString() });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.snooze, { until: new Date(until).toISOString(), untilReply: false, agentId: (await api('/me')).body.agent.id });
    await agent.wait((f) => f.type === 'conversation' && f.conversation.id === a.id && f.conversation.snooze);
    assert.deepEqual((await api('/snoozed')).body.conversations.map((c: any) => c.id), [a.id]);

    offset = 3600_001;
    gw.snoozes.check();
    await agent.wait((f) => f.type === 'conversation' && f.conversation.id === a.id && !f.conversation.snooze);
    assert.deepEqual((await api('/snoozed')).body.conversations, []);
    assert.equal((await api(`/conversations/${a.id}`)).body.conversation.snooze, undefined);
    for (const bad of [{}, { until: Date.now() - 1000 }, { until: 'soon' }, { until: Date.now() + 400 * 86400_000 }, { untilReply: 'yes' }]) {
      const e = await api(`/conversations/${a.id}/snooze`, bad);
      assert.equal(e.status, 422, JSON.stringify(bad));
    }
  });

  it('a snooze is kept across a restart; one that fell due while down wakes at start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kefu-snooze-'));
    try {
      await gw.close();
      gw = await startGateway(CONFIG, { dir, now: () => Date.now() + offset });
      token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
      const a = await visitor('first');
      const b = await visitor('second');
      await api(`/conversations/${a.id}/snooze`, { until: Date.now() + 3600_000 });
      await api(`/conversations/${b.id}/snooze`, { until: Date.now() + 2 * 86400_000 });
      for (const v of visitors.splice(0)) await v.socket.close();
      await gw.close();
      offset = 2 * 3600_000;
      gw = await startGateway(CONFIG, { dir, now: () => Date.now() + offset });
      token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
      assert.deepEqual((await api('/snoozed')).body.conversations.map((c: any) => c.id), [b.id], 'a woke at start, b still sleeps');
      assert.ok((await api(`/conversations/${b.id}`)).body.conversation.snooze.until);
    } finally {
      await gw.close();
      gw = await startGateway(CONFIG);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('snooze until the customer writes: their next message wakes it (a dated snooze too); unsnooze by hand', async () => {
    const a = await visitor('I will send the photo later');
    const b = await visitor('thinking about it');
    const agent = await connectAgent(gw.workspaceUrl, token);
    sockets.push(agent);
    assert.equal((await api(`/conversations/${a.id}/snooze`, { untilReply: true })).body.snooze.untilReply, true);
    await api(`/conversations/${b.id}/snooze`, { until: Date.now() + 86400_000 });
    agent.frames.length = 0;
    await say(visitors[0], 'here is the photo');
    await agent.wait((f) => f.type === 'conversation' && f.conversation.id === a.id && !f.conversation.snooze);
    await say(visitors[1], 'ok, decided');
    await agent.wait((f) => f.type === 'conversation' && f.conversation.id === b.id && !f.conversation.snooze);
    await api(`/conversations/${a.id}/snooze`, { untilReply: true });
    const r = await api(`/conversations/${a.id}/unsnooze`, {});
    assert.equal(r.body.conversation.snooze, undefined);
    assert.deepEqual((await api('/snoozed')).body.conversations, []);
    await api(`/conversations/${a.id}/snooze`, { untilReply: true });
    await api(`/conversations/${a.id}/requeue`, {});
    await agent.wait((f) => f.type === 'conversation' && f.conversation.id === a.id && f.conversation.status === 'queued' && !f.conversation.snooze);
    assert.deepEqual((await api('/snoozed')).body.conversations, [], 'back in the queue, the snooze ended');
    await api(`/conversations/${b.id}/snooze`, { untilReply: true });
    await api(`/conversations/${b.id}/close`, {});
    assert.deepEqual((await api('/snoozed')).body.conversations, [], 'closed, the snooze ended');
    assert.equal((await api(`/conversations/${b.id}/snooze`, { untilReply: true })).status, 409, 'a resolved conversation is not snoozed');
  });
});
