import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { cid, connectAgent, loginAgent, type FrameSocket } from '../../helpers/clients.js';
import { FakeWechat, MP, OA, wechatConfig } from '../../fixtures/channels/wechat/fake-wechat.js';
import { enterPush, openid, textPush, wechatPush, type PushOptions } from '../../fixtures/channels/wechat/wechat-push.js';

/**
 * A customer on WeChat converses with an agent in the workspace, end to end: the customer's side
 * is WeChat's message push (what the WeChat client triggers), the agent's a real /ws/agent socket.
 */
describe('wechat end to end: a customer from a contact button (and a service account) with an agent', () => {
  let fake: FakeWechat;
  let gw: TestGateway;
  let agent: FrameSocket;

  beforeEach(async () => {
    fake = await new FakeWechat().listen();
    gw = await startGateway(`${wechatConfig(fake)}\n[[routing.queues]]\nname = "general"\n[[routing.queues]]\nname = "billing"\n[ratelimit]\ncustomer_quota = 0\n`);
    await eventually(() => gw.channels.isRunning('wechat'), 'wechat running');
    agent = await connectAgent(gw.workspaceUrl, await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword));
  });
  afterEach(async () => { await agent?.close(); await gw?.close(); await fake.close(); });

  const textsTo = (to: string) => fake.sent.filter((s) => s.touser === to && s.msgtype === 'text').map((s) => s.body.text.content);

  async function converse(from: string, push: PushOptions, appid: string) {
    // The customer taps <button open-type="contact" session-from="billing-page">, then writes.
    assert.equal((await wechatPush(gw.publicUrl, enterPush(from, 'billing-page'), push)).text, 'success');
    const assigned = await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned' && f.conversation.customer.id === `wechat:${from}`);
    const conv = assigned.conversation;
    assert.deepEqual([conv.channel, conv.queue], ['wechat', 'billing']);
    assert.equal(conv.meta.wechat_window, 'enter', 'the side panel gets the window');
    assert.equal((await wechatPush(gw.publicUrl, textPush(from, '我的发票在哪里？'), push)).text, 'success');
    const question = await agent.wait((f) => f.type === 'message' && f.message.conversationId === conv.id && f.message.content.text === '我的发票在哪里？');
    assert.equal(question.message.direction, 'inbound');

    const replyId = cid();
    agent.send({ type: 'send', conversationId: conv.id, clientId: replyId, text: 'It is in your e-mail, sent today.' });
    const ack = await agent.wait((f) => f.type === 'ack' && f.clientId === replyId);
    await agent.wait((f) => f.type === 'delivery' && f.messageId === ack.id && f.state === 'sent');
    assert.deepEqual(textsTo(from), ['It is in your e-mail, sent today.']);
    assert.equal(fake.sent.find((s) => s.touser === from)!.appid, appid, 'sent with this account\'s token');
    const counted = await agent.wait((f) => f.type === 'conversation' && f.conversation.id === conv.id && f.conversation.meta.wechat_window_sent === '1');
    assert.equal(counted.conversation.meta.wechat_window, 'message');

    assert.equal((await wechatPush(gw.publicUrl, textPush(from, '收到，谢谢'), push)).text, 'success');
    await agent.wait((f) => f.type === 'message' && f.message.conversationId === conv.id && f.message.content.text === '收到，谢谢');
    const history = await gw.store.listMessages(conv.id, {});
    assert.deepEqual(history.filter((m) => m.content.kind === 'text').map((m) => [m.direction, m.content.kind === 'text' && m.content.text]), [
      ['inbound', '我的发票在哪里？'], ['outbound', 'It is in your e-mail, sent today.'], ['inbound', '收到，谢谢'],
    ]);
  }

  it('mini-program (JSON, plain mode)', async () => {
    await converse(openid(), { account: MP, format: 'json' }, MP.appid);
  });

  it('service account (XML, safe mode)', async () => {
    await converse(openid(), { account: OA, format: 'xml', aes: true }, OA.appid);
  });
});
