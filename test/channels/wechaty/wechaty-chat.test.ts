import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { eventually, type TestGateway } from '../../helpers/gateway.js';
import { cid, connectAgent, json, loginAgent, PNG_1X1 } from '../../helpers/clients.js';
import type { Conversation } from '../../../core/model/message.js';
import { loadMockLibs, mockGateway, needsWechaty, PNG_BASE64, type MockLibs, type MockWeChat } from './mock-wechat.js';

const libs = await loadMockLibs();
const AGENT = { id: 'A_wechaty', role: 'agent' as const, name: 'Ann' };

describe('wechaty channel (wechaty with the mock puppet, in a real gateway)', function () {
  let w: MockWeChat;
  let gw: TestGateway;
  const clock = { now: 0 };

  before(function () { needsWechaty(this, libs); });
  beforeEach(async () => {
    ({ w, gw } = await mockGateway(libs as MockLibs, clock));
    await w.login(gw);
  });
  afterEach(async () => { await gw?.close(); });

  const ref = (thread: string) => ({ channel: 'wechaty', account: 'default', thread });
  const conversation = (thread: string) => eventually(() => gw.store.findConversationByRef(ref(thread)), `conversation ${thread}`) as Promise<Conversation>;
  const inbound = async (conv: Conversation) => (await gw.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound');
  const reply = async (conv: Conversation, text: string) => (await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'text', text } })).message;
  const drain = async (rounds = 6) => { for (let i = 0; i < rounds; i++) { clock.now += 15 * 60_000; await gw.outbox.pump(); } };
  const setConfig = (extra: string) => { writeFileSync(gw.configFile, readFileSync(gw.configFile, 'utf8').replace('puppet = "wechaty-puppet-mock"\n', `puppet = "wechaty-puppet-mock"\n${extra}\n`)); gw.config.reload(); };

  it('1:1 end to end: a customer on WeChat and an agent in the workspace talk both ways', async () => {
    const admin = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    const agent = await connectAgent(gw.workspaceUrl, admin);
    const wang = w.contact('Wang Xiaoming');
    w.say(wang, '你好，我的包裹在哪里？');
    const assigned = await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned');
    const got = await agent.wait((f) => f.type === 'message' && f.message.direction === 'inbound');
    assert.equal(got.message.content.text, '你好，我的包裹在哪里？');
    assert.equal(assigned.conversation.customer.name, 'Wang Xiaoming');
    assert.equal(assigned.conversation.channel ?? assigned.conversation.ref?.channel, 'wechaty');

    const id = cid();
    agent.send({ type: 'send', conversationId: assigned.conversation.id, clientId: id, text: 'It left the warehouse today.' });
    await agent.wait((f) => f.type === 'ack' && f.clientId === id);
    await eventually(() => w.texts(wang.id).includes('It left the warehouse today.'), 'the reply reached WeChat');
    await agent.wait((f) => f.type === 'delivery' && f.state === 'sent');

    w.say(wang, 'thanks!');
    await agent.wait((f) => f.type === 'message' && f.message.content.text === 'thanks!');
    assert.equal((await inbound(await conversation(`c:${wang.id}`))).length, 2, 'one conversation for the contact');
    await agent.close();
  });

  it('the account\'s own messages are not stored; a message event seen twice is stored once (puppet message id)', async () => {
    const li = w.contact('Li');
    w.say(li, 'first');
    const conv = await conversation(`c:${li.id}`);
    await eventually(async () => (await inbound(conv)).length === 1, 'first stored');
    const first = [...w.mocker.cacheMessagePayload.values()].find((m: { text?: string }) => m.text === 'first');
    assert.equal((await inbound(conv))[0].sourceId, first.id, 'the puppet message id is the source id');
    // A reconnecting puppet may emit the same message again.
    (await w.puppet()).emit('message', { messageId: first.id });
    await reply(conv, 'echoed back as a self message by the puppet');
    await eventually(() => w.texts(li.id).length === 1, 'reply sent');
    w.say(li, 'second');
    await eventually(async () => (await inbound(conv)).length === 2, 'second stored');
    assert.deepEqual((await inbound(conv)).map((m) => (m.content as { text: string }).text), ['first', 'second']);
  });

  it('a group is one conversation: with group_mode "mentions" only @mentions count; with "all" every line, each saying who wrote it', async () => {
    const a = w.contact('Zhang');
    const b = w.contact('Zhao');
    const room = w.room('VIP customers', [a, b]);
    w.say(a, 'hello everyone', room);
    w.say(b, '@KefuBot my order is late', room, true);
    const conv = await conversation(`r:${room.id}`);
    await eventually(async () => (await inbound(conv)).length === 1, 'the mention stored');
    assert.equal(conv.customer.name, 'VIP customers');
    assert.deepEqual((await inbound(conv)).map((m) => (m.content as { text: string }).text), ['Zhao: my order is late']);

    await reply(conv, 'Looking into it, Zhao.');
    await eventually(() => w.texts(room.id).includes('Looking into it, Zhao.'), 'the reply went to the group');

    setConfig('group_mode = "all"');
    w.say(a, 'me too', room);
    await eventually(async () => (await inbound(conv)).length === 2, 'a line without a mention stored');
    assert.equal(((await inbound(conv))[1].content as { text: string }).text, 'Zhang: me too');
    assert.equal((await gw.store.listConversations({ limit: 10 })).length, 1, 'still one conversation');
  });

  it('images: an inbound image is stored as an attachment; an agent\'s image goes out as a FileBox', async () => {
    const admin = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    const qian = w.contact('Qian');
    w.say(qian, w.image('damage.png'));
    const conv = await conversation(`c:${qian.id}`);
    const [m] = (await eventually(async () => { const x = await inbound(conv); return x.length ? x : undefined; }, 'image stored'))!;
    assert.equal(m.content.kind, 'media');
    if (m.content.kind !== 'media') return;
    const att = m.content.attachments[0];
    assert.deepEqual([att.kind, att.mime, att.width, att.name], ['image', 'image/png', 1, 'damage.png']);
    const file = await fetch(`${gw.workspaceUrl}/media/${att.mediaId}`, { headers: { authorization: `Bearer ${admin}` } });
    assert.deepEqual(Buffer.from(await file.arrayBuffer()), PNG_1X1);

    const form = new FormData();
    form.append('file', new Blob([PNG_1X1], { type: 'image/png' }), 'label.png');
    const up = await json(`${gw.workspaceUrl}/api/uploads`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body: form });
    assert.equal(up.status, 201, JSON.stringify(up.body));
    const sent = (await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'media', attachments: [up.body.attachment], caption: 'your label' } })).message;
    await eventually(() => w.texts(qian.id).includes('your label'), 'caption sent');
    const files = w.sent.filter((s) => s.to === qian.id && s.file);
    assert.deepEqual(files.map((f) => [f.file!.name, f.file!.base64]), [['label.png', PNG_BASE64]]);
    assert.equal((await gw.store.outbox.byMessage([sent.id])).get(sent.id)?.status, 'sent');
  });

  it('kinds WeChat alone shows are stored as a placeholder, never dropped', async () => {
    const sun = w.contact('Sun');
    // The mock's say() only makes texts and files: a voice message is its payload, announced like the puppet does.
    const voice = `voice${Date.now()}`;
    w.mocker.MessageMock.create({ id: voice, type: 2, talkerId: sun.id, listenerId: w.botUser.id, timestamp: Date.now(), text: '' });
    (await w.puppet()).emit('message', { messageId: voice });
    const conv = await conversation(`c:${sun.id}`);
    await eventually(async () => (await inbound(conv)).length === 1, 'voice stored');
    w.say(sun, w.libs.FileBox.fromBase64(PNG_BASE64, 'unboxing.mp4'));
    await eventually(async () => (await inbound(conv)).length === 2, 'video stored');
    assert.deepEqual((await inbound(conv)).map((m) => m.content), [
      { kind: 'text', text: '[voice message — open WeChat to listen]' },
      { kind: 'text', text: '[video — open WeChat to watch it]' },
    ]);
  });

  it('a contact that is gone fails the reply at once as contact_gone; the next one still goes', async () => {
    const zhou = w.contact('Zhou');
    w.say(zhou, 'hi');
    const conv = await conversation(`c:${zhou.id}`);
    await eventually(() => w.sent.some((s) => s.to === zhou.id), 'offline notice sent');
    w.failures = ['gone'];
    const bad = await reply(conv, 'lost');
    const good = await reply(conv, 'kept');
    await drain();
    const item = (await gw.store.outbox.byMessage([bad.id])).get(bad.id);
    assert.equal(item?.status, 'failed');
    assert.match(JSON.stringify(item?.lastError), /contact_gone/);
    assert.equal((await gw.store.outbox.byMessage([good.id])).get(good.id)?.status, 'sent');
    assert.deepEqual(w.texts(zhou.id), ['kept']);
  });
});
