import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { FakeDingtalk, dingtalkConfig } from '../../fixtures/channels/dingtalk/fake-dingtalk.js';
import { agentClosesAfterReply, csatConfig, fakeClock, rated } from '../../core/csat/csat-helpers.js';

/**
 * Without a card template configured (`csat_card_template_id`: DingTalk draws cards only from a
 * template made in its card platform): the survey goes as markdown with signed links to the
 * rating page, and a reply digit over the stream works as well.
 */
describe('CSAT on DingTalk: markdown with signed rating links, or a reply digit (stream client against the fake DingTalk)', () => {
  let fake: FakeDingtalk;
  let gw: TestGateway;
  let clock: ReturnType<typeof fakeClock>;

  beforeEach(async () => {
    fake = await new FakeDingtalk().listen();
    clock = fakeClock();
    gw = await startGateway(`[channels.dingtalk]\nenabled = true\n${dingtalkConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n${csatConfig(60)}`, { now: clock.now });
    await eventually(() => fake.open === 1, 'stream connected');
  });
  afterEach(async () => { await gw?.close(); await fake.close(); });

  const survey = () => eventually(() => fake.sent.find((s) => s.msgKey === 'sampleMarkdown' || /rating=5/.test(s.text)), 'the survey markdown');

  it('the survey is markdown with a link per rating; the link\'s page takes the rating', async () => {
    const id = await agentClosesAfterReply(gw, clock, async () => fake.push(fake.message({ text: '发票什么时候开？', session: 'chat1' })));
    await gw.outbox.pump();
    const s = (await survey())!;
    const links = [...s.text.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]);
    assert.equal(links.length, 5);
    const two = links.find((l) => l.endsWith('?rating=2'))!;
    assert.ok(two.startsWith(`${gw.publicUrl}/csat/${id}.`), two);
    assert.match(await (await fetch(two)).text(), /value="2" checked/);
    const r = await fetch(two.split('?')[0], { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'rating=2&comment=%E5%A4%AA%E6%85%A2' });
    assert.equal(r.status, 200);
    const c = await rated(gw, id);
    assert.deepEqual([c.rating, c.comment, c.via], [2, '太慢', 'page']);
  });

  it('a reply digit over the stream is the rating too, acknowledged only once stored', async () => {
    const id = await agentClosesAfterReply(gw, clock, async () => fake.push(fake.message({ text: '报销流程？', session: 'chat1' })));
    await gw.outbox.pump();
    await survey();
    const answer = fake.push(fake.message({ text: '5', session: 'chat2' }));
    await eventually(() => fake.isAcked(answer), 'acked');
    assert.equal((await gw.store.getConversation(id))!.csat?.rating, 5, 'stored before the ack');
    await gw.bus.idle();
    assert.equal((await gw.store.getConversation(id))!.status, 'resolved');
  });
});

/**
 * With `csat_card_template_id` (a template the operator made in DingTalk's card platform): the
 * survey is an interactive card (card/instances/createAndDeliver), a click comes back over the
 * stream on the card callback topic, and only the conversation's customer's click is a rating.
 * The fake speaks the payloads several independent DingTalk integrations use (outTrackId, userId,
 * content.cardPrivateData.params); the real template's look is not tested here.
 */
describe('CSAT on DingTalk as an interactive card (stream card callback against the fake DingTalk)', () => {
  let fake: FakeDingtalk;
  let gw: TestGateway;
  let clock: ReturnType<typeof fakeClock>;

  beforeEach(async () => {
    fake = await new FakeDingtalk().listen();
    clock = fakeClock();
    gw = await startGateway(`[channels.dingtalk]\nenabled = true\ncsat_card_template_id = "tpl-csat-0001.schema"\n${dingtalkConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n${csatConfig(60)}`, { now: clock.now });
    await eventually(() => fake.open === 1, 'stream connected');
  });
  afterEach(async () => { await gw?.close(); await fake.close(); });

  it('the survey is a card to the customer; a stranger\'s click changes nothing; the customer\'s click is stored before the ack, once', async () => {
    assert.deepEqual(fake.openRequests.at(-1)!.subscriptions, [{ type: 'CALLBACK', topic: '/v1.0/im/bot/messages/get' }, { type: 'CALLBACK', topic: '/v1.0/card/instances/callback' }]);
    const id = await agentClosesAfterReply(gw, clock, async () => fake.push(fake.message({ text: '报销流程？', session: 'chat1' })));
    await gw.outbox.pump();
    const card = (await eventually(() => fake.cards[0], 'the card delivered'))!;
    assert.deepEqual([card.templateId, card.openSpaceId, card.robotCode], ['tpl-csat-0001.schema', 'dtv1.card//IM_ROBOT.manager4711', 'dingfakeappkey01']);
    assert.match(card.params.question, /\S/);
    assert.equal(fake.sent.filter((s) => /rating=/.test(s.text)).length, 0, 'no link markdown besides the card');

    const stranger = fake.clickCard(card.outTrackId, 'someoneelse', { rating: '1' });
    await eventually(() => fake.isAcked(stranger), 'the stranger\'s click acked');
    assert.equal((await gw.store.getConversation(id))!.csat?.state, 'asked');

    const click = fake.clickCard(card.outTrackId, 'manager4711', { rating: '4' });
    await eventually(() => fake.isAcked(click), 'acked');
    const c = (await gw.store.getConversation(id))!;
    assert.deepEqual([c.csat?.state, c.csat?.rating, c.status], ['answered', 4, 'resolved'], 'stored before the ack; not reopened');
    // The SDK wraps a callback's answer as { response }: the card's `rated` variable shows the choice.
    assert.deepEqual(fake.ackOf(click), { response: { cardData: { cardParamMap: { rated: '4' } } } });
    const late = fake.clickCard(card.outTrackId, 'manager4711', { rating: '2' });
    await eventually(() => fake.isAcked(late), 'the late click acked');
    await gw.bus.idle();
    assert.equal((await gw.store.getConversation(id))!.csat?.rating, 4, 'the first answer stays');
    const ratings = (await gw.store.listMessages(id, {})).filter((m) => m.direction === 'inbound' && m.content.kind === 'text' && /^[1-5]$/.test(m.content.text));
    assert.deepEqual(ratings.map((m) => m.content.kind === 'text' && m.content.text), ['4'], 'one rating message; the later click after the survey closed is not stored');
  });
});
