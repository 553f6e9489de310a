import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { cid, connectAgent, loginAgent } from '../../helpers/clients.js';
import { FakeFeishu } from '../../fixtures/channels/feishu/fake-feishu.js';
import { encrypt, signatureOf } from '../../../channels/feishu/verify.js';
import { cardEvent, feishuConfig, feishuPost, HOOK_APP, messageEvent, seed, TOKEN_APP } from './feishu-helpers.js';

const hookRef = { channel: 'feishu', account: HOOK_APP.id, thread: 'oc_p2p_alice' };
const replies = (fake: FakeFeishu) => fake.sent.filter((s) => !String(s.content.text ?? '').startsWith('No agent'));

describe('feishu webhook mode (encrypted, signed over the raw body)', () => {
  let fake: FakeFeishu;
  let gw: TestGateway;

  beforeEach(async () => {
    fake = await new FakeFeishu().listen();
    seed(fake);
    gw = await startGateway(`${feishuConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n`);
    await eventually(() => gw.channels.isRunning('feishu'), 'feishu running');
  });
  afterEach(async () => { await gw?.close(); await fake.close(); });

  const post = (event: object, o: Parameters<typeof feishuPost>[3] = {}) => feishuPost(gw.publicUrl, HOOK_APP.id, event, { encryptKey: HOOK_APP.encryptKey, ...o });
  const inbound = async (ref = hookRef) => {
    const conv = await gw.store.findConversationByRef(ref);
    return conv ? (await gw.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound') : [];
  };

  it('answers the encrypted url_verification challenge (unsigned, as the console sends it)', async () => {
    const r = await post({ type: 'url_verification', challenge: 'ch-12345', token: HOOK_APP.token }, { unsigned: true });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { challenge: 'ch-12345' });
    const wrongToken = await post({ type: 'url_verification', challenge: 'ch-1', token: 'not-it' }, { unsigned: true });
    assert.equal(wrongToken.status, 403);
    const otherKey = await feishuPost(gw.publicUrl, HOOK_APP.id, { type: 'url_verification', challenge: 'ch-2', token: HOOK_APP.token }, { encryptKey: 'another-key-999', unsigned: true });
    assert.equal(otherKey.status, 403, 'a body that does not decrypt with our key');
  });

  it('a signed, encrypted event is decrypted, stored and answered', async () => {
    const r = await post(messageEvent({ app: HOOK_APP.id, text: '你好' }));
    assert.equal(r.status, 200);
    const [m] = await inbound();
    assert.deepEqual(m.content, { kind: 'text', text: '你好' });
  });

  it('a text over max_text_chars is stored cut, with a note, and answered (refused, Feishu would re-push it for hours)', async () => {
    const long = '长'.repeat(4500);
    const r = await post(messageEvent({ app: HOOK_APP.id, text: long }));
    assert.equal(r.status, 200);
    const [m] = await inbound();
    const text = (m.content as { text: string }).text;
    assert.equal(text.length, 4000);
    assert.match(text, /^长+\n\[… cut: the customer's message had 4500 characters\]$/);
  });

  it('a body with other whitespace but a correct raw-body signature is accepted; a tampered one is 403 invalid_signature', async () => {
    const event = messageEvent({ app: HOOK_APP.id, text: 'spaced out' });
    // Feishu's bytes need not be what JSON.stringify gives back (the SDK's own check would refuse this).
    const spaced = `{\n  "encrypt" :  ${JSON.stringify(encrypt(HOOK_APP.encryptKey, JSON.stringify(event, null, 2)))}\n}`;
    const ok = await post(event, { body: spaced });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.equal((await inbound()).length, 1);
    const ts = String(Math.floor(Date.now() / 1000));
    const sig = signatureOf(ts, 'nonce-1', HOOK_APP.encryptKey, spaced);
    const tampered = await feishuPost(gw.publicUrl, HOOK_APP.id, event, { encryptKey: HOOK_APP.encryptKey, body: spaced.replace('\n}', ' }'), signature: sig, timestamp: ts });
    assert.equal(tampered.status, 403);
    assert.equal(tampered.body.error.code, 'invalid_signature');
    const unsigned = await post(messageEvent({ app: HOOK_APP.id, text: 'no signature' }), { unsigned: true });
    assert.equal(unsigned.status, 403);
    const stale = await post(messageEvent({ app: HOOK_APP.id, text: 'old' }), { timestamp: String(Math.floor(Date.now() / 1000) - 7200) });
    assert.equal(stale.status, 403, 'older than max_skew_s');
    assert.equal((await inbound()).length, 1);
  });

  it('without an encrypt key the verification token is compared (the SDK would check nothing)', async () => {
    const ref = { ...hookRef, account: TOKEN_APP.id };
    const bad = await feishuPost(gw.publicUrl, TOKEN_APP.id, messageEvent({ app: TOKEN_APP.id, text: 'forged', token: 'guess' }));
    assert.equal(bad.status, 403);
    const none = await feishuPost(gw.publicUrl, TOKEN_APP.id, messageEvent({ app: TOKEN_APP.id, text: 'forged' }));
    assert.equal(none.status, 403);
    const ok = await feishuPost(gw.publicUrl, TOKEN_APP.id, messageEvent({ app: TOKEN_APP.id, text: 'real', token: TOKEN_APP.token }));
    assert.equal(ok.status, 200);
    assert.deepEqual((await inbound(ref)).map((m) => (m.content as { text: string }).text), ['real']);
    const unknownApp = await feishuPost(gw.publicUrl, 'cli_ffffffffffffffff', messageEvent({ app: 'cli_ffffffffffffffff', text: 'x' }));
    assert.equal(unknownApp.status, 403);
  });

  it('bad input gets a clear answer and stores nothing', async () => {
    const notJson = await feishuPost(gw.publicUrl, TOKEN_APP.id, {}, { body: '{"token": "verify' });
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.error.code, 'invalid_json');
    const garbage = await post({}, { body: JSON.stringify({ encrypt: 'AAAA' }) });
    assert.equal(garbage.status, 403);
    const res = await fetch(`${gw.publicUrl}/channels/feishu/events/${TOKEN_APP.id}`, { method: 'POST', body: 'x'.repeat(3 * 1024 * 1024), headers: { 'content-type': 'application/json' } });
    assert.equal(res.status, 413);
    assert.equal((await gw.store.listConversations({ limit: 10 })).length, 0);
  });

  it('images in are fetched and stored; images out are uploaded first, once', async () => {
    const r = await post(messageEvent({ app: HOOK_APP.id, type: 'image', content: { image_key: 'img_v2_in1' } }));
    assert.equal(r.status, 200);
    const [m] = await inbound();
    assert.equal(m.content.kind, 'media');
    const att = m.content.kind === 'media' ? m.content.attachments[0] : undefined;
    assert.equal(att?.kind, 'image');
    const lost = await post(messageEvent({ app: HOOK_APP.id, type: 'post', content: { title: '', content: [[{ tag: 'text', text: 'see' }, { tag: 'img', image_key: 'img_missing' }]] } }));
    assert.equal(lost.status, 200);
    const second = (await inbound())[1];
    assert.deepEqual(second.content, { kind: 'text', text: 'see\n[1 image could not be fetched from Feishu]' });
    const conv = (await gw.store.findConversationByRef(hookRef))!;
    const agent = { id: 'A1', role: 'agent' as const, name: 'Ann' };
    await gw.bus.send({ conversationId: conv.id, from: agent, content: { kind: 'media', attachments: [att!], caption: '这是您要的图' } });
    await gw.bus.send({ conversationId: conv.id, from: agent, content: { kind: 'media', attachments: [att!] } });
    await eventually(() => replies(fake).length === 2, 'both sent');
    const [withCaption, alone] = replies(fake);
    assert.equal(withCaption.msgType, 'post');
    assert.deepEqual(withCaption.content.zh_cn.content, [[{ tag: 'text', text: '这是您要的图' }], [{ tag: 'img', image_key: 'img_v2_1' }]]);
    assert.deepEqual([alone.msgType, alone.content], ['image', { image_key: 'img_v2_1' }]);
    assert.equal(fake.uploads.length, 1, 'the same image is uploaded once');
    const pdf = { kind: 'file' as const, mediaId: 'F'.repeat(32), mime: 'application/pdf', size: 10, name: 'invoice.pdf' };
    await gw.bus.send({ conversationId: conv.id, from: agent, content: { kind: 'media', attachments: [pdf], caption: '发票' } });
    await eventually(() => replies(fake).length === 3, 'file named');
    assert.deepEqual(replies(fake)[2].content, { text: '发票\n[invoice.pdf]' }, 'files are named (no public_url here, so no link)');
  });

  it('an image Feishu is slow to hand over does not hold the event past its budget: the message is kept with a note', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(gw.configFile, readFileSync(gw.configFile, 'utf8').replace('contact_timeout_ms = 2000', 'contact_timeout_ms = 2000\nmedia_timeout_ms = 200'));
    gw.config.reload();
    fake.imageDelayMs = 5000;
    const r = await post(messageEvent({ app: HOOK_APP.id, type: 'image', content: { image_key: 'img_v2_slow' } }));
    assert.equal(r.status, 200);
    assert.deepEqual((await inbound())[0].content, { kind: 'text', text: '[1 image could not be fetched from Feishu]' });
  });

  it('a contact lookup slower than its budget does not hold the event; the name and department follow once it answers, fetched once', async () => {
    const { readFileSync, writeFileSync } = await import('node:fs');
    writeFileSync(gw.configFile, readFileSync(gw.configFile, 'utf8').replace('contact_timeout_ms = 2000', 'contact_timeout_ms = 100'));
    gw.config.reload();
    fake.contactDelayMs = 600;
    assert.equal((await post(messageEvent({ app: HOOK_APP.id, text: 'quick' }))).status, 200);
    const first = (await gw.store.findConversationByRef(hookRef))!;
    assert.equal(first.customer.name, undefined, 'stored before the lookup answered');
    const named = await eventually(async () => { const c = (await gw.store.findConversationByRef(hookRef))!; return c.customer.name ? c : undefined; }, 'the late name');
    assert.equal(named?.customer.name, '王小丽');
    assert.equal(named?.meta?.department, '华东销售部');
    await post(messageEvent({ app: HOOK_APP.id, text: 'again' }));
    assert.equal(fake.contactRequests.filter((u) => u === 'ou_alice').length, 1, 'once per user');
  });

  it('in a group, @-mentions of the bot are taken (others not) and replies quote the member', async () => {
    const mention = (open_id: string, name: string, key: string) => ({ key, id: { open_id }, name });
    const group = { app: HOOK_APP.id, chatId: 'oc_group1', chatType: 'group' as const };
    await eventually(async () => (await post(messageEvent({ ...group, text: 'warm-up', mentions: [] }))).status === 200, 'posted');
    const asked = messageEvent({ ...group, text: '@_user_1 退款进度？@_user_2 看下', mentions: [mention(fake.botOpenId, 'kefu', '@_user_1'), mention('ou_bob', '李雷', '@_user_2')] });
    await eventually(async () => (await post(asked)).status === 200, 'posted');
    const ref = { channel: 'feishu', account: HOOK_APP.id, thread: 'oc_group1:ou_alice' };
    const msgs = await inbound(ref);
    assert.deepEqual(msgs.map((m) => (m.content as { text: string }).text), ['退款进度？@李雷 看下'], 'the un-addressed warm-up is not taken');
    const conv = (await gw.store.findConversationByRef(ref))!;
    await gw.bus.send({ conversationId: conv.id, from: { id: 'A1', role: 'agent', name: 'Ann' }, content: { kind: 'text', text: '正在处理' } });
    await eventually(() => replies(fake).some((s) => s.content.text === '正在处理'), 'reply sent');
    assert.equal(replies(fake).find((s) => s.content.text === '正在处理')!.replyTo, asked.event.message.message_id);
  });

  it('a bot answer is a card; its 转人工 button hands the conversation to a human (once per click)', async () => {
    await post(messageEvent({ app: HOOK_APP.id, text: '怎么退货' }));
    const conv = (await gw.store.findConversationByRef(hookRef))!;
    await gw.bus.updateConversation(conv, { status: 'bot', assigneeId: undefined, queuedAt: undefined }, 'updated');
    await gw.bus.send({ conversationId: conv.id, from: { id: 'B1', role: 'bot', name: 'kefu bot' }, content: { kind: 'text', text: '请在订单页点击退货。' } });
    await eventually(() => replies(fake).some((s) => s.msgType === 'interactive'), 'card sent');
    const card = replies(fake).find((s) => s.msgType === 'interactive')!.content;
    const button = card.elements[1].actions[0];
    assert.equal(button.text.content, '转人工');
    assert.equal(card.elements[0].text.content, '请在订单页点击退货。');
    const stranger = await post(cardEvent({ app: HOOK_APP.id, conversation: conv.id, openId: 'ou_mallory' }));
    assert.equal(stranger.body.toast.type, 'error');
    assert.equal((await gw.store.getConversation(conv.id))!.status, 'bot');
    const click = cardEvent({ app: HOOK_APP.id, conversation: button.value.conversation });
    const r = await post(click);
    assert.equal(r.status, 200);
    assert.equal(r.body.toast.type, 'success');
    await eventually(async () => ['queued', 'assigned'].includes((await gw.store.getConversation(conv.id))!.status), 'handed to a human');
    // Resolved by an agent, then Feishu re-pushes the same click: it must not reopen the conversation.
    await gw.bus.updateConversation((await gw.store.getConversation(conv.id))!, { status: 'resolved', assigneeId: undefined, queuedAt: undefined }, 'resolved');
    assert.equal((await post(click)).status, 200);
    assert.equal((await gw.store.getConversation(conv.id))!.status, 'resolved');
  });

  it('token failure shows as auth_failed health, and the send waits as a retryable failure', async () => {
    await post(messageEvent({ app: HOOK_APP.id, text: 'hi' }));
    await eventually(() => gw.channels.health().feishu.state === 'connected' && fake.sent.length === 1, 'connected, the offline notice sent');
    fake.secrets.set(HOOK_APP.id, 'rotated-in-the-console');
    const conv = (await gw.store.findConversationByRef(hookRef))!;
    // A fresh SDK client (a reload with a new api_timeout_ms) has no cached token and must ask again.
    const file = (await import('node:fs')).readFileSync(gw.configFile, 'utf8');
    (await import('node:fs')).writeFileSync(gw.configFile, file.replace('contact_timeout_ms = 2000', 'contact_timeout_ms = 2000\napi_timeout_ms = 5000'));
    gw.config.reload();
    await eventually(() => gw.channels.health().feishu.state === 'auth_failed', 'auth_failed');
    const { message } = await gw.bus.send({ conversationId: conv.id, from: { id: 'A1', role: 'agent', name: 'Ann' }, content: { kind: 'text', text: 'are you there?' } });
    await eventually(async () => (await gw.store.outbox.byMessage([message.id])).get(message.id)?.lastError?.startsWith('auth_failed'), 'the send failed on the token');
    assert.match(gw.channels.health().feishu.detail ?? '', /hook: tenant_access_token refused: .*app secret invalid/);
    assert.equal((await gw.store.outbox.byMessage([message.id])).get(message.id)?.status, 'pending', 'retried once the secret is fixed');
  });

  it('end to end: a Feishu user and an agent converse over the webhook', async () => {
    const agent = await connectAgent(gw.workspaceUrl, await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword));
    assert.equal((await post(messageEvent({ app: HOOK_APP.id, text: '能开专票吗？' }))).status, 200);
    const assigned = await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned');
    assert.equal(assigned.conversation.meta.department, '华东销售部');
    agent.send({ type: 'send', conversationId: assigned.conversation.id, clientId: cid(), text: '可以的，请提供税号。' });
    await eventually(() => replies(fake).some((s) => s.content.text === '可以的，请提供税号。'), 'the reply reached Feishu');
    await post(messageEvent({ app: HOOK_APP.id, text: '91310000XXXX' }));
    await agent.wait((f) => f.type === 'message' && f.message?.content?.text === '91310000XXXX');
    await agent.close();
  });
});
