import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import type { EmailChannel } from '../../../channels/email/index.js';
import { agentClosesAfterReply, csatConfig, fakeClock, rated } from '../../core/csat/csat-helpers.js';
import { Relay, emailConfig, deliver } from './mail-helpers.js';

describe('CSAT over e-mail: a survey mail with rating links, answered on the rating page (real SMTP both ways, plain HTTP)', () => {
  let relay: Relay;
  let gw: TestGateway;
  let clock: ReturnType<typeof fakeClock>;
  let port: number;
  beforeEach(async () => {
    relay = await new Relay().listen();
    clock = fakeClock();
    gw = await startGateway(`${emailConfig(relay.port)}\n[ratelimit]\ncustomer_quota = 0\n${csatConfig(60)}`, { now: clock.now });
    await eventually(() => gw.channels.isRunning('email'), 'email running');
    port = (gw.channels.get('email') as EmailChannel).smtpPort!;
  });
  afterEach(async () => { await gw?.close(); await relay.close(); });

  it('one survey mail per ticket (auto-generated, in the thread); its link leads to the form; the post stores the rating', async () => {
    const id = await agentClosesAfterReply(gw, clock, () => deliver(port, { from: 'Li Lei <lilei@gmail.test>', subject: 'Order 1234', text: 'Where is my order?' }));
    await gw.outbox.pump();
    const mail = (await eventually(() => relay.received.find((m) => /How would you rate/.test(m.text ?? '')), 'the survey mail'))!;
    assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
    assert.match(mail.subject!, /^Re: Order 1234 \[#T/);
    const links = [...String(mail.html).matchAll(/href="([^"]+)"/g)].map((m) => m[1].replace(/&amp;/g, '&'));
    const four = links.find((l) => l.endsWith('?rating=4'))!;
    assert.ok(four.startsWith(`${gw.publicUrl}/csat/${id}.`), four);
    const page = await fetch(four);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /value="4" checked/);
    assert.equal((await gw.store.getConversation(id))!.csat?.state, 'asked', 'following the link rates nothing');
    const post = await fetch(four.split('?')[0], { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ rating: '4', comment: 'Slow start, good end' }).toString() });
    assert.equal(post.status, 200);
    const c = await rated(gw, id);
    assert.deepEqual([c.rating, c.comment, c.via], [4, 'Slow start, good end', 'page']);
    assert.equal(relay.received.filter((m) => /How would you rate/.test(m.text ?? '')).length, 1);
  });
});
