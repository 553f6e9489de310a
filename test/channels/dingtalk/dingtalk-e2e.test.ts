import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { cid, connectAgent, loginAgent } from '../../helpers/clients.js';
import { FakeDingtalk, dingtalkConfig } from '../../fixtures/channels/dingtalk/fake-dingtalk.js';

describe('dingtalk end to end: an employee on DingTalk converses with an agent in the workspace', () => {
  let fake: FakeDingtalk;
  let gw: TestGateway;

  beforeEach(async () => {
    fake = await new FakeDingtalk().listen();
    gw = await startGateway(`[channels.dingtalk]\nenabled = true\n${dingtalkConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n`);
    await eventually(() => fake.open === 1, 'stream connected');
  });
  afterEach(async () => { await gw?.close(); await fake.close(); });

  it('DingTalk → agent → DingTalk over the stream, with the employee\'s department shown and a reconnect in the middle losing nothing', async () => {
    const agent = await connectAgent(gw.workspaceUrl, await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword));
    const first = fake.push(fake.message({ text: '发票什么时候开？', session: 'chat1' }));
    const assigned = await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned');
    const inbound = await agent.wait((f) => f.type === 'message' && f.message.direction === 'inbound');
    assert.equal(inbound.message.content.text, '发票什么时候开？');
    assert.equal(assigned.conversation.channel, 'dingtalk');
    assert.equal(assigned.conversation.customer.name, '小明');
    assert.ok(fake.isAcked(first));
    const withDept = await agent.wait((f) => f.type === 'conversation' && f.conversation.meta?.department === '采购部 / 华东区');
    assert.equal(withDept.conversation.meta.title, '采购经理');

    const convId = assigned.conversation.id;
    const replyId = cid();
    agent.send({ type: 'send', conversationId: convId, clientId: replyId, text: '今天下午开好。' });
    const ack = await agent.wait((f) => f.type === 'ack' && f.clientId === replyId);
    await eventually(() => fake.sent.some((s) => s.text === '今天下午开好。'), 'reply reached DingTalk');
    assert.deepEqual(fake.sent.filter((s) => s.text === '今天下午开好。').map((s) => [s.via, s.to]), [['session', 'chat1']]);
    await agent.wait((f) => f.type === 'delivery' && f.messageId === ack.id && f.state === 'sent');

    fake.drop();
    await eventually(() => fake.connections === 2 && fake.open === 1, 'reconnected');
    fake.push(fake.message({ text: '好的，谢谢', session: 'chat2' }));
    const thanks = await agent.wait((f) => f.type === 'message' && f.message.direction === 'inbound' && f.message.content.text === '好的，谢谢');
    assert.equal(thanks.message.conversationId, convId, 'the same conversation after the reconnect');
    const texts = (await gw.store.listMessages(convId, {})).filter((m) => m.content.kind === 'text').map((m) => m.content.kind === 'text' && m.content.text);
    assert.deepEqual(texts, ['发票什么时候开？', '今天下午开好。', '好的，谢谢']);
    await agent.close();
  });
});
