import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { cid, connectAgent, connectVisitor, json, loginAgent, type FrameSocket, type Visitor } from '../../helpers/clients.js';
import { closeConversation, csatConfig, fakeClock, rated, surveyDue } from './csat-helpers.js';

/** A web visitor talks to the admin agent, who closes; the survey is asked and, given `rating`, answered by a reply digit. */
const done = new Set<string>();
async function ratedConversation(gw: TestGateway, clock: ReturnType<typeof fakeClock>, token: string, agent: FrameSocket, rating?: number): Promise<string> {
  const v: Visitor = await connectVisitor(gw.publicUrl);
  try {
    v.socket.send({ type: 'send', clientId: cid(), text: 'Where is my parcel?' });
    const conv = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned' && !done.has(f.conversation.id))).conversation;
    done.add(conv.id);
    await closeConversation(gw, token, conv.id);
    await surveyDue(gw, clock, 61_000, conv.id);
    await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'csat');
    if (rating !== undefined) {
      const clientId = cid();
      v.socket.send({ type: 'send', clientId, text: `${rating}` });
      await v.socket.wait((f) => f.type === 'ack' && f.clientId === clientId);
      await rated(gw, conv.id);
    }
    return conv.id;
  } finally {
    await v.socket.close();
  }
}

const supervisor = async (gw: TestGateway, token: string) => {
  const r = await json(`${gw.workspaceUrl}/api/supervisor`, { headers: { Authorization: `Bearer ${token}` } });
  assert.equal(r.status, 200);
  return r.body.csat;
};

describe('CSAT totals in the supervisor view (real gateway, web widget, fake clock)', () => {
  let dir: string;
  let gw: TestGateway | undefined;
  let agent: FrameSocket | undefined;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'kefu-csatsup-')); });
  afterEach(async () => { await agent?.close(); await gw?.close(); agent = gw = undefined; rmSync(dir, { recursive: true, force: true }); });

  it('counts asked and answered surveys per queue and agent in /api/supervisor and the supervisor frame, and again after a restart', async () => {
    // Local noon today, so "today" holds every answer wherever the test runs.
    const noon = new Date();
    noon.setHours(12, 0, 0, 0);
    const clock = fakeClock(noon.getTime());
    gw = await startGateway(csatConfig(60), { dir, now: clock.now });
    let token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    agent = await connectAgent(gw.workspaceUrl, token);
    const admin = (await json(`${gw.workspaceUrl}/api/me`, { headers: { Authorization: `Bearer ${token}` } })).body;
    const adminId = admin.agent.id;
    assert.deepEqual(await supervisor(gw, token), { today: { queues: [], agents: [] }, week: { queues: [], agents: [] } });

    await ratedConversation(gw, clock, token, agent, 5);
    await ratedConversation(gw, clock, token, agent, 2);
    await ratedConversation(gw, clock, token, agent); // asked, never answered
    const want = { asked: 3, answered: 2, average: 3.5, csatPct: 50, responsePct: 67 };
    const s = await supervisor(gw, token);
    assert.deepEqual(s.today.queues, [{ queue: 'general', ...want }]);
    assert.deepEqual(s.week.queues, [{ queue: 'general', ...want }]);
    assert.deepEqual(s.today.agents, [{ agentId: adminId, ...want }]);
    // The live frame carries the same totals (sent when they change, checked every 2 s).
    await agent.wait((f) => f.type === 'supervisor' && f.csat?.today.queues[0]?.answered === 2);

    // Rebuilt from the store at start: the same numbers without any event.
    await agent.close();
    agent = undefined;
    await gw.close();
    gw = await startGateway(csatConfig(60), { dir, now: clock.now });
    token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    assert.deepEqual((await supervisor(gw, token)).week.queues, [{ queue: 'general', ...want }]);

    // Eight days on, the week is empty.
    clock.advance(8 * 86_400_000);
    await eventually(async () => (await supervisor(gw!, token)).week.queues.length === 0, 'the week to empty');
  });
});
