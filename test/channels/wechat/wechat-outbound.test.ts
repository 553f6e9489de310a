import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import type { Content, Conversation } from '../../../core/model/message.js';
import type { WechatChannel } from '../../../channels/wechat/index.js';
import { FakeWechat, MP, OA, PNG, wechatConfig } from '../../fixtures/channels/wechat/fake-wechat.js';
import { enterPush, imagePush, openid, textPush, wechatPush, type PushOptions } from '../../fixtures/channels/wechat/wechat-push.js';

const AGENT = { id: 'A_wechat', role: 'agent' as const, name: 'Ann' };
const HOUR = 3600;

describe('wechat channel: replies through custom/send (real gateway, fake WeChat API)', () => {
  let fake: FakeWechat;
  let gw: TestGateway;
  let clock: number;

  beforeEach(async () => {
    fake = await new FakeWechat().listen();
    clock = Date.now();
    gw = await startGateway(`${wechatConfig(fake)}\n[ratelimit]\ncustomer_quota = 0\n`, { now: () => clock });
    await eventually(() => gw.channels.isRunning('wechat'), 'wechat running');
  });
  afterEach(async () => { await gw?.close(); await fake.close(); });

  const isNotice = (t: string) => t.startsWith('No agent');
  /** What the customer got, without the gateway's offline notices: [msgtype, text or media_id or pagepath]. */
  const got = (to: string) => fake.sent.filter((s) => s.touser === to && !(s.msgtype === 'text' && isNotice(s.body.text.content)))
    .map((s) => [s.msgtype, s.body.text?.content ?? s.body.image?.media_id ?? s.body.miniprogrampage?.pagepath]);
  const stateOf = async (id: string) => (await gw.store.outbox.byMessage([id])).get(id);
  const settled = async (id: string) => (await eventually(async () => { const s = await stateOf(id); return s && s.status !== 'pending' ? s : undefined; }, 'settled'))!;
  const reply = async (conv: Conversation, content: Content | string) =>
    (await gw.bus.send({ conversationId: conv.id, from: AGENT, content: typeof content === 'string' ? { kind: 'text', text: content } : content })).message;

  /** The customer writes (at `ago` seconds before now); resolves once the offline notice went out, so counts are exact. */
  async function customerWrites(from: string, o: { ago?: number; push?: PushOptions; enter?: string } = {}) {
    const at = Math.floor(Date.now() / 1000) - (o.ago ?? 0);
    const push = o.enter !== undefined ? enterPush(from, o.enter, { at }) : textPush(from, 'hello', { at });
    const r = await wechatPush(gw.publicUrl, push, o.push);
    assert.equal(r.text, 'success');
    const appid = o.push?.account?.appid ?? MP.appid;
    await gw.bus.idle(); // the route stage has run: an offline notice, if any, is in the outbox now
    const conv = (await gw.store.findConversationByRef({ channel: 'wechat', account: appid, thread: from }))!;
    await eventually(async () => {
      const ids = (await gw.store.listMessages(conv.id, {})).filter((m) => m.direction === 'outbound').map((m) => m.id);
      return [...(await gw.store.outbox.byMessage(ids)).values()].every((x) => x.status !== 'pending');
    }, 'the notice settled');
    return (await gw.store.getConversation(conv.id))!;
  }

  it('a reply goes to the customer\'s openid with one cached stable token (force_refresh false) for every send', async () => {
    const from = openid();
    const conv = await customerWrites(from);
    const a = await reply(conv, 'Your parcel left Hangzhou.');
    const b = await reply(conv, 'It arrives tomorrow.');
    assert.equal((await settled(b.id)).status, 'sent');
    assert.equal((await stateOf(a.id))!.status, 'sent');
    assert.deepEqual(got(from), [['text', 'Your parcel left Hangzhou.'], ['text', 'It arrives tomorrow.']]);
    assert.deepEqual(fake.tokenCalls, [{ appid: MP.appid, force_refresh: false }]);
  });

  it('40001 (the token was rotated elsewhere): one refresh through stable_token and the send is retried once, in the same attempt', async () => {
    const from = openid();
    const conv = await customerWrites(from);
    assert.equal((await settled((await reply(conv, 'first')).id)).status, 'sent');
    const old = fake.tokenOf(MP.appid);
    fake.invalidate(MP.appid);
    const second = await reply(conv, 'second');
    const s = await settled(second.id);
    assert.deepEqual([s.status, s.attempts], ['sent', 1]);
    assert.deepEqual(got(from), [['text', 'first'], ['text', 'second']]);
    assert.equal(fake.tokenCalls.length, 2);
    assert.ok(fake.tokenCalls.every((c) => c.force_refresh === false));
    assert.notEqual(fake.tokenOf(MP.appid), old);
  });

  it('a wrong or reset AppSecret: the reply fails with WeChat\'s code and the channel shows auth_failed until a token is obtained', async () => {
    const from = openid();
    const conv = await customerWrites(from);
    fake.secrets[MP.appid] = 'reset-in-the-console';
    fake.invalidate(MP.appid); // resetting the secret ends the old token too
    const s = await settled((await reply(conv, 'hello')).id);
    assert.deepEqual([s.status, s.attempts], ['failed', 1]);
    assert.match(s.lastError!, /^40125: The AppID or AppSecret is wrong/);
    assert.equal(gw.channels.health().wechat.state, 'auth_failed');
    assert.match(gw.channels.health().wechat.detail!, new RegExp(`^${MP.appid}: `));
    assert.ok(!gw.channels.health().wechat.detail!.includes(MP.secret), 'no secret in health');
    fake.secrets[MP.appid] = MP.secret;
    assert.equal((await settled((await reply(conv, 'again')).id)).status, 'sent');
    assert.equal(gw.channels.health().wechat.state, 'connected');
  });

  it('time passing (the channel\'s clock seam): the token is refreshed 5 minutes before it expires; 47 h after the customer wrote a reply goes, at 49 h it fails', async () => {
    const from = openid();
    const conv = await customerWrites(from); // the offline notice fetched the token: it expires 2 h from now
    const t0 = Date.now();
    let now = t0;
    (gw.channels.get('wechat') as WechatChannel).now = () => now;
    const calls = fake.tokenCalls.length;
    const send = async (text: string, minutes: number) => { now = t0 + minutes * 60_000; return settled((await reply(conv, text)).id); };
    assert.equal((await send('a', 110)).status, 'sent');
    assert.equal(fake.tokenCalls.length, calls, '10 minutes before expiry: the cached token');
    assert.equal((await send('b', 116)).status, 'sent');
    assert.equal(fake.tokenCalls.length, calls + 1, '4 minutes before expiry: refreshed');
    assert.equal((await send('c', 47 * 60)).status, 'sent');
    assert.equal(fake.tokenCalls.length, calls + 2);
    const late = await send('d', 49 * 60);
    assert.match(late.lastError!, /^window_expired: More than 48 hours/);
    assert.deepEqual(got(from), [['text', 'a'], ['text', 'b'], ['text', 'c']]);
  });

  it('the 48-hour window: a reply to a customer who wrote 49 h ago fails at once as window_expired, without calling WeChat', async () => {
    const from = openid();
    const conv = await customerWrites(from, { ago: 49 * HOUR });
    const late = await reply(conv, 'Sorry for the wait');
    const s = await settled(late.id);
    assert.deepEqual([s.status, s.attempts], ['failed', 1]);
    assert.match(s.lastError!, /^window_expired: More than 48 hours/);
    assert.equal(fake.attempts.filter((x) => x.touser === from).length, 0);
  });

  it('5 messages per customer message: the sixth fails as quota_exhausted; the meta counts; the customer writing again reopens it', async () => {
    const from = openid();
    const conv = await customerWrites(from, { ago: HOUR });
    const notices = fake.sent.filter((x) => x.touser === from).length;
    const ids = [];
    for (let i = notices + 1; i <= 6; i++) ids.push((await reply(conv, `r${i}`)).id);
    const last = await settled(ids.at(-1)!);
    assert.equal(last.status, 'failed');
    assert.match(last.lastError!, /^quota_exhausted: All 5 messages/);
    assert.equal(fake.sent.filter((x) => x.touser === from).length, 5);
    assert.equal((await gw.store.getConversation(conv.id))!.meta?.wechat_window_sent, '5');
    await customerWrites(from);
    assert.equal((await gw.store.getConversation(conv.id))!.meta?.wechat_window_sent, '0');
    assert.equal((await settled((await reply(conv, 'again')).id)).status, 'sent');
  });

  it('entering the chat allows 2 messages within a minute; an entry 2 minutes ago allows none', async () => {
    const from = openid();
    const conv = await customerWrites(from, { enter: 'queue=general' });
    const sent = fake.sent.filter((x) => x.touser === from).length;
    const ids = [];
    for (let i = sent + 1; i <= 3; i++) ids.push((await reply(conv, `e${i}`)).id);
    assert.match((await settled(ids.at(-1)!)).lastError!, /^quota_exhausted: All 2 messages/);
    const late = openid();
    const lateConv = await customerWrites(late, { enter: 'queue=general', ago: 120 });
    assert.match((await settled((await reply(lateConv, 'hello?')).id)).lastError!, /^window_expired: The minute after the customer opened the chat/);
  });

  it('WeChat\'s own 45015/45047 become window_expired/quota_exhausted, not retried; -1 is retried', async () => {
    const from = openid();
    const conv = await customerWrites(from);
    fake.script = [{ errcode: 45015, errmsg: 'response out of time limit or subscription is canceled' }, { errcode: 45047, errmsg: 'out of response count limit' }, { errcode: -1 }];
    const a = await reply(conv, 'a');
    const b = await reply(conv, 'b');
    const c = await reply(conv, 'c');
    assert.match((await settled(a.id)).lastError!, /^window_expired: .*WeChat 45015/);
    assert.match((await settled(b.id)).lastError!, /^quota_exhausted: .*WeChat 45047/);
    await eventually(async () => (await stateOf(c.id))?.attempts === 1, 'c tried once');
    clock += 60_000;
    await gw.outbox.pump();
    assert.equal((await settled(c.id)).status, 'sent');
    assert.deepEqual(got(from), [['text', 'c']]);
  });

  it('images both ways: the customer\'s picture goes back as temporary media (upload, then image by media_id), the caption after it', async () => {
    const from = openid();
    await wechatPush(gw.publicUrl, imagePush(from, { picUrl: fake.picture('a.png') }));
    const conv = (await gw.store.findConversationByRef({ channel: 'wechat', account: MP.appid, thread: from }))!;
    const [m] = (await gw.store.listMessages(conv.id, {})).filter((x) => x.direction === 'inbound');
    assert.equal(m.content.kind, 'media');
    if (m.content.kind !== 'media') return;
    const out = await reply(conv, { kind: 'media', attachments: m.content.attachments, caption: 'Is this the one?' });
    assert.equal((await settled(out.id)).status, 'sent');
    const [image, caption] = got(from);
    assert.equal(image[0], 'image');
    assert.deepEqual(fake.uploads.get(image[1]), PNG);
    assert.deepEqual(caption, ['text', 'Is this the one?']);
  });

  it('mini-program cards from a bot\'s blocks (the account\'s default cover); a service account needs the linked appid; files fail visibly', async () => {
    const from = openid();
    const conv = await customerWrites(from);
    const card = await reply(conv, { kind: 'text', text: 'Your order', blocks: [{ type: 'wechat_miniprogrampage', pagepath: 'pages/order/detail?id=1' }] });
    assert.equal((await settled(card.id)).status, 'sent');
    const sent = fake.sent.find((x) => x.msgtype === 'miniprogrampage')!;
    assert.deepEqual(sent.body.miniprogrampage, { title: 'Your order', pagepath: 'pages/order/detail?id=1', thumb_media_id: 'THUMB_1' });
    const file = await reply(conv, { kind: 'media', attachments: [{ kind: 'file', mediaId: 'f'.repeat(32), mime: 'application/pdf', size: 3, name: 'invoice.pdf' }] });
    assert.match((await settled(file.id)).lastError!, /^unsupported_media: .*invoice\.pdf/);

    const oa = openid();
    const oaConv = await customerWrites(oa, { push: { account: OA, format: 'xml', aes: true } });
    const noApp = await reply(oaConv, { kind: 'text', text: 'x', blocks: [{ type: 'wechat_miniprogrampage', pagepath: 'p', thumb_media_id: 'T' }] });
    assert.match((await settled(noApp.id)).lastError!, /^card_without_appid: /);
    const linked = await reply(oaConv, { kind: 'text', text: 'Track it', blocks: [{ type: 'wechat_miniprogrampage', pagepath: 'p', thumb_media_id: 'T', appid: MP.appid }] });
    assert.equal((await settled(linked.id)).status, 'sent');
    assert.deepEqual(fake.sent.at(-1)!.body.miniprogrampage, { title: 'Track it', pagepath: 'p', thumb_media_id: 'T', appid: MP.appid });
    assert.equal(fake.sent.at(-1)!.appid, OA.appid, 'sent with the service account\'s token');
  });
});
