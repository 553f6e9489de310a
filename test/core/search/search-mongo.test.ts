import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { cid, connectVisitor, json, loginAgent, type Visitor } from '../../helpers/clients.js';
import { mongoStoreConfig, mongoTarget, perTestMongo } from '../../helpers/mongo.js';

const target = await mongoTarget();

/** The same workspace API on [store] driver = "mongodb": search, labels, snooze across a restart, the index caught up at start. */
describe('search, labels and snooze on a MongoDB gateway (real gateway, real sockets)', () => {
  if ('skip' in target) {
    it.skip(`search, labels and snooze on MongoDB: ${target.skip}`);
    return;
  }
  let gw: TestGateway | undefined;
  let token: string;
  const visitors: Visitor[] = [];
  const m = perTestMongo(target, 'kefu-mongo-search-', async () => {
    for (const v of visitors.splice(0)) await v.socket.close();
    await gw?.close();
    gw = undefined;
  });

  const start = async () => {
    gw = await startGateway(`${mongoStoreConfig(target, m.database)}[ratelimit]\ncustomer_quota = 0\n[ai]\nenabled = false\n`, { dir: m.dir });
    token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    return gw;
  };
  const api = (path: string, body?: unknown) => json(`${gw!.workspaceUrl}/api${path}`, body === undefined
    ? { headers: { Authorization: `Bearer ${token}` } } : { method: 'POST', headers: { Authorization: `Bearer ${token}` }, json: body });

  it('finds Chinese words, filters by label, keeps a snooze across a restart, and a restart re-indexes what the index lost', async () => {
    const g = await start();
    const v = await connectVisitor(g.publicUrl);
    visitors.push(v);
    const clientId = cid();
    v.socket.send({ type: 'send', clientId, text: '快递还没到，我要退款' });
    await v.socket.wait((f) => f.type === 'ack' && f.clientId === clientId);
    await g.bus.idle();
    await g.searchIndex.idle();
    const conv = (await g.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId }))!;
    assert.deepEqual((await api(`/search?q=${encodeURIComponent('退款')}`)).body.messages.map((x: any) => x.conversation.id), [conv.id]);
    // One character is found inside a word too (递 of 快递): the index holds every Han character on its own.
    assert.deepEqual((await api(`/search?q=${encodeURIComponent('递')}`)).body.messages.map((x: any) => x.conversation.id), [conv.id]);
    assert.equal((await api(`/search?q=${encodeURIComponent('货')}`)).body.messages.length, 0);
    await api(`/conversations/${conv.id}/labels`, { add: ['物流'] });
    assert.equal((await api(`/search?q=${encodeURIComponent('快递')}&label=${encodeURIComponent('物流')}`)).body.messages.length, 1);
    assert.equal((await api(`/search?q=${encodeURIComponent('快递')}&label=other`)).body.messages.length, 0);
    await api(`/conversations/${conv.id}/snooze`, { until: Date.now() + 3600_000 });

    // The index loses its copy (as if a crash came between the message and its indexing).
    await (g.store as unknown as { db: import('mongodb').Db }).db.collection('search').deleteMany({});
    await g.store.setMeta('search:cursor', '');
    for (const x of visitors.splice(0)) await x.socket.close();
    await g.close();
    const again = await start();
    assert.deepEqual((await api('/snoozed')).body.conversations.map((c: any) => c.id), [conv.id]);
    await again.searchIndex.idle();
    assert.deepEqual((await api(`/search?q=${encodeURIComponent('退款')}`)).body.messages.map((x: any) => x.message.content.text), ['快递还没到，我要退款']);
  });
});
