import assert from 'node:assert/strict';
import { eventually, type TestGateway } from '../../helpers/gateway.js';
import { agentClosesAfterReply, csatConfig, rated, SURVEY_TEXT } from '../../core/csat/csat-helpers.js';
import { loadMockLibs, mockGateway, needsWechaty, type MockLibs, type MockWeChat } from './mock-wechat.js';

const libs = await loadMockLibs();

describe('CSAT on wechaty (wechaty with the mock puppet, in a real gateway)', function () {
  let w: MockWeChat;
  let gw: TestGateway;
  const clock = { now: 0 };
  const fake = { now: () => clock.now, advance: (ms: number) => { clock.now += ms; } };

  before(function () { needsWechaty(this, libs); });
  beforeEach(async () => {
    ({ w, gw } = await mockGateway(libs as MockLibs, clock, `\n[server]\npublic_url = "https://kefu.example.cn"\n${csatConfig(60)}`));
    await w.login(gw);
  });
  afterEach(async () => { await gw?.close(); });

  it('the survey is a text to the contact; "3 还可以" said back is the rating and does not reopen', async () => {
    const wang = w.contact('Wang Xiaoming');
    const id = await agentClosesAfterReply(gw, fake, async () => w.say(wang, '你好，我的包裹在哪里？'));
    const survey = (await eventually(() => w.texts(wang.id).find((t: string) => SURVEY_TEXT.test(t)), 'the survey text'))!;
    assert.ok(survey.includes(`https://kefu.example.cn/csat/${id}.`));
    w.say(wang, '3 还可以');
    const c = await rated(gw, id);
    assert.deepEqual([c.rating, c.comment], [3, '还可以']);
    await gw.bus.idle();
    await gw.outbox.pump();
    await eventually(() => w.texts(wang.id).includes('Thank you for your feedback!'), 'the thanks');
    assert.equal((await gw.store.getConversation(id))!.status, 'resolved');
  });
});
