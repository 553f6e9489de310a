import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { agentClosesAfterReply, csatConfig, fakeClock, rated, SURVEY_TEXT } from '../../core/csat/csat-helpers.js';
import { FakeWechat, OA, wechatConfig } from '../../fixtures/channels/wechat/fake-wechat.js';
import { openid, textPush, wechatPush } from '../../fixtures/channels/wechat/wechat-push.js';

describe('CSAT on WeChat (message push in, customer-service messages out, against the fake WeChat API)', () => {
  let fake: FakeWechat;
  let gw: TestGateway;
  let clock: ReturnType<typeof fakeClock>;

  beforeEach(async () => {
    fake = await new FakeWechat().listen();
    clock = fakeClock();
    gw = await startGateway(`${wechatConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n[server]\npublic_url = "https://kefu.example.cn"\n${csatConfig(60)}`, { now: clock.now });
    await eventually(() => gw.channels.isRunning('wechat'), 'wechat running');
  });
  afterEach(async () => { await gw?.close(); await fake.close(); });

  it('the survey is a customer-service text; a pushed "5 谢谢" is the rating, the thanks follows, nothing reopens', async () => {
    const from = openid();
    const push = { account: OA, format: 'xml' as const, aes: true };
    const textsTo = () => fake.sent.filter((s) => s.touser === from && s.msgtype === 'text').map((s) => s.body.text.content as string);
    const id = await agentClosesAfterReply(gw, clock, async () => assert.equal((await wechatPush(gw.publicUrl, textPush(from, '我的发票在哪里？'), push)).text, 'success'));
    const survey = (await eventually(() => textsTo().find((t) => SURVEY_TEXT.test(t)), 'the survey message'))!;
    assert.ok(survey.includes(`https://kefu.example.cn/csat/${id}.`));
    assert.equal((await wechatPush(gw.publicUrl, textPush(from, '5 谢谢'), push)).text, 'success');
    const c = await rated(gw, id);
    assert.deepEqual([c.rating, c.comment], [5, '谢谢']);
    await gw.bus.idle();
    await gw.outbox.pump();
    await eventually(() => textsTo().includes('Thank you for your feedback!'), 'the thanks');
    assert.equal((await gw.store.getConversation(id))!.status, 'resolved');
  });
});
