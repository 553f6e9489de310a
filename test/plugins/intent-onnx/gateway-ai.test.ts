import assert from 'node:assert/strict';
import { writeFileSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { say, connectAgent, connectVisitor, json, loginAgent, type Visitor } from '../../helpers/clients.js';
import { trainIntentModel } from '../../../plugins/intent-onnx/trainer.js';
import { DEFAULT_FEATURES } from '../../../plugins/intent-onnx/featurize.js';
import { clock } from '../../../plugins/intent-onnx/index.js';

const ANSWERS = `[ai.answers]
"问候" = "您好 {name}，我是{bot}！"
"物流" = "包裹正在路上，请在「我的订单」查看物流。"
`;

const botReplies = (v: Visitor) => v.socket.frames.filter((f) => f.type === 'message' && f.message.from.role === 'bot');

describe('AI customer service in the gateway (shipped default model, onnxruntime)', () => {
  let gw: TestGateway;
  afterEach(async () => { clock.now = () => Date.now(); await gw?.close(); });

  it('scores every inbound message, answers what it is confident about, routes the rest by intent', async () => {
    gw = await startGateway(`[ai]\nthreshold = 0.4\n${ANSWERS}`);
    const v = await connectVisitor(gw.publicUrl);
    await say(v, '你好');
    const hello = await v.socket.wait((f) => f.type === 'message' && f.message.from.role === 'bot');
    assert.match(hello.message.content.text, /^您好 Visitor [\w-]+，我是小助手 \(bot\)！$/);
    const conv = (await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId }))!;
    assert.equal(conv.status, 'bot');
    const stored = await gw.store.listMessages(conv.id, {});
    assert.equal(stored[0].intent?.label, '问候', 'the intent is stored with the message');
    assert.equal(stored[1].from.role, 'bot', 'the bot is a participant: its message is stored');

    // No answer configured for 退换货: a human gets it, in the queue its intent maps to.
    await say(v, '我要退货，衣服尺码不合适');
    await eventually(async () => (await gw.store.getConversation(conv.id))?.status === 'queued', 'queued for a human');
    assert.equal((await gw.store.getConversation(conv.id))?.queue, 'after_sales');
    await v.socket.close();
  });

  it('hand-off: three requests for a human in a row → the bot steps aside, queued at raised priority', async () => {
    gw = await startGateway(`[ai]\nthreshold = 0.4\n${ANSWERS}`);
    const v = await connectVisitor(gw.publicUrl);
    await say(v, '你好');
    await eventually(() => botReplies(v).length === 1);
    await say(v, '转人工');
    await eventually(() => botReplies(v).length === 2, 'bot asks for the question first');
    const conv = (await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId }))!;
    assert.ok(Math.abs(conv.aiWeight - 2 / 3) < 1e-6);
    await say(v, '人工客服');
    await eventually(() => botReplies(v).length === 3);
    await say(v, 'real person please');
    const notice = await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'handoff');
    assert.match(notice.message.content.text, /人工/);
    await eventually(async () => (await gw.store.getConversation(conv.id))?.status === 'queued');
    const after = (await gw.store.getConversation(conv.id))!;
    assert.equal(after.priority, 1);
    assert.equal(after.aiWeight, 0);
    await say(v, '你好');
    await gw.bus.idle();
    assert.equal(botReplies(v).length, 3, 'the bot no longer answers this conversation');
    await v.socket.close();
  });

  it('an agent can take over a bot conversation at any time; the bot then stays silent', async () => {
    gw = await startGateway(`[ai]\nthreshold = 0.4\n${ANSWERS}`);
    const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    const agent = await connectAgent(gw.workspaceUrl, token);
    agent.send({ type: 'status', status: 'away' }); // not auto-assigned: the bot handles it
    const v = await connectVisitor(gw.publicUrl);
    await say(v, '你好');
    await eventually(() => botReplies(v).length === 1);
    const list = await json(`${gw.workspaceUrl}/api/conversations?status=bot`, { headers: { Authorization: `Bearer ${token}` } });
    assert.equal(list.body.conversations.length, 1);
    const take = await json(`${gw.workspaceUrl}/api/conversations/${list.body.conversations[0].id}/claim`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, json: {} });
    assert.equal(take.body.conversation.status, 'assigned');
    await say(v, '你好');
    await gw.bus.idle();
    assert.equal(botReplies(v).length, 1);
    await v.socket.close();
    await agent.close();
  });

  it('synonyms are applied before scoring and hot-reloaded', async () => {
    gw = await startGateway('[ratelimit]\ncustomer_quota = 0');
    const v = await connectVisitor(gw.publicUrl);
    const intentOf = async (text: string) => {
      const ack = await say(v, text);
      await gw.bus.idle();
      const conv = (await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId }))!;
      return (await gw.store.listMessages(conv.id, { afterSeq: ack.seq - 1, limit: 1 }))[0].intent?.label;
    };
    const before = await intentOf('qqzz 怎么弄');
    writeFileSync(join(gw.dir, 'synonyms.toml'), '"开发票" = ["qqzz"]\n');
    await eventually(async () => (await intentOf('qqzz 怎么弄')) === '发票', 'synonym applied after reload', 15_000);
    assert.notEqual(before, '发票');
    await v.socket.close();
  });

  it('night pacing: the bot waits in the configured hours (fake clock)', async () => {
    gw = await startGateway(`[ai]\nthreshold = 0.4\n[ai.pacing]\nenabled = true\nfrom = "00:00"\nto = "06:00"\ndelay_s = 7\n${ANSWERS}\n[routing]\ntimezone = "UTC"`);
    const slept: number[] = [];
    const realSleep = clock.sleep;
    clock.sleep = async (ms) => { slept.push(ms); };
    try {
      clock.now = () => Date.UTC(2026, 10, 27, 3, 0);
      const v = await connectVisitor(gw.publicUrl);
      await say(v, '你好');
      await eventually(() => botReplies(v).length === 1);
      clock.now = () => Date.UTC(2026, 10, 27, 12, 0);
      await say(v, '你好');
      await eventually(() => botReplies(v).length === 2);
      assert.deepEqual(slept, [7000]);
      await v.socket.close();
    } finally {
      clock.sleep = realSleep;
    }
  });

  it('hot swap of the model file under traffic: no message dropped, new labels take over', async () => {
    gw = await startGateway('[ratelimit]\ncustomer_quota = 0');
    const mk = (labels: [string, string]) => trainIntentModel(
      Array.from({ length: 20 }, (_, i) => [{ text: `alpha words ${i}`, label: labels[0] }, { text: `beta words ${i}`, label: labels[1] }]).flat(),
      { dim: 16, epochs: 10, lr: 0.5, dropout: 0, labelSmoothing: 0, seed: 1, minCount: 1, features: DEFAULT_FEATURES }).onnx;
    const modelPath = join(gw.dir, 'model.onnx');
    const tmp = join(gw.dir, 'next.onnx');
    writeFileSync(tmp, mk(['old_a', 'old_b']));
    renameSync(tmp, modelPath);
    const v = await connectVisitor(gw.publicUrl);
    const conv = async () => (await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId }))!;
    let sent = 0;
    const labels = async () => (await gw.store.listMessages((await conv()).id, { limit: 1000 })).filter((m) => m.direction === 'inbound').map((m) => m.intent?.label);
    await eventually(async () => { await say(v, `alpha words ${sent++}`); return (await labels()).includes('old_a'); }, 'old model active', 15_000);
    writeFileSync(tmp, mk(['new_a', 'new_b']));
    renameSync(tmp, modelPath);
    await eventually(async () => { const r = await say(v, `alpha words ${sent++}`); assert.equal(r.type, 'ack'); return (await labels()).includes('new_a'); }, 'new model active', 15_000);
    await gw.bus.idle();
    const all = await labels();
    assert.equal(all.length, sent, 'every message stored');
    assert.ok(all.every((l) => typeof l === 'string'), 'every message scored');
    // Shipped default first (until the test's first file is picked up), then old, then new: never back.
    const phase = (l: string) => (l === 'new_a' ? 2 : l === 'old_a' ? 1 : 0);
    const phases = all.map((l) => phase(l!));
    assert.deepEqual(phases, [...phases].sort(), `labels switch once per swap: ${JSON.stringify(all)}`);
    await v.socket.close();
  });
});
