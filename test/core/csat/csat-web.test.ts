import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { cid, connectAgent, connectVisitor, loginAgent, type Visitor } from '../../helpers/clients.js';
import type { FrameSocket } from '../../helpers/clients.js';
import { closeConversation, csatConfig, fakeClock, rated, surveyDue } from './csat-helpers.js';

/** Real gateway, real sockets: a web visitor talks to an agent, the agent closes, the visitor rates. */
describe('CSAT on the web widget channel (real gateway, real WebSockets, fake clock)', () => {
  let gw: TestGateway;
  let token: string;
  let clock: ReturnType<typeof fakeClock>;
  let agent: FrameSocket;
  let v: Visitor;

  beforeEach(async () => {
    clock = fakeClock();
    gw = await startGateway(csatConfig(120), { now: clock.now });
    token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    agent = await connectAgent(gw.workspaceUrl, token);
    v = await connectVisitor(gw.publicUrl);
  });
  afterEach(async () => { await v.socket.close(); await agent.close(); await gw.close(); });

  async function converseAndClose(): Promise<string> {
    v.socket.send({ type: 'send', clientId: cid(), text: 'Where is my parcel?' });
    const conv = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
    agent.send({ type: 'send', conversationId: conv.id, clientId: cid(), text: 'It arrives tomorrow.' });
    await v.socket.wait((f) => f.type === 'message' && f.message.content.text === 'It arrives tomorrow.');
    await closeConversation(gw, token, conv.id);
    await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'resolved');
    return conv.id;
  }

  it('asks once the delay has passed, takes "4 + comment" as the rating without reopening, thanks, shows agents', async () => {
    const id = await converseAndClose();
    assert.equal((await gw.store.getConversation(id))!.csat?.state, 'scheduled');
    clock.advance(119_000);
    await gw.outbox.pump();
    assert.equal((await gw.store.getConversation(id))!.csat?.state, 'scheduled', 'not before the delay');
    assert.ok(!v.socket.frames.some((f) => f.type === 'message' && f.message.content.event === 'csat'));

    await surveyDue(gw, clock, 1000, id);
    const survey = (await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'csat')).message.content;
    assert.equal(survey.survey.question, 'How would you rate the help you got?');
    assert.match(survey.text, /1 \(poor\) to 5/);
    assert.match(survey.survey.url, new RegExp(`^${gw.publicUrl}/csat/${id}\\.`));
    assert.ok(survey.text.includes(survey.survey.url), 'the text fallback carries the link');

    const clientId = cid();
    v.socket.send({ type: 'send', clientId, text: '4 quick and kind' });
    await v.socket.wait((f) => f.type === 'ack' && f.clientId === clientId);
    const c = await rated(gw, id);
    assert.deepEqual([c.rating, c.comment, c.via], [4, 'quick and kind', 'reply']);
    await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'notice' && /Thank you/.test(f.message.content.text));
    const seen = await agent.wait((f) => f.type === 'conversation' && f.conversation.id === id && f.conversation.csat?.state === 'answered');
    assert.equal(seen.conversation.csat.rating, 4);
    await gw.bus.idle();
    const conv = (await gw.store.getConversation(id))!;
    assert.equal(conv.status, 'resolved', 'a rating does not reopen the conversation');
    assert.ok(await gw.store.findMessageBySource(id, clientId), 'the reply is kept as the customer\'s message');

    // A double tap changes nothing and reopens nothing.
    const again = cid();
    v.socket.send({ type: 'send', clientId: again, text: '5' });
    await v.socket.wait((f) => f.type === 'ack' && f.clientId === again);
    await gw.bus.idle();
    assert.deepEqual([(await gw.store.getConversation(id))!.status, (await gw.store.getConversation(id))!.csat?.rating], ['resolved', 4]);
  });

  it('at most once: a conversation reopened and resolved again is not asked again', async () => {
    const id = await converseAndClose();
    await surveyDue(gw, clock, 120_000, id);
    v.socket.send({ type: 'send', clientId: cid(), text: '2' });
    await rated(gw, id);
    v.socket.send({ type: 'send', clientId: cid(), text: 'One more question about returns' });
    await eventually(async () => (await gw.store.getConversation(id))!.status === 'assigned', 'reopened by a real message');
    await closeConversation(gw, token, id);
    clock.advance(600_000);
    await gw.outbox.pump();
    await gw.bus.idle();
    const msgs = await gw.store.listMessages(id, { afterSeq: 0 });
    assert.equal(msgs.filter((m) => m.content.kind === 'event' && m.content.event === 'csat').length, 1);
    assert.equal((await gw.store.getConversation(id))!.csat?.rating, 2);
  });

  it('a conversation reopened before the survey is due is not asked then; its next resolution asks', async () => {
    const id = await converseAndClose();
    v.socket.send({ type: 'send', clientId: cid(), text: 'Oh, and the invoice?' });
    await eventually(async () => (await gw.store.getConversation(id))!.status === 'assigned', 'reopened');
    clock.advance(120_000);
    await gw.outbox.pump();
    assert.equal((await gw.store.getConversation(id))!.csat, undefined);
    assert.ok(!v.socket.frames.some((f) => f.type === 'message' && f.message.content.event === 'csat'));
    // "3" while no survey is open is an ordinary message.
    v.socket.send({ type: 'send', clientId: cid(), text: '3' });
    await agent.wait((f) => f.type === 'message' && f.message.content.text === '3');
    await closeConversation(gw, token, id);
    await surveyDue(gw, clock, 120_000, id);
    await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'csat');
  });
});
