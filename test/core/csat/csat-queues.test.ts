import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { cid, connectAgent, connectVisitor, json, loginAgent, type FrameSocket, type Visitor } from '../../helpers/clients.js';
import { closeConversation, fakeClock } from './csat-helpers.js';

const DAY = 86400_000;

/** CSAT is per queue and off unless a queue turns it on: no queue inherits another's survey. */
describe('CSAT per queue: a queue with the survey off is never asked (real gateway, fake clock)', () => {
  let gw: TestGateway | undefined;
  let token: string;
  let agent: FrameSocket;
  const visitors: Visitor[] = [];
  const clock = fakeClock();

  async function start(toml: string): Promise<void> {
    gw = await startGateway(toml, { now: clock.now });
    token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    agent = await connectAgent(gw.workspaceUrl, token);
  }
  afterEach(async () => {
    for (const v of visitors.splice(0)) await v.socket.close();
    await agent?.close();
    await gw?.close();
    gw = undefined;
  });

  /** A visitor's conversation, answered, moved to `queue` (unless it is the default) and closed. */
  async function resolvedIn(queue?: string): Promise<{ id: string; v: Visitor }> {
    const v = await connectVisitor(gw!.publicUrl);
    visitors.push(v);
    v.socket.send({ type: 'send', clientId: cid(), text: `hello from ${queue ?? 'the default queue'}` });
    const id = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned' && f.conversation.customer.id === `web:${v.visitorId}`)).conversation.id;
    if (queue) {
      const t = await json(`${gw!.workspaceUrl}/api/conversations/${id}/transfer`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, json: { queue } });
      assert.equal(t.status, 200, JSON.stringify(t.body));
      assert.equal(t.body.conversation.queue, queue);
    }
    await closeConversation(gw!, token, id);
    return { id, v };
  }

  /** Long past any delay, with the outbox pumped: what the conversation's survey record is. */
  async function afterADay(id: string): Promise<string | undefined> {
    clock.advance(DAY);
    await gw!.outbox.pump();
    await gw!.bus.idle();
    await gw!.outbox.pump();
    return (await gw!.store.getConversation(id))?.csat?.state;
  }
  const surveysSeen = (v: Visitor) => v.socket.frames.filter((f) => f.type === 'message' && f.message.content.event === 'csat').length;

  it('the default queue asks; a queue with enabled = false and one with no [csat] table never do', async () => {
    await start(`[routing]\ndefault_queue = "general"\n`
      + '[[routing.queues]]\nname = "general"\n[routing.queues.csat]\nenabled = true\ndelay_s = 60\n'
      + '[[routing.queues]]\nname = "quiet"\n[routing.queues.csat]\nenabled = false\ndelay_s = 60\n'
      + '[[routing.queues]]\nname = "plain"\n');
    const asked = await resolvedIn();
    const quiet = await resolvedIn('quiet');
    const plain = await resolvedIn('plain');
    assert.equal(await afterADay(asked.id), 'asked', 'the queue that is on asks (so this test can see a survey)');
    await asked.v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'csat');
    for (const c of [quiet, plain]) {
      assert.equal(await afterADay(c.id), undefined, 'nothing scheduled, nothing asked');
      assert.equal(surveysSeen(c.v), 0);
    }
  });

  it('with the default queue\'s survey off (the default), nobody is asked', async () => {
    await start('[routing]\ndefault_queue = "general"\n[[routing.queues]]\nname = "general"\n');
    const { id, v } = await resolvedIn();
    assert.equal(await afterADay(id), undefined);
    assert.equal(surveysSeen(v), 0);
  });
});
