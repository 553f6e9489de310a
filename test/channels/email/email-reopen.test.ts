import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import type { EmailChannel } from '../../../channels/email/index.js';
import type { Conversation } from '../../../core/model/message.js';
import { Relay, emailConfig, deliver } from './mail-helpers.js';

const AGENT = { id: 'A_mail', role: 'agent' as const, name: 'Ann' };
const DAY_MS = 86_400_000;

describe('email: a reply to a resolved ticket (reopen_days)', () => {
  let relay: Relay;
  let gw: TestGateway;
  let port: number;
  beforeEach(async () => {
    relay = await new Relay().listen();
    gw = await startGateway(`${emailConfig(relay.port, 'reopen_days = 7\n')}\n[ratelimit]\ncustomer_quota = 0\n\n[[plugins]]\nname = "offline-notice"\n`);
    await eventually(() => gw.channels.isRunning('email'), 'email running');
    port = (gw.channels.get('email') as EmailChannel).smtpPort!;
  });
  afterEach(async () => { await gw?.close(); await relay.close(); });

  const convs = async () => (await gw.store.listConversations({ limit: 50 })).filter((c) => c.ref.channel === 'email');
  const inbound = async (c: Conversation) => (await gw.store.listMessages(c.id, {})).filter((m) => m.direction === 'inbound');
  /** A ticket the agent answered and closed; the customer's reply is threaded on our answer's Message-ID. */
  async function resolvedTicket(): Promise<{ conv: Conversation; ours: string }> {
    await deliver(port, { from: 'lilei@gmail.test', subject: 'Broken lid', text: 'The lid cracked.' });
    const [conv] = await eventually(convs, 'a ticket');
    await eventually(async () => (await gw.store.getConversation(conv.id))?.status === 'queued', 'queued');
    await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'text', text: 'A new one is on its way.' } });
    await eventually(() => relay.received.length === 1, 'our answer');
    await gw.assigner.resolve((await gw.store.getConversation(conv.id))!, AGENT);
    assert.equal((await gw.store.getConversation(conv.id))!.status, 'resolved');
    return { conv, ours: relay.received[0].messageId! };
  }

  it('within reopen_days the reply reopens the same ticket: back in the queue, no new conversation', async () => {
    const { conv, ours } = await resolvedTicket();
    await deliver(port, { from: 'lilei@gmail.test', subject: `Re: Broken lid [#${conv.ref.thread}]`, text: 'The new one is cracked too.', inReplyTo: ours });
    await eventually(async () => (await inbound(conv)).length === 2, 'the reply joined the ticket');
    // The bus hands every unhandled inbound message to a human; a resolved conversation is queued again (no change needed there).
    await eventually(async () => (await gw.store.getConversation(conv.id))?.status === 'queued', 'reopened into the queue');
    assert.equal((await convs()).length, 1);
  });

  it('after reopen_days the reply starts a new ticket that links the old one (follows: tag, a note in its first message)', async () => {
    const { conv, ours } = await resolvedTicket();
    // Resolved eight days ago (the conversation's last change is its resolution).
    const old = (await gw.store.getConversation(conv.id))!;
    await gw.store.saveConversation({ ...old, updatedAt: new Date(Date.now() - 8 * DAY_MS) });
    await deliver(port, { from: 'lilei@gmail.test', subject: `Re: Broken lid [#${conv.ref.thread}]`, text: 'Months later: the handle broke.', inReplyTo: ours });
    const fresh = (await eventually(async () => (await convs()).find((c) => c.id !== conv.id), 'a new ticket'))!;
    assert.notEqual(fresh.ref.thread, conv.ref.thread);
    await eventually(async () => (await gw.store.getConversation(fresh.id))?.tags.includes(`follows:${conv.ref.thread}`), 'the follows tag');
    const [first] = await inbound(fresh);
    assert.deepEqual(first.content, { kind: 'text',
      text: `Re: Broken lid [#${conv.ref.thread}]\n\n(Follows the resolved ticket [#${conv.ref.thread}])\n\nMonths later: the handle broke.` });
    assert.equal((await inbound(conv)).length, 1);
    assert.equal((await gw.store.getConversation(conv.id))!.status, 'resolved');
    // The new ticket keeps its own thread: the next reply (to the subject tag of the new one) stays there.
    await deliver(port, { from: 'lilei@gmail.test', subject: `Re: handle [#${fresh.ref.thread}]`, text: 'Photo attached soon.' });
    await eventually(async () => (await inbound(fresh)).length === 2, 'the follow-up joined the new ticket');
  });
});
