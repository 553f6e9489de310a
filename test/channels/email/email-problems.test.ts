import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { json, loginAgent } from '../../helpers/clients.js';
import type { EmailChannel } from '../../../channels/email/index.js';
import { Relay, emailConfig, deliverRaw } from './mail-helpers.js';

describe('email: unprocessable mails are shown to admins (GET /api/channels/problems)', () => {
  let relay: Relay;
  let gw: TestGateway;
  let port: number;
  beforeEach(async () => {
    relay = await new Relay().listen();
    gw = await startGateway(emailConfig(relay.port));
    await eventually(() => gw.channels.isRunning('email'), 'email running');
    port = (gw.channels.get('email') as EmailChannel).smtpPort!;
  });
  afterEach(async () => { await gw?.close(); await relay.close(); });

  const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

  it('lists the kept mail with a working download link for admins; agents get 403', async () => {
    const raw = Buffer.from('To: support@shop.test\r\nSubject: no sender\r\nMessage-ID: <nofrom@x.test>\r\n\r\nwho am I?\r\n');
    await deliverRaw(port, raw);
    const admin = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    const r = await json(`${gw.workspaceUrl}/api/channels/problems`, auth(admin));
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.ok, true);
    const list = r.body.channels.email as { id: string; at: number; reason: string; mediaId: string; name: string }[];
    assert.equal(list.length, 1);
    assert.equal(list[0].reason, 'no usable From address');
    assert.match(list[0].name, /\.eml$/);
    assert.ok(Math.abs(Date.now() - list[0].at) < 60_000, 'at is a timestamp in ms');

    const file = await fetch(`${gw.workspaceUrl}/media/${list[0].mediaId}`, auth(admin));
    assert.equal(file.status, 200);
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), raw, 'the exact raw mail');

    const created = await json(`${gw.workspaceUrl}/api/agents`, { method: 'POST', ...auth(admin), json: { login: 'bo', password: 'bo-password-1', role: 'agent' } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const agent = await loginAgent(gw.workspaceUrl, 'bo', 'bo-password-1');
    const denied = await json(`${gw.workspaceUrl}/api/channels/problems`, auth(agent));
    assert.equal(denied.status, 403);
    assert.equal(denied.body.error.code, 'forbidden');
    const notForAgents = await fetch(`${gw.workspaceUrl}/media/${list[0].mediaId}`, auth(agent));
    assert.equal(notForAgents.status, 404, 'the kept mail is for admins only, even with its id');
    const dismissByAgent = await json(`${gw.workspaceUrl}/api/channels/problems/dismiss`, { method: 'POST', ...auth(agent), json: { channel: 'email', id: list[0].id } });
    assert.equal(dismissByAgent.status, 403);
  });

  it('an admin dismisses a problem: gone from the list, the file still there for admins', async () => {
    await deliverRaw(port, Buffer.from('To: support@shop.test\r\nSubject: one\r\n\r\nfirst\r\n'));
    await deliverRaw(port, Buffer.from('To: support@shop.test\r\nSubject: two\r\n\r\nsecond\r\n'));
    const admin = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    const list = async () => (await json(`${gw.workspaceUrl}/api/channels/problems`, auth(admin))).body.channels.email as { id: string; mediaId: string }[];
    const [newest, oldest] = await list();
    const dismiss = (id: string, channel = 'email') => json(`${gw.workspaceUrl}/api/channels/problems/dismiss`, { method: 'POST', ...auth(admin), json: { channel, id } });
    assert.equal((await dismiss(oldest.id)).status, 200);
    assert.deepEqual((await list()).map((p) => p.id), [newest.id]);
    const again = await dismiss(oldest.id);
    assert.equal(again.status, 404);
    assert.equal(again.body.error.code, 'not_found');
    assert.equal((await dismiss(newest.id, 'sms')).status, 404, 'a channel that is not running has nothing to dismiss');
    assert.equal((await fetch(`${gw.workspaceUrl}/media/${oldest.mediaId}`, auth(admin))).status, 200);
  });

  it('a channel whose problems cannot be read is left out (logged), not a 500 for all', async () => {
    const email = gw.channels.get('email') as EmailChannel;
    const admin = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    email.problems = async () => { throw new Error('state unreadable'); };
    const r = await json(`${gw.workspaceUrl}/api/channels/problems`, auth(admin));
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.channels, {});
  });
});
