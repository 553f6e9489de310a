import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import type { Conversation } from '../../../core/model/message.js';
import { FakeFeishu } from '../../fixtures/channels/feishu/fake-feishu.js';
import { feishuConfig, feishuPost, HOOK_APP, messageEvent, seed } from './feishu-helpers.js';

const AGENT = { id: 'A_feishu', role: 'agent' as const, name: 'Ann' };

describe('feishu sends from the outbox (uuid idempotency, vendor errors)', () => {
  let fake: FakeFeishu;
  let gw: TestGateway;
  let clock: number;
  let conv: Conversation;

  beforeEach(async () => {
    fake = await new FakeFeishu().listen();
    seed(fake);
    clock = Date.now();
    gw = await startGateway(`${feishuConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n`, { now: () => clock });
    await eventually(() => gw.channels.isRunning('feishu'), 'running');
    await feishuPost(gw.publicUrl, HOOK_APP.id, messageEvent({ app: HOOK_APP.id, text: 'hello' }), { encryptKey: HOOK_APP.encryptKey });
    await eventually(() => fake.sent.length === 1, 'the offline notice went out');
    conv = (await gw.store.findConversationByRef({ channel: 'feishu', account: HOOK_APP.id, thread: 'oc_p2p_alice' }))!;
  });
  afterEach(async () => { await gw?.close(); await fake.close(); });

  const reply = async (text: string) => (await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'text', text } })).message;
  const item = async (id: string) => (await gw.store.outbox.byMessage([id])).get(id);
  const drain = async (rounds = 4) => { for (let i = 0; i < rounds; i++) { clock += 15 * 60_000; await gw.outbox.pump(); } };

  it('a send whose answer was lost is retried with the same uuid and shown once', async () => {
    fake.script = ['lost'];
    const m = await reply('只发一次');
    await eventually(async () => (await item(m.id))?.attempts === 1, 'first attempt failed');
    await drain();
    assert.equal((await item(m.id))?.status, 'sent');
    const tries = fake.attempts.filter((a) => a.uuid === m.id);
    assert.equal(tries.length, 2, 'two attempts');
    assert.equal(fake.sent.filter((s) => s.content.text === '只发一次').length, 1, 'one message in the chat');
    assert.equal((await item(m.id))?.vendorId, fake.sent.find((s) => s.content.text === '只发一次')!.id);
  });

  it('a 429 waits for Feishu\'s reset header; a permanent error is failed with Feishu\'s code', async () => {
    fake.script = [{ status: 429, code: 99991400, msg: 'request trigger frequency limit', headers: { 'x-ogw-ratelimit-reset': '7' } }];
    const slow = await reply('rate limited');
    await eventually(async () => (await item(slow.id))?.attempts === 1, 'first attempt');
    assert.equal((await item(slow.id))?.nextAt, clock + 7000);
    await drain();
    assert.equal((await item(slow.id))?.status, 'sent');
    fake.script = [{ status: 400, code: 230002, msg: 'Bot/User can NOT be out of the chat.' }];
    const bad = await reply('not in chat');
    await eventually(async () => (await item(bad.id))?.status === 'failed', 'failed at once');
    assert.match((await item(bad.id))!.lastError!, /^230002: message\.create: Bot\/User can NOT be out of the chat\./);
  });
});
