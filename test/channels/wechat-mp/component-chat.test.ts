import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { cid, connectAgent, loginAgent, PNG_1X1, type FrameSocket } from '../../helpers/clients.js';
import { APPID, FakeWechat, MP3, SECRET, wechatMpConfig } from './fake-wechat.js';
import { WxStandin, type ComponentInstance } from './wx-standin.js';

/**
 * The kefu-chat component's own JS, under the wx stand-in, against a real gateway and a fake
 * jscode2session: a customer on the mini-program converses with an agent in the workspace.
 */
describe('wechat_mp: the kefu-chat component end to end', () => {
  let fake: FakeWechat;
  let gw: TestGateway;
  let dir: string;
  let agent: FrameSocket;
  let mounted: ComponentInstance[];

  const start = async (extra = '') => {
    gw = await startGateway(wechatMpConfig(fake, `asr = { provider = "http", url = "${fake.url}/asr", token = "asr-token-1" }\n`) + extra, { dir });
  };
  const agentOnline = async () => { agent = await connectAgent(gw.workspaceUrl, await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword)); };
  const mount = (wx: WxStandin, props: Record<string, unknown> = {}) => {
    const c = wx.mount({ server: gw.publicUrl, ...props });
    mounted.push(c);
    return c;
  };
  const texts = (c: ComponentInstance) => c.data.items.filter((i: any) => i.kind === 'text').map((i: any) => i.text);
  const reply = async (convId: string, text: string) => {
    const clientId = cid();
    agent.send({ type: 'send', conversationId: convId, clientId, text });
    await agent.wait((f) => f.type === 'ack' && f.clientId === clientId);
  };
  const convOf = async () => (await gw.store.listConversations({ limit: 10 })).filter((c) => c.ref.channel === 'wechat_mp');

  beforeEach(async () => {
    fake = await new FakeWechat().listen();
    dir = mkdtempSync(join(tmpdir(), 'kefu-wxmp-'));
    mounted = [];
    await start();
  });
  afterEach(async () => {
    for (const c of mounted) c.detach();
    await agent?.close();
    await gw?.close();
    await fake.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('text round trip with an agent; the conversation is wechat_mp, keyed by a derived id, with openid/unionid in its meta', async () => {
    await agentOnline();
    const wx = new WxStandin();
    wx.codes.push(fake.code('o_alice_openid_123', 'u_alice_union_456'));
    const c = mount(wx);
    await eventually(() => c.data.connected, 'connected');
    c.onInput({ detail: { value: '你好，我的订单到哪了？' } });
    c.onSend();
    const conv = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
    const inbound = await agent.wait((f) => f.type === 'message' && f.message.direction === 'inbound');
    assert.equal(inbound.message.content.text, '你好，我的订单到哪了？');
    const stored = (await gw.store.getConversation(conv.id))!;
    assert.equal(stored.ref.channel, 'wechat_mp');
    assert.equal(stored.ref.account, APPID);
    assert.ok(!stored.ref.thread.includes('alice'), 'the openid is not in the conversation id');
    assert.equal(stored.meta?.wechat_openid, 'o_alice_openid_123');
    assert.equal(stored.meta?.wechat_unionid, 'u_alice_union_456');

    await reply(conv.id, 'It ships today.');
    await eventually(() => texts(c).includes('It ships today.'), 'reply shown');
    agent.send({ type: 'typing', conversationId: conv.id });
    await eventually(() => c.data.typingText, 'agent typing shown');
    assert.match(c.data.typingText, /正在输入/);
    assert.deepEqual(texts(c), ['你好，我的订单到哪了？', 'It ships today.']);
    assert.equal(c.data.items.filter((i: any) => i.pending).length, 0);
    assert.equal(wx.openSockets, 1, 'one socket per component');
  });

  it('a returning user (same openid, new login) gets the same conversation and history', async () => {
    const first = new WxStandin();
    first.codes.push(fake.code('o_bob_openid_1'));
    const a = mount(first);
    await eventually(() => a.data.connected, 'connected');
    a.onInput({ detail: { value: 'first visit' } });
    a.onSend();
    await eventually(() => a.data.items.some((i: any) => !i.pending), 'acked');
    a.detach();

    const again = new WxStandin(); // another phone, or the storage cleared: logs in again
    again.codes.push(fake.code('o_bob_openid_1'));
    const b = mount(again);
    await eventually(() => texts(b).includes('first visit'), 'history shown');
    assert.equal((await convOf()).length, 1);
    const other = new WxStandin();
    other.codes.push(fake.code('o_carol_openid_2'));
    const c = mount(other);
    await eventually(() => c.data.connected, 'connected');
    assert.deepEqual(texts(c), [], 'another user sees nothing of it');
  });

  it('resume after a dropped socket and after onHide/onShow: nothing lost, nothing twice', async () => {
    await agentOnline();
    const wx = new WxStandin();
    wx.codes.push(fake.code('o_dan_openid_1'));
    const c = mount(wx);
    await eventually(() => c.data.connected, 'connected');
    c.onInput({ detail: { value: 'hello' } });
    c.onSend();
    const conv = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;

    wx.tasks[0].ws.terminate(); // the network drops
    await eventually(() => !c.data.connected, 'noticed the drop');
    c.onInput({ detail: { value: 'written while offline' } });
    c.onSend();
    await reply(conv.id, 'answer one');
    await reply(conv.id, 'answer two');
    await eventually(() => texts(c).includes('answer two') && c.data.items.every((i: any) => !i.pending), 'reconnected and resumed');

    c.hide(); // the app goes to the background: socket closed
    await eventually(() => wx.openSockets === 0, 'socket closed on hide');
    await reply(conv.id, 'while you were away');
    c.show();
    await eventually(() => texts(c).includes('while you were away'), 'resumed on show');
    const all = await gw.store.listMessages(conv.id, {});
    // Stored when it reached the gateway: after the answers, or between them.
    assert.deepEqual(texts(c), all.filter((m) => m.content.kind === 'text').map((m) => (m.content as { text: string }).text), 'in the store\'s order');
    assert.deepEqual([...texts(c)].sort(), ['answer one', 'answer two', 'hello', 'while you were away', 'written while offline']);
    assert.equal(all.filter((m) => m.content.kind === 'text' && m.content.text === 'written while offline').length, 1);
    assert.equal(new Set(c.data.items.map((i: any) => i.key)).size, c.data.items.length, 'no item twice');
  });

  it('a bus resync (cluster mode, Redis back) brings the open component a stored message it missed, once, without reconnecting', async () => {
    await agentOnline();
    const wx = new WxStandin();
    wx.codes.push(fake.code('o_eve_openid_1'));
    const c = mount(wx);
    await eventually(() => c.data.connected, 'connected');
    c.onInput({ detail: { value: 'hello' } });
    c.onSend();
    const conv = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
    await reply(conv.id, 'live answer');
    await eventually(() => texts(c).includes('live answer'), 'live answer shown');
    // Stored past the bus, as a reply stored on another node while Redis was down is for this one.
    const stored = (await gw.store.listMessages(conv.id, {})).at(-1)!;
    const missed = { ...stored, id: `${stored.id}-missed`, seq: stored.seq + 1, sourceId: undefined, content: { kind: 'text' as const, text: 'missed answer' } };
    const current = (await gw.store.getConversation(conv.id))!;
    await gw.store.appendMessage(missed, current);
    await gw.store.saveConversation({ ...current, lastSeq: missed.seq });
    gw.bus.emit('resync');
    gw.bus.emit('resync');
    await eventually(() => texts(c).includes('missed answer'), 'the missed answer shown after the resync');
    await reply(conv.id, 'after');
    await eventually(() => texts(c).includes('after'), 'live again');
    assert.deepEqual(texts(c), ['hello', 'live answer', 'missed answer', 'after']);
    assert.equal(wx.openSockets, 1, 'the same socket');
    assert.equal(wx.tasks.length, 1, 'never reconnected');
  });

  it('resume after a gateway restart: a message written meanwhile is stored once, replies arrive', async () => {
    await agentOnline();
    const wx = new WxStandin();
    wx.codes.push(fake.code('o_erin_openid_1'));
    const c = mount(wx);
    await eventually(() => c.data.connected, 'connected');
    c.onInput({ detail: { value: 'before restart' } });
    c.onSend();
    const conv = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
    await reply(conv.id, 'got it');
    await eventually(() => texts(c).includes('got it'), 'reply shown');

    const port = gw.publicPort;
    await agent.close();
    await gw.close();
    await eventually(() => !c.data.connected, 'noticed the restart');
    c.onInput({ detail: { value: 'during restart' } });
    c.onSend();
    await start(`[server]\npublic_port = ${port}\n`);
    await agentOnline();
    await eventually(() => c.data.connected && c.data.items.every((i: any) => !i.pending), 'reconnected, outbox flushed', 20_000);
    await reply(conv.id, 'after restart');
    await eventually(() => texts(c).includes('after restart'), 'reply after restart');
    assert.deepEqual(texts(c), ['before restart', 'got it', 'during restart', 'after restart']);
    const all = await gw.store.listMessages(conv.id, {});
    assert.equal(all.filter((m) => m.content.kind === 'text' && m.content.text === 'during restart').length, 1);
    assert.equal(new Set(c.data.items.map((i: any) => i.key)).size, c.data.items.length, 'no item twice');
  });

  it('image upload: the agent gets the image, the component shows it from /media', async () => {
    await agentOnline();
    const wx = new WxStandin();
    wx.codes.push(fake.code('o_fay_openid_1'));
    wx.files.set(wx.image, PNG_1X1);
    const c = mount(wx);
    await eventually(() => c.data.connected, 'connected');
    c.onChooseImage();
    const m = await agent.wait((f) => f.type === 'message' && f.message.content.kind === 'media');
    assert.equal(m.message.content.attachments[0].kind, 'image');
    assert.equal(m.message.content.attachments[0].mime, 'image/png');
    const item = await eventually(() => c.data.items.find((i: any) => i.kind === 'image' && !i.pending), 'image shown');
    assert.ok(item.src.startsWith(`${gw.publicUrl}/media/`));
    const img = await fetch(item.src);
    assert.deepEqual(Buffer.from(await img.arrayBuffer()), PNG_1X1);
    assert.equal(c.data.items.filter((i: any) => i.kind === 'image').length, 1, 'the pending bubble became the stored one');
  });

  it('voice with the WechatSI plugin: its transcript goes with the audio; the RecorderManager is not driven', async () => {
    await agentOnline();
    const wx = new WxStandin({ plugin: { transcript: '请帮我退货' } });
    wx.codes.push(fake.code('o_gus_openid_1'));
    wx.files.set(wx.recording.path, MP3);
    const c = mount(wx);
    await eventually(() => c.data.connected, 'connected');
    c.onToggleVoice();
    c.onVoiceStart();
    await eventually(() => c.data.recording, 'recording');
    c.onVoiceEnd();
    const m = await agent.wait((f) => f.type === 'message' && f.message.content.kind === 'media');
    assert.equal(m.message.content.attachments[0].kind, 'voice');
    assert.equal(m.message.content.attachments[0].mime, 'audio/mpeg');
    assert.equal(m.message.content.caption, '请帮我退货');
    assert.equal(wx.pluginDriven, 1);
    assert.equal(wx.recorderDriven, 0, 'never both recorders');
    assert.equal(fake.asrCalls.length, 0, 'a device transcript needs no server ASR');
    assert.deepEqual(wx.uploads[0].form, { clientId: wx.uploads[0].form.clientId, duration: '3200', transcript: '请帮我退货' });
    const item = await eventually(() => c.data.items.find((i: any) => i.kind === 'voice' && !i.pending), 'voice shown');
    assert.equal(item.caption, '请帮我退货');
    c.onPlay({ currentTarget: { dataset: { src: item.src } } });
    const audio = await fetch(wx.played[0]);
    assert.deepEqual(Buffer.from(await audio.arrayBuffer()), MP3);
  });

  it('voice without the plugin: recorded by the RecorderManager, transcribed by the server-side ASR provider', async () => {
    await agentOnline();
    const wx = new WxStandin();
    wx.codes.push(fake.code('o_hal_openid_1'));
    wx.files.set(wx.recording.path, MP3);
    const c = mount(wx);
    await eventually(() => c.data.connected, 'connected');
    c.onVoiceStart();
    await eventually(() => c.data.recording, 'recording');
    c.onVoiceEnd();
    const m = await agent.wait((f) => f.type === 'message' && f.message.content.kind === 'media');
    assert.equal(m.message.content.caption, fake.transcript);
    assert.equal(wx.recorderDriven, 1);
    assert.equal(fake.asrCalls.length, 1);
    assert.equal(fake.asrCalls[0].mime, 'audio/mpeg');
    assert.equal(fake.asrCalls[0].auth, 'Bearer asr-token-1');
    assert.deepEqual(fake.asrCalls[0].bytes, MP3);
  });

  it('offline notice: shown while no agent is online, gone once one is', async () => {
    const wx = new WxStandin({ language: 'en' });
    wx.codes.push(fake.code('o_ivy_openid_1'));
    const c = mount(wx);
    await eventually(() => c.data.connected, 'connected');
    assert.equal(c.data.offline, true);
    assert.match(c.data.t.offline, /No agent is online/);
    c.onInput({ detail: { value: 'anyone there?' } });
    c.onSend();
    await eventually(() => c.data.items.some((i: any) => i.kind === 'event' && /No agent/.test(i.text)), 'the offline-notice message');
    await agentOnline();
    await eventually(() => c.data.offline === false, 'presence reached the component');
  });

  it('zh/en strings: the WeChat language or the locale property; every {{t.…}} of the WXML exists in both', async () => {
    const { readFileSync } = await import('node:fs');
    const { COMPONENT_DIR } = await import('./wx-standin.js');
    const zh = new WxStandin({ language: 'zh_CN' });
    zh.codes.push(fake.code('o_jo_openid_1'));
    const a = mount(zh);
    assert.equal(a.data.t.placeholder, '输入消息…');
    const en = new WxStandin({ language: 'zh_CN' });
    en.codes.push(fake.code('o_jo_openid_2'));
    const b = mount(en, { locale: 'en' });
    assert.equal(b.data.t.placeholder, 'Type a message…');
    const wxml = readFileSync(join(COMPONENT_DIR, 'kefu-chat.wxml'), 'utf8');
    const keys = [...new Set([...wxml.matchAll(/\bt\.(\w+)/g)].map((m) => m[1]))];
    assert.ok(keys.length >= 10);
    for (const k of keys) for (const t of [a.data.t, b.data.t]) assert.equal(typeof t[k], 'string', `t.${k}`);
    assert.deepEqual(Object.keys(a.data.t).sort(), Object.keys(b.data.t).sort(), 'both locales have every string');
    await eventually(() => a.data.connected && b.data.connected, 'connected');
  });

  it('the AppSecret (and session_key, openid) never reach the component, not even in errors', async () => {
    await agentOnline();
    const wx = new WxStandin();
    wx.codes.push('not-a-known-code', fake.code('o_kim_openid_secretcheck', 'u_kim_union'));
    wx.files.set(wx.image, PNG_1X1);
    const c = mount(wx);
    await eventually(() => c.data.connected, 'connected after one refused code');
    c.onInput({ detail: { value: 'hi' } });
    c.onSend();
    c.onChooseImage();
    const conv = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
    await reply(conv.id, 'hello');
    await eventually(() => texts(c).includes('hello') && c.data.items.some((i: any) => i.kind === 'image' && !i.pending), 'traffic done');
    const all = wx.received.join('\n');
    assert.ok(all.includes('invalid_login_code'), 'the refused code was answered');
    for (const secret of [SECRET, 'c2Vzc2lvbi1rZXktbmV2ZXItc2hhcmVk', 'o_kim_openid_secretcheck', 'u_kim_union']) assert.ok(!all.includes(secret), secret);
    assert.ok(fake.logins.every((q) => q.get('secret') === SECRET), 'the secret went to WeChat only');
  });
});
