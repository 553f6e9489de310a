import assert from 'node:assert/strict';
import { eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';
import { agentClosesAfterReply, csatConfig, fakeClock, rated } from '../../core/csat/csat-helpers.js';
import { FakeWechat, wechatMpConfig } from './fake-wechat.js';
import { WxStandin, type ComponentInstance } from './wx-standin.js';

/** The kefu-chat component's own JS under the wx stand-in, against a real gateway: the customer rates with its buttons. */
describe('CSAT in the wechat_mp kefu-chat component (wx stand-in, real gateway)', () => {
  let fake: FakeWechat;
  let gw: TestGateway;
  let c: ComponentInstance | undefined;
  let clock: ReturnType<typeof fakeClock>;

  beforeEach(async () => {
    fake = await new FakeWechat().listen();
    clock = fakeClock();
    gw = await startGateway(`${wechatMpConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n${csatConfig(60)}`, { now: clock.now });
  });
  afterEach(async () => { c?.detach(); await gw?.close(); await fake.close(); });

  it('the survey is a card with five ratings; a tap (with a comment) is the rating; the card then shows it', async () => {
    const wx = new WxStandin();
    wx.codes.push(fake.code('o_bob_openid_789'));
    c = wx.mount({ server: gw.publicUrl, locale: 'en' });
    await eventually(() => c!.data.connected, 'connected');
    const id = await agentClosesAfterReply(gw, clock, async () => { c!.onInput({ detail: { value: 'Do you ship to Chengdu?' } }); c!.onSend(); });
    const survey = await eventually(() => c!.data.items.find((i: any) => i.kind === 'survey'), 'the survey card');
    assert.deepEqual([survey.text, survey.ratings, survey.rated], ['How would you rate the help you got?', [1, 2, 3, 4, 5], 0]);
    c.onSurveyComment({ detail: { value: '  very quick  ' } });
    c.onRate({ currentTarget: { dataset: { rating: 5 } } });
    const r = await rated(gw, id);
    assert.deepEqual([r.rating, r.comment, r.via], [5, 'very quick', 'reply']);
    await eventually(() => c!.data.items.find((i: any) => i.kind === 'survey')?.rated === 5, 'the card shows the rating');
    assert.match(c.data.items.find((i: any) => i.kind === 'survey').ratedText, /5 of 5/);
    c.onRate({ currentTarget: { dataset: { rating: 9 } } }); // not a rating: nothing is sent
    await gw.bus.idle();
    assert.equal((await gw.store.getConversation(id))!.status, 'resolved');
    assert.equal((await gw.store.listMessages(id, {})).filter((m) => m.direction === 'inbound').length, 2);
  });
});
