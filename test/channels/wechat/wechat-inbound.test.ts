import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import type { Conversation } from '../../../core/model/message.js';
import { FakeWechat, MP, OA, PNG, wechatConfig } from '../../fixtures/channels/wechat/fake-wechat.js';
import { enterPush, imagePush, msgId, openid, textPush, toJson, wechatPush } from '../../fixtures/channels/wechat/wechat-push.js';
import { signatureOf } from '../../../channels/wechat/verify.js';

const QUEUES = '[[routing.queues]]\nname = "general"\n[[routing.queues]]\nname = "billing"\n[[routing.queues]]\nname = "vip"\n';
type Conv = Conversation;
/** Waits for the conversation to be queued for a human (the route stage runs after the push is answered). */
const queuedIn = async (find: () => Promise<Conv | undefined>): Promise<Conv> =>
  (await eventually(async () => { const c = await find(); return c?.status === 'queued' ? c : undefined; }, 'queued'))!;

describe('wechat channel: message push in (real gateway, fake WeChat API)', () => {
  let fake: FakeWechat;
  let gw: TestGateway;

  const start = async (extra = '') => {
    gw = await startGateway(`${wechatConfig(fake)}\n${QUEUES}\n[ratelimit]\ncustomer_quota = 0\n${extra}`);
    await eventually(() => gw.channels.isRunning('wechat'), 'wechat running');
  };
  beforeEach(async () => { fake = await new FakeWechat().listen(); await start(); });
  afterEach(async () => { await gw?.close(); await fake.close(); });

  const conversation = (appid: string, from: string) => gw.store.findConversationByRef({ channel: 'wechat', account: appid, thread: from });
  const inboundOf = async (conv: Conversation) => (await gw.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound');
  const all = async () => (await gw.store.listConversations({ limit: 50 })).length;

  it('URL verification: the official sample GET echoes echostr; a wrong signature or appid is 403', async () => {
    const q = 'signature=f464b24fc39322e44b38aa78f5edd27bd1441696&echostr=4375120948345356249&timestamp=1714036504&nonce=1514711492';
    const ok = await fetch(`${gw.publicUrl}/channels/wechat/${MP.appid}?${q}`);
    assert.equal(ok.status, 200);
    assert.match(ok.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(await ok.text(), '4375120948345356249');
    const bad = await fetch(`${gw.publicUrl}/channels/wechat/${MP.appid}?${q.replace('f464', 'f465')}`);
    assert.equal(bad.status, 403);
    assert.equal(((await bad.json()) as any).error.code, 'invalid_signature');
    assert.equal((await fetch(`${gw.publicUrl}/channels/wechat/${OA.appid}?${q}`)).status, 403, 'signed with the other account\'s token');
    assert.equal((await fetch(`${gw.publicUrl}/channels/wechat/wx0000000000000000?${q}`)).status, 403);
  });

  for (const [mode, o] of [
    ['plain JSON (mini-program)', { account: MP, format: 'json' as const }],
    ['safe-mode JSON (mini-program)', { account: MP, format: 'json' as const, aes: true }],
    ['plain XML (service account)', { account: OA, format: 'xml' as const }],
    ['safe-mode XML (service account)', { account: OA, format: 'xml' as const, aes: true }],
  ] as const) {
    it(`${mode}: stored with its 64-bit MsgId exact before WeChat gets "success"; a retry is stored once`, async () => {
      const from = openid();
      const id = 24412545298723516417n;
      const push = textPush(from, '你好，订单 24412545298723516417 到哪了？', { id });
      const r = await wechatPush(gw.publicUrl, push, o);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.text, 'success');
      const conv = (await conversation(o.account.appid, from))!;
      const [m] = await inboundOf(conv);
      assert.equal(m.sourceId, '24412545298723516417', 'not 24412545298723516000');
      assert.deepEqual(m.content, { kind: 'text', text: '你好，订单 24412545298723516417 到哪了？' });
      assert.equal(conv.customer.id, `wechat:${from}`);
      for (let i = 0; i < 3; i++) assert.equal((await wechatPush(gw.publicUrl, push, o)).text, 'success'); // WeChat's three retries
      assert.equal((await inboundOf(conv)).length, 1);
    });
  }

  it('user_enter_tempsession: SessionFrom picks the queue (config map, or queue=<name>); the event is deduped on sender + CreateTime', async () => {
    const a = openid();
    const enter = enterPush(a, 'billing-page');
    assert.equal((await wechatPush(gw.publicUrl, enter)).text, 'success');
    assert.equal((await wechatPush(gw.publicUrl, enter)).text, 'success');
    const conv = await queuedIn(() => conversation(MP.appid, a));
    assert.equal(conv.queue, 'billing');
    assert.equal(conv.meta?.wechat_session_from, 'billing-page');
    const [entry] = await inboundOf(conv);
    assert.deepEqual([entry.content.kind, (await inboundOf(conv)).length], ['event', 1]);

    const b = openid();
    await wechatPush(gw.publicUrl, enterPush(b, 'queue=vip&product=42'));
    assert.equal((await queuedIn(() => conversation(MP.appid, b))).queue, 'vip');
    const c = openid();
    await wechatPush(gw.publicUrl, enterPush(c, 'queue=nonexistent'));
    assert.equal((await queuedIn(() => conversation(MP.appid, c))).queue, 'general');
  });

  it('refused and stores nothing: a tampered signature or Encrypt, a stale timestamp (403), a plain push to a safe_mode account (403), the wrong format (415), an oversized body (413), garbage (400)', async () => {
    const from = openid();
    const push = textPush(from, 'hi');
    const forged = await wechatPush(gw.publicUrl, push, { badSignature: true });
    assert.deepEqual([forged.status, forged.json?.error?.code], [403, 'invalid_signature']);
    const swapped = await wechatPush(gw.publicUrl, push, { aes: true, tamper: (b) => b.replace(/"Encrypt":"[^"]+"/, `"Encrypt":"${Buffer.alloc(64).toString('base64')}"`) });
    assert.deepEqual([swapped.status, swapped.json?.error?.code], [403, 'invalid_signature']);
    const xmlToJson = await wechatPush(gw.publicUrl, push, { format: 'xml' });
    assert.deepEqual([xmlToJson.status, xmlToJson.json?.error?.code], [415, 'unsupported_media_type']);
    const big = await wechatPush(gw.publicUrl, textPush(from, 'x'.repeat(70_000)));
    assert.deepEqual([big.status, big.json?.error?.code], [413, 'payload_too_large']);
    const stale = await wechatPush(gw.publicUrl, push, { timestamp: Math.floor(Date.now() / 1000) - 600 });
    assert.deepEqual([stale.status, stale.json?.error?.code], [403, 'invalid_signature'], 'a signed URL replayed 10 minutes later');
    const garbage = await wechatPush(gw.publicUrl, {}, { raw: '{"MsgType":"text"}' });
    assert.deepEqual([garbage.status, garbage.json?.error?.code], [400, 'bad_request']);
    assert.equal(await all(), 0);

    await gw.close();
    gw = await startGateway(`${wechatConfig(fake, { mp: 'safe_mode = true' })}\n${QUEUES}`);
    await eventually(() => gw.channels.isRunning('wechat'), 'wechat running');
    assert.equal((await wechatPush(gw.publicUrl, push)).status, 403, 'safe mode only');
    assert.equal((await wechatPush(gw.publicUrl, push, { aes: true })).status, 200);
  });

  it('plain mode: a signed URL (it sits in access logs) takes only the body WeChat sent with it; WeChat\'s retry of that body is answered', async () => {
    const timestamp = String(Math.floor(Date.now() / 1000));
    const nonce = '738291001';
    const url = `${gw.publicUrl}/channels/wechat/${MP.appid}?${new URLSearchParams({ signature: signatureOf(MP.token, timestamp, nonce), timestamp, nonce })}`;
    const post = async (body: string) => { const r = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'application/json' } }); return [r.status, await r.text()]; };
    const customer = openid();
    const real = toJson(textPush(customer, 'where is my parcel?'));
    assert.deepEqual(await post(real), [200, 'success']);
    assert.deepEqual(await post(real), [200, 'success'], 'WeChat retrying the same push');
    const victim = openid();
    const [status, body] = await post(toJson(textPush(victim, 'please change my address to …')));
    assert.deepEqual([status, JSON.parse(String(body)).error.code], [403, 'invalid_signature'], 'the logged URL with another body');
    assert.equal(await conversation(MP.appid, victim), undefined);
    assert.equal((await inboundOf((await conversation(MP.appid, customer))!)).length, 1);
  });

  it('over the customer quota a push is still kept and answered "success" (WeChat gives up after three retries in ~15 s)', async () => {
    await gw.close();
    gw = await startGateway(`${wechatConfig(fake)}\n${QUEUES}\n[ratelimit]\ncustomer_quota = 1\nburst = 0\n`);
    await eventually(() => gw.channels.isRunning('wechat'), 'wechat running');
    const from = openid();
    const answers = [];
    for (let i = 0; i < 5; i++) answers.push(await wechatPush(gw.publicUrl, textPush(from, `m${i}`)));
    assert.deepEqual(answers.map((r) => r.text), ['success', 'success', 'success', 'success', 'success']);
    const stored = await inboundOf((await conversation(MP.appid, from))!);
    assert.deepEqual(stored.map((m) => (m.content as { text: string }).text), ['m0', 'm1', 'm2', 'm3', 'm4'], 'every one stored, in order');
  });

  it('images: PicUrl from an allowed host or MediaId through the API, stored as image media; a foreign host, a 404 or an oversized picture leaves a note', async () => {
    await gw.close();
    gw = await startGateway(`${wechatConfig(fake)}\n[server]\nmax_upload_bytes = 102400\n[ratelimit]\ncustomer_quota = 0\n`);
    await eventually(() => gw.channels.isRunning('wechat'), 'wechat running');
    const from = openid();
    const pushes = [
      imagePush(from, { picUrl: fake.picture('a.png'), mediaId: 'CUSTOMER_MEDIA_1' }),
      imagePush(from, { mediaId: 'CUSTOMER_MEDIA_1' }),
      imagePush(from, { picUrl: 'http://evil.example.com/steal.png' }),
      imagePush(from, { picUrl: fake.picture('missing.png') }),
      imagePush(from, { picUrl: fake.picture('big.png') }),
    ];
    for (const p of pushes) assert.equal((await wechatPush(gw.publicUrl, p)).text, 'success');
    const got = await inboundOf((await conversation(MP.appid, from))!);
    assert.deepEqual(got.map((m) => m.sourceId), pushes.map((p) => String(p.MsgId)));
    for (const m of got.slice(0, 2)) {
      assert.equal(m.content.kind, 'media');
      if (m.content.kind !== 'media') continue;
      assert.deepEqual([m.content.attachments[0].kind, m.content.attachments[0].mime, m.content.attachments[0].width], ['image', 'image/png', 2]);
      assert.deepEqual(Buffer.from(await (await fetch(`${gw.publicUrl}/media/${m.content.attachments[0].mediaId}`)).arrayBuffer()), PNG);
    }
    for (const m of got.slice(2)) assert.deepEqual(m.content, { kind: 'text', text: '[Image: it could not be fetched from WeChat]' });
    assert.deepEqual(fake.pictureRequests, ['/pic/a.png', '/pic/missing.png', '/pic/big.png'], 'never the foreign host; the MediaId only when PicUrl did not serve');
  });

  it('a SessionFrom naming an Object.prototype key (constructor, __proto__, toString) is just unmapped: the entry and the next message are stored', async () => {
    for (const sessionFrom of ['constructor', '__proto__', 'toString']) {
      const from = openid();
      const entered = await wechatPush(gw.publicUrl, enterPush(from, sessionFrom));
      assert.deepEqual([entered.status, entered.text], [200, 'success'], `${sessionFrom}: ${entered.text}`);
      assert.equal((await queuedIn(() => conversation(MP.appid, from))).queue, 'general');
      const next = await wechatPush(gw.publicUrl, textPush(from, 'still there?'));
      assert.deepEqual([next.status, next.text], [200, 'success'], `${sessionFrom}, then a text: ${next.text}`);
      assert.equal((await inboundOf((await conversation(MP.appid, from))!)).length, 2);
    }
  });

  it('nothing a customer sends is lost: a text over max_text_chars is kept cut with a note, a kind kefu cannot show is kept as a note', async () => {
    const from = openid();
    const long = textPush(from, `${'长'.repeat(4500)}END`);
    const r = await wechatPush(gw.publicUrl, long);
    assert.deepEqual([r.status, r.text], [200, 'success'], r.text);
    const plain = textPush(from, '');
    const file = { ...plain, MsgType: 'file', Title: 'invoice.pdf' };
    assert.equal((await wechatPush(gw.publicUrl, file)).text, 'success');
    const [cut, note] = await inboundOf((await conversation(MP.appid, from))!);
    assert.equal(cut.sourceId, String(long.MsgId));
    const text = cut.content.kind === 'text' ? cut.content.text : assert.fail('text expected');
    assert.ok(text.length <= 4000, `within max_text_chars: ${text.length}`);
    assert.ok(text.startsWith('长'.repeat(3000)));
    assert.match(text, /\[… cut: the customer's message had 4503 characters\]$/);
    assert.deepEqual([note.sourceId, note.content], [String(plain.MsgId), { kind: 'text', text: '[A "file" message: WeChat does not pass its content on]' }]);
  });

  it('unsupported events are acknowledged and stored nowhere; a 64-bit id survives XML too', async () => {
    const from = openid();
    const r = await wechatPush(gw.publicUrl, { ToUserName: 'gh_1', FromUserName: from, CreateTime: 1, MsgType: 'event', Event: 'subscribe' });
    assert.equal(r.text, 'success');
    assert.equal(await all(), 0);
    const id = msgId();
    await wechatPush(gw.publicUrl, textPush(from, 'xml'), { account: OA, format: 'xml' });
    await wechatPush(gw.publicUrl, textPush(from, 'xml', { id }), { account: OA, format: 'xml' });
    const msgs = await inboundOf((await conversation(OA.appid, from))!);
    assert.equal(msgs[1].sourceId, id.toString());
  });
});
