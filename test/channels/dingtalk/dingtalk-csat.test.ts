import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { FakeDingtalk, dingtalkConfig } from '../../fixtures/channels/dingtalk/fake-dingtalk.js';
import { agentClosesAfterReply, csatConfig, fakeClock, rated } from '../../core/csat/csat-helpers.js';

/**
 * DingTalk's interactive cards need a card template registered in its developer console and a
 * card callback route, neither of which the fake (nor a fresh robot) has: the survey goes as
 * markdown with signed links to the rating page, and a reply digit over the stream works as well.
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
