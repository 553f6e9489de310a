import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { json, loginAgent } from '../../helpers/clients.js';
import { KefuError } from '../../../core/errors.js';
import type { Conversation } from '../../../core/model/message.js';
import { loadMockLibs, mockGateway, needsWechaty, wechatyConfig, type MockLibs, type MockWeChat } from './mock-wechat.js';

const libs = await loadMockLibs();
const AGENT = { id: 'A_wechaty', role: 'agent' as const, name: 'Ann' };

describe('wechaty channel: login, logout and a missing package, as admins see them', function () {
  let gw: TestGateway | undefined;
  afterEach(async () => { await gw?.close(); gw = undefined; });

  const problems = async (g: TestGateway) => {
    const admin = await loginAgent(g.workspaceUrl, 'admin', g.adminPassword);
    const r = await json(`${g.workspaceUrl}/api/channels/problems`, { headers: { authorization: `Bearer ${admin}` } });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    return r.body.channels.wechaty as { id: string; reason: string; qr?: { payload: string; image?: string } }[];
  };

  it('a puppet package that is not installed: health stopped with the exact npm install command, nothing crashes', async () => {
    gw = await startGateway(wechatyConfig().replace('wechaty-puppet-mock', 'wechaty-puppet-does-not-exist'));
    const h = (await eventually(() => (gw!.channels.health().wechaty?.detail ? gw!.channels.health().wechaty : undefined), 'wechaty health detail'))!;
    assert.equal(h.state, 'stopped');
    assert.match(h.detail!, /npm install wechaty wechaty-puppet-does-not-exist/);
    assert.equal(gw.channels.isRunning('wechaty'), false);
    const ready = await json(`${gw.workspaceUrl}/readyz`);
    assert.equal(ready.body.channels.wechaty.state, 'stopped');
  });

  it('wechaty-puppet-service without a token, or a puppet name that is no puppet: stopped, saying why, nothing imported', async () => {
    gw = await startGateway(wechatyConfig().replace('wechaty-puppet-mock', 'wechaty-puppet-service'));
    await eventually(() => gw!.channels.health().wechaty?.detail, 'detail');
    assert.match(gw.channels.health().wechaty.detail!, /needs a token/);
    await gw.close();
    gw = await startGateway(wechatyConfig().replace('wechaty-puppet-mock', '../../etc/passwd'));
    await eventually(() => gw!.channels.health().wechaty?.detail, 'detail');
    assert.match(gw.channels.health().wechaty.detail!, /^config: puppet: a wechaty-puppet-… package name/);
  });

  describe('with the mock puppet', function () {
    let w: MockWeChat;
    const clock = { now: 0 };
    before(function () { needsWechaty(this, libs); });
    beforeEach(async () => { ({ w, gw } = await mockGateway(libs as MockLibs, clock)); });
    const drain = async (rounds = 6) => { for (let i = 0; i < rounds; i++) { clock.now += 15 * 60_000; await gw!.outbox.pump(); } };

    it('the login QR code is shown to admins (GET /api/channels/problems, a PNG drawn without network) until the account is logged in', async () => {
      const payload = 'https://login.weixin.qq.com/l/Ab3dEfGh==';
      await w.scan(payload);
      await eventually(() => gw!.channels.health().wechaty?.state === 'auth_failed', 'health auth_failed');
      assert.match(gw!.channels.health().wechaty.detail!, /scan login QR code [0-9a-f]{6} under Queues → Needs attention \(waiting for a scan\)/);
      const [scan] = (await eventually(async () => { const p = await problems(gw!); return p?.[0]?.qr?.image ? p : undefined; }, 'the QR image drawn'))!;
      assert.equal(scan.id, 'scan');
      assert.equal(scan.qr!.payload, payload);
      assert.match(scan.qr!.image!, /^data:image\/png;base64,iVBORw0KGgo/);
      assert.match(scan.reason, /scan this QR code with WeChat/);

      // Puppets report the scan without the code: the one shown stays.
      await w.scan('', 3);
      await eventually(() => /scanned: confirm the login on the phone/.test(gw!.channels.health().wechaty.detail ?? ''), 'scanned state');
      const [scanned] = await problems(gw!);
      assert.match(scanned.reason, /scanned/);
      assert.deepEqual(scanned.qr, scan.qr);

      await w.login(gw!);
      assert.match(gw!.channels.health().wechaty.detail!, /logged in as KefuBot/);
      assert.deepEqual(await problems(gw!), []);
    });

    it('logout is reported in health; replies wait (not_logged_in, retried) and go out in order after the next login', async () => {
      await w.login(gw!);
      const zhang = w.contact('Zhang');
      w.say(zhang, 'hello');
      const conv = (await eventually(() => gw!.store.findConversationByRef({ channel: 'wechaty', account: 'default', thread: `c:${zhang.id}` }), 'conversation')) as Conversation;
      await eventually(() => w.sent.some((s) => s.to === zhang.id), 'the offline notice went out');

      await w.logout();
      await eventually(() => gw!.channels.health().wechaty.state === 'auth_failed', 'health after logout');
      assert.match(gw!.channels.health().wechaty.detail!, /logged out \(kicked out by the phone\)/);

      const sent = [];
      for (const text of ['one', 'two']) sent.push((await gw!.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'text', text } })).message);
      await drain(2);
      const head = (await gw!.store.outbox.byMessage([sent[0].id])).get(sent[0].id);
      assert.equal(head?.status, 'pending');
      assert.match(JSON.stringify(head?.lastError), /not_logged_in/);
      assert.deepEqual(w.texts(zhang.id), []);

      await w.scan('https://login.weixin.qq.com/l/again');
      await w.login(gw!);
      await drain(3);
      assert.deepEqual(w.texts(zhang.id), ['one', 'two']);
    });

    it('a message kefu could not store is listed for admins (WeChat never sends it again) and can be dismissed', async () => {
      await w.login(gw!);
      const real = gw!.bus.ingest.bind(gw!.bus);
      let refuse = true;
      gw!.bus.ingest = async (m) => { if (refuse) { refuse = false; throw new KefuError('internal', 'disk full'); } return real(m); };
      const qian = w.contact('Qian');
      w.say(qian, 'my card was charged twice');
      const [lost] = (await eventually(async () => { const p = await problems(gw!); return p?.length ? p : undefined; }, 'the lost message listed'))!;
      assert.match(lost.reason, /A message from Qian could not be stored \(internal\)/);
      assert.doesNotMatch(lost.reason, /charged/, 'the text itself is not kept in the note');
      const admin = await loginAgent(gw!.workspaceUrl, 'admin', gw!.adminPassword);
      const r = await json(`${gw!.workspaceUrl}/api/channels/problems/dismiss`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, json: { channel: 'wechaty', id: lost.id } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.deepEqual(await problems(gw!), []);
      w.say(qian, 'hello again');
      await eventually(() => gw!.store.findConversationByRef({ channel: 'wechaty', account: 'default', thread: `c:${qian.id}` }), 'the next one is stored');
    });
  });
});
