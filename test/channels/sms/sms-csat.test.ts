import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { agentClosesAfterReply, csatConfig, fakeClock, rated, SURVEY_TEXT } from '../../core/csat/csat-helpers.js';
import { FakeTwilio, PUBLIC, inbound, smsConfig, twilioPost } from './fake-twilio.js';
import { FakeProvider, gatewayConfig, providerPost } from './fake-provider.js';

delete process.env.TWILIO_REGION;
delete process.env.TWILIO_EDGE;

const CUSTOMER = '+15557654321';

describe('CSAT over SMS: a reply digit (twilio SDK against the fake Twilio; the generic SMS gateway against its fake)', () => {
  let gw: TestGateway;
  let clock: ReturnType<typeof fakeClock>;
  afterEach(async () => { await gw?.close(); });

  describe('twilio', () => {
    let fake: FakeTwilio;
    beforeEach(async () => {
      fake = await new FakeTwilio().listen();
      clock = fakeClock();
      gw = await startGateway(`${smsConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n${csatConfig(60)}`, { now: clock.now });
      await eventually(() => gw.channels.isRunning('sms'), 'sms running');
    });
    afterEach(async () => { await fake.close(); });
    const texts = () => fake.created.map((c) => c.Body);
    const write = async (text: string, sid?: string) => {
      const r = await twilioPost(gw.publicUrl, inbound(CUSTOMER, text, { sid }));
      assert.equal(r.status, 200, JSON.stringify(r.body));
    };

    it('the survey goes out as text with its link; "5 great" is the rating, stored before Twilio is answered, a redelivery once', async () => {
      const id = await agentClosesAfterReply(gw, clock, () => write('Where is my order?'));
      const survey = (await eventually(() => texts().find((t) => SURVEY_TEXT.test(t)), 'the survey SMS'))!;
      assert.ok(survey.includes(`${PUBLIC}/csat/${id}.`), 'the text carries the rating page link');
      const sid = 'SM' + 'a'.repeat(32);
      await write('5 great service', sid);
      // Answered synchronously with the webhook: the rating is stored by the time Twilio has its answer.
      assert.deepEqual([(await gw.store.getConversation(id))!.csat?.rating, (await gw.store.getConversation(id))!.csat?.comment], [5, 'great service']);
      await write('5 great service', sid); // Twilio redelivers
      await gw.bus.idle();
      await gw.outbox.pump();
      await eventually(() => texts().some((t) => t === 'Thank you for your feedback!'), 'the thanks SMS');
      assert.equal(texts().filter((t) => t === 'Thank you for your feedback!').length, 1);
      const conv = (await gw.store.getConversation(id))!;
      assert.equal(conv.status, 'resolved');
      assert.equal((await gw.store.listMessages(id, {})).filter((m) => m.sourceId === sid).length, 1);
    });

    it('a text that is not a rating reopens the conversation and leaves the survey unanswered', async () => {
      const id = await agentClosesAfterReply(gw, clock, () => write('Where is my order?'));
      await write('I still have not got it');
      await eventually(async () => (await gw.store.getConversation(id))!.status === 'assigned', 'reopened and assigned');
      assert.equal((await gw.store.getConversation(id))!.csat?.state, 'asked');
    });
  });

  describe('sms_gateway', () => {
    let p: FakeProvider;
    let n = 0;
    beforeEach(async () => {
      p = await new FakeProvider().listen();
      clock = fakeClock();
      gw = await startGateway(`${gatewayConfig(p)}\n[ratelimit]\ncustomer_quota = 0\n[server]\npublic_url = "https://kefu.example.cn"\n${csatConfig(60)}`, { now: clock.now });
      await eventually(() => gw.channels.isRunning('sms_gateway'), 'sms_gateway running');
    });
    afterEach(async () => { await p.close(); });
    const write = async (text: string) => {
      const r = await providerPost(gw.publicUrl, { msgid: `up${++n}`, mobile: '13800000001', content: text, extno: '106900' });
      assert.equal(r.status, 200, JSON.stringify(r.body));
    };

    it('the survey goes out through the provider; "四，很快" is the rating with its comment', async () => {
      const id = await agentClosesAfterReply(gw, clock, () => write('我的快递到哪了？'));
      await eventually(() => p.accepted.some((a) => SURVEY_TEXT.test(a.text)), 'the survey SMS');
      await write('四，很快');
      const c = await rated(gw, id);
      assert.deepEqual([c.rating, c.comment, c.via], [4, '很快', 'reply']);
      await gw.bus.idle();
      assert.equal((await gw.store.getConversation(id))!.status, 'resolved');
    });
  });
});
