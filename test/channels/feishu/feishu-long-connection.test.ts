import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { cid, connectAgent, loginAgent } from '../../helpers/clients.js';
import { FakeFeishu } from '../../fixtures/channels/feishu/fake-feishu.js';
import { feishuConfig, messageEvent, seed, WS_APP } from './feishu-helpers.js';

const ref = { channel: 'feishu', account: WS_APP.id, thread: 'oc_p2p_alice' };
const withoutNotices = (fake: FakeFeishu) => fake.sent.filter((s) => !String(s.content.text ?? '').startsWith('No agent'));

describe('feishu long connection (real WSClient against a local pbbp2 server)', () => {
  let fake: FakeFeishu;
  let gw: TestGateway | undefined;
  let dir: string;

  beforeEach(async () => {
    fake = await new FakeFeishu().listen();
    seed(fake);
    dir = mkdtempSync(join(tmpdir(), 'kefu-feishu-'));
  });
  afterEach(async () => { await gw?.close(); gw = undefined; await fake.close(); rmSync(dir, { recursive: true, force: true }); });

  const boot = async (extra = '') => {
    gw = await startGateway(`${feishuConfig(fake, extra)}\n[ratelimit]\ncustomer_quota = 0\n`, { dir });
    await eventually(() => fake.open(WS_APP.id) === 1, 'the long connection is open');
    return gw;
  };
  const inbound = async () => {
    const conv = await gw!.store.findConversationByRef(ref);
    return conv ? (await gw!.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound') : [];
  };

  it('an event is stored before the SDK acknowledges it; name and department come from the contact API', async () => {
    await boot();
    const p = fake.push(WS_APP.id, messageEvent({ app: WS_APP.id, text: '我的订单还没到' }));
    await eventually(() => p.acks.length === 1, 'the ack');
    assert.equal(p.acks[0].code, 200);
    // The ack leaves only once ingest resolved: the message is there by now, no waiting.
    const [m] = await inbound();
    assert.deepEqual(m.content, { kind: 'text', text: '我的订单还没到' });
    const conv = (await gw!.store.findConversationByRef(ref))!;
    assert.equal(conv.customer.name, '王小丽');
    assert.deepEqual(conv.meta, { department: '华东销售部' });
    assert.equal(gw!.channels.health().feishu.state, 'connected');
  });

  it('reconnects after Feishu drops the socket, and events pushed meanwhile arrive', async () => {
    await boot('ping_timeout_s = 0');
    fake.drop();
    await eventually(() => gw!.channels.health().feishu.state !== 'connected', 'health shows the drop');
    const p = fake.push(WS_APP.id, messageEvent({ app: WS_APP.id, text: 'sent while you were away' }));
    await eventually(() => p.acks.some((a) => a.code === 200), 'delivered on the new connection', 15_000);
    assert.ok(fake.connections.filter((a) => a === WS_APP.id).length >= 2, 'a second connection');
    assert.equal((await inbound()).length, 1);
    await eventually(() => gw!.channels.health().feishu.state === 'connected', 'connected again');
  });

  it('an event whose ack was lost with the socket is pushed again and stored once', async () => {
    await boot();
    fake.dropOnPush = true;
    const p = fake.push(WS_APP.id, messageEvent({ app: WS_APP.id, text: 'only once please' }));
    await eventually(() => fake.connections.length >= 2, 'reconnected', 15_000);
    fake.dropOnPush = false;
    await eventually(() => p.acks.some((a) => a.code === 200), 'acknowledged in the end', 15_000);
    assert.deepEqual((await inbound()).map((m) => (m.content as { text: string }).text), ['only once please']);
  });

  it('a re-pushed event_id creates no second message, also after a gateway restart', async () => {
    await boot();
    const event = messageEvent({ app: WS_APP.id, text: 'first push' });
    const a = fake.push(WS_APP.id, event);
    await eventually(() => a.acks.length === 1, 'first ack');
    const b = fake.push(WS_APP.id, event); // Feishu re-pushes the same event (same event_id) when it missed our answer
    await eventually(() => b.acks.length === 1, 'second ack');
    await gw!.close();
    gw = undefined;
    await boot();
    const c = fake.push(WS_APP.id, event); // hours later, to a restarted gateway
    await eventually(() => c.acks.length === 1, 'third ack');
    assert.equal(c.acks[0].code, 200);
    assert.equal((await inbound()).length, 1);
  });

  it('an app secret Feishu refuses shows as auth_failed, not as a silent hang', async () => {
    fake.secrets.set(WS_APP.id, 'something-else');
    gw = await startGateway(`${feishuConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n`, { dir });
    const h = await eventually(() => { const x = gw!.channels.health().feishu; return x.state === 'auth_failed' ? x : undefined; }, 'auth_failed');
    assert.match(h?.detail ?? '', /default/);
    assert.equal(fake.open(WS_APP.id), 0);
  });

  it('a malformed app id is refused by the config schema (WSClient would return silently)', async () => {
    gw = await startGateway(`${feishuConfig(fake).replace(WS_APP.id, 'cli_NOTHEX')}\n`, { dir });
    const h = gw.channels.health().feishu;
    assert.equal(h.state, 'stopped');
    assert.match(h.detail ?? '', /config: .*app_id/);
  });

  it('end to end: a Feishu user and an agent converse over the long connection', async () => {
    await boot();
    const agent = await connectAgent(gw!.workspaceUrl, await loginAgent(gw!.workspaceUrl, 'admin', gw!.adminPassword));
    fake.push(WS_APP.id, messageEvent({ app: WS_APP.id, text: '发票怎么开？' }));
    const assigned = await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned');
    assert.equal(assigned.conversation.customer.name, '王小丽');
    agent.send({ type: 'send', conversationId: assigned.conversation.id, clientId: cid(), text: '您好，请在订单页申请发票。' });
    await eventually(() => withoutNotices(fake).some((s) => s.content.text === '您好，请在订单页申请发票。'), 'the reply reached Feishu');
    const reply = withoutNotices(fake).find((s) => s.content.text === '您好，请在订单页申请发票。')!;
    assert.equal(reply.chatId, 'oc_p2p_alice');
    assert.equal(reply.replyTo, undefined, 'p2p replies are new messages in the chat');
    assert.match(reply.uuid, /^M/, 'the message id is the uuid');
    await agent.wait((f) => f.type === 'delivery' && f.state === 'sent');
    fake.push(WS_APP.id, messageEvent({ app: WS_APP.id, text: '好的，谢谢' }));
    await agent.wait((f) => f.type === 'message' && f.message?.content?.text === '好的，谢谢');
    await agent.close();
  });
});
