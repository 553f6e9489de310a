import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { cid, connectAgent, connectVisitor, loginAgent } from '../../helpers/clients.js';
import { mongoStoreConfig, mongoTarget, perTestMongo } from '../../helpers/mongo.js';
import { closeConversation, csatConfig, fakeClock, rated, surveyDue } from './csat-helpers.js';

const target = await mongoTarget();

describe('CSAT on [store] driver = "mongodb" (real gateway, real sockets)', () => {
  if ('skip' in target) {
    it.skip(`a survey held over a restart, then a rating kept: ${target.skip}`);
    return;
  }
  let gw: TestGateway | undefined;
  const m = perTestMongo(target, 'kefu-mongo-csat-', async () => {
    await gw?.close();
    gw = undefined;
  });

  it('the held survey item survives a restart, is asked once it is due, and the rating is kept across another', async () => {
    const clock = fakeClock();
    const config = `${mongoStoreConfig(target, m.database)}\n[ratelimit]\ncustomer_quota = 0\n${csatConfig(300)}`;
    gw = await startGateway(config, { dir: m.dir, now: clock.now });
    const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    const agent = await connectAgent(gw.workspaceUrl, token);
    let v = await connectVisitor(gw.publicUrl);
    v.socket.send({ type: 'send', clientId: cid(), text: 'Hello from MongoDB' });
    const id = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation.id;
    await closeConversation(gw, token, id);
    clock.advance(200_000);
    await gw.outbox.pump();
    await agent.close();
    await v.socket.close();
    await gw.stop();

    gw = await startGateway(config, { dir: m.dir, now: clock.now });
    assert.equal((await gw.store.getConversation(id))!.csat?.state, 'scheduled', 'not asked before the delay, kept over the restart');
    v = await connectVisitor(gw.publicUrl, v.token);
    await surveyDue(gw, clock, 100_000, id);
    await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'csat');
    v.socket.send({ type: 'send', clientId: cid(), text: '4 fine' });
    await rated(gw, id);
    await v.socket.close();
    await gw.stop();

    gw = await startGateway(config, { dir: m.dir, now: clock.now });
    const c = (await gw.store.getConversation(id))!;
    assert.deepEqual([c.status, c.csat?.state, c.csat?.rating, c.csat?.comment], ['resolved', 'answered', 4, 'fine']);
    const asked = (await gw.store.listMessages(id, {})).filter((m) => m.content.kind === 'event' && m.content.event === 'csat');
    assert.equal(asked.length, 1);
  });
});
