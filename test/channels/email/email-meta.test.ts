import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import type { EmailChannel } from '../../../channels/email/index.js';
import { Relay, emailConfig, deliver } from './mail-helpers.js';

describe('email: ticket meta (subject, sender, cc) from real mail', () => {
  let relay: Relay;
  let gw: TestGateway;
  let port: number;
  beforeEach(async () => {
    relay = await new Relay().listen();
    gw = await startGateway(`${emailConfig(relay.port)}\n[ratelimit]\ncustomer_quota = 0\n`);
    await eventually(() => gw.channels.isRunning('email'), 'email running');
    port = (gw.channels.get('email') as EmailChannel).smtpPort!;
  });
  afterEach(async () => { await gw?.close(); await relay.close(); });

  const convs = async () => (await gw.store.listConversations({ limit: 50 })).filter((c) => c.ref.channel === 'email');

  it('keeps the first subject over a reply\'s "Re:", the sender, and the latest mail\'s cc without our own address', async () => {
    await deliver(port, { from: 'Li Lei <LiLei@gmail.test>', cc: ['Han Meimei <hanmm@gmail.test>', 'support@shop.test', 'boss@corp.test'],
      subject: 'Teapot cracked', text: 'It arrived broken.' });
    const [conv] = await eventually(convs, 'a ticket');
    assert.deepEqual(conv.meta, { subject: 'Teapot cracked', email: 'lilei@gmail.test', cc: 'hanmm@gmail.test, boss@corp.test' });

    await deliver(port, { from: 'lilei@gmail.test', to: `support+${conv.ref.thread.toLowerCase()}@shop.test`, subject: 'Re: Teapot cracked', text: 'Any news?' });
    await eventually(async () => (await gw.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound').length === 2, 'the reply joined');
    assert.deepEqual((await gw.store.getConversation(conv.id))!.meta, { subject: 'Teapot cracked', email: 'lilei@gmail.test' });
  });
});
