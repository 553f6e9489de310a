import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { FakeFeishu } from '../../fixtures/channels/feishu/fake-feishu.js';
import { agentClosesAfterReply, csatConfig, fakeClock, rated } from '../../core/csat/csat-helpers.js';
import { cardEvent, feishuConfig, feishuPost, HOOK_APP, messageEvent, seed } from './feishu-helpers.js';

describe('CSAT on Feishu: a survey card whose rating buttons come back as card.action.trigger (lark SDK against the fake Feishu)', () => {
  let fake: FakeFeishu;
  let gw: TestGateway;
  let clock: ReturnType<typeof fakeClock>;

  beforeEach(async () => {
    fake = await new FakeFeishu().listen();
    seed(fake);
    clock = fakeClock();
    gw = await startGateway(`${feishuConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n${csatConfig(60)}`, { now: clock.now });
    await eventually(() => gw.channels.isRunning('feishu'), 'feishu running');
  });
  afterEach(async () => { await gw?.close(); await fake.close(); });

  const post = (event: object) => feishuPost(gw.publicUrl, HOOK_APP.id, event, { encryptKey: HOOK_APP.encryptKey });

  it('the card has five rating buttons; the customer\'s click is the rating (once), a stranger\'s and a late one are refused', async () => {
    const id = await agentClosesAfterReply(gw, clock, async () => assert.equal((await post(messageEvent({ app: HOOK_APP.id, text: '报销单怎么提交？' }))).status, 200));
    await gw.outbox.pump();
    const card = (await eventually(() => fake.sent.find((s) => s.msgType === 'interactive'), 'the survey card'))!.content;
    assert.equal(card.elements[0].text.content, 'How would you rate the help you got?');
    assert.equal(card.elements[0].text.tag, 'plain_text', 'the configured text is not markdown');
    const buttons = card.elements[1].actions;
    assert.deepEqual(buttons.map((b: any) => b.value.kefu), ['csat:5', 'csat:4', 'csat:3', 'csat:2', 'csat:1']);
    assert.ok(buttons.every((b: any) => b.value.conversation === id));

    const stranger = await post(cardEvent({ app: HOOK_APP.id, conversation: id, openId: 'ou_mallory', kefu: 'csat:1' }));
    assert.equal(stranger.body.toast.type, 'error');
    assert.equal((await gw.store.getConversation(id))!.csat?.state, 'asked');

    const click = cardEvent({ app: HOOK_APP.id, conversation: id, kefu: 'csat:4' });
    const r = await post(click);
    assert.equal(r.status, 200);
    assert.equal(r.body.toast.type, 'success');
    assert.equal((await gw.store.getConversation(id))!.csat?.rating, 4, 'stored before Feishu got its answer');
    assert.equal((await post(click)).status, 200, 'a re-push of the click');
    const late = await post(cardEvent({ app: HOOK_APP.id, conversation: id, kefu: 'csat:1' }));
    assert.equal(late.body.toast.type, 'info');
    const c = await rated(gw, id);
    assert.deepEqual([c.rating, c.via], [4, 'reply']);
    await gw.bus.idle();
    const conv = (await gw.store.getConversation(id))!;
    assert.equal(conv.status, 'resolved');
    assert.equal((await gw.store.listMessages(id, {})).filter((m) => m.direction === 'inbound' && m.content.kind === 'text' && m.content.text === '4').length, 1);
  });
});
