import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { connectAgent, json, loginAgent, type FrameSocket } from '../../helpers/clients.js';
import { csatConfig, fakeClock, webRated } from './csat-helpers.js';

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

    await webRated(gw, clock, token, agent, 5);
    await webRated(gw, clock, token, agent, 2);
    await webRated(gw, clock, token, agent); // asked, never answered
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
