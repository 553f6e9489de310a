import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { channelConformance } from '../../conformance/channel-conformance.js';
import { SmsGatewayChannel } from '../../../channels/sms-gateway/index.js';
import { parse } from '../../../channels/sms-gateway/parse.js';
import { buildRequest } from '../../../channels/sms-gateway/api.js';
import { configSchema } from '../../../channels/sms-gateway/types.js';
import { parseReceipts } from '../../../channels/sms-gateway/receipt.js';
import { keywordOf } from '../../../channels/kit/opt-out.js';
import type { Conversation } from '../../../core/model/message.js';
import { FakeProvider, gatewayConfig, gatewayConfigBody, providerPost, providerReceipt } from './fake-provider.js';

const AGENT = { id: 'A_gw', role: 'agent' as const, name: 'Ann' };
const FIELDS = { id: 'msgid', from: 'mobile', text: 'content' };
const notice = (t: string) => t.startsWith('No agent');
let n = 0;

describe('sms gateway: a generic HTTP SMS provider from config (fake provider over HTTP)', () => {
  let p: FakeProvider;
  let gw: TestGateway;
  let clock: number;
  beforeEach(async () => {
    p = await new FakeProvider().listen();
    clock = Date.now();
    gw = await startGateway(`${gatewayConfig(p)}\n[ratelimit]\ncustomer_quota = 0\n`, { now: () => clock });
  });
  afterEach(async () => { await gw?.close(); await p.close(); });

  const replies = () => p.accepted.filter((a) => !notice(a.text));
  const stateOf = async (id: string) => (await gw.store.outbox.byMessage([id])).get(id);
  const reply = async (conv: Conversation, text: string) => (await gw.bus.send({ conversationId: conv.id, from: AGENT, content: { kind: 'text', text } })).message;
  async function customer(from = '13800000001'): Promise<Conversation> {
    const r = await providerPost(gw.publicUrl, { msgid: `up${++n}`, mobile: from, content: '我的快递到哪了？', extno: '106900' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    await eventually(() => p.accepted.some((a) => a.to === from && notice(a.text)), 'offline notice');
    return (await gw.store.findConversationByRef({ channel: 'sms_gateway', account: 'acme', thread: from }))!;
  }

  it('an inbound reply is mapped by the configured fields, HMAC-checked, stored once, and answered as the provider expects', async () => {
    const fields = { msgid: 'up-1', mobile: '13800000009', content: '退货怎么办？' };
    const r = await providerPost(gw.publicUrl, fields);
    assert.deepEqual([r.status, r.body], [200, 'SUCCESS'], 'the stopped sms channel, registered before this one, does not shadow its routes');
    const twilioRoute = await fetch(`${gw.publicUrl}/channels/sms/twilio`, { method: 'POST', body: 'x=1', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(twilioRoute.status, 404, 'while its own routes answer channel_disabled');
    assert.equal(((await twilioRoute.json()) as any).error.code, 'channel_disabled');
    assert.match(r.type, /^text\/plain/);
    assert.equal((await providerPost(gw.publicUrl, fields)).status, 200);
    const conv = (await gw.store.findConversationByRef({ channel: 'sms_gateway', account: 'acme', thread: '13800000009' }))!;
    const inbound = (await gw.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound');
    assert.deepEqual(inbound.map((m) => [m.sourceId, m.content]), [['up-1', { kind: 'text', text: '退货怎么办？' }]]);
    for (const bad of [{ secret: 'wrong-secret-1' }, { unsigned: true }, { timestamp: Math.floor(Date.now() / 1000) - 3600 }]) {
      const res = await providerPost(gw.publicUrl, { ...fields, msgid: 'up-2' }, bad);
      assert.equal(res.status, 403, JSON.stringify(bad));
      assert.equal(res.body.error.code, 'invalid_signature');
    }
  });

  it('a reply is sent from the request template (headers, template id, params, the message id as outId) and the provider id kept', async () => {
    const conv = await customer();
    const m = await reply(conv, '已发货，单号 SF123');
    await eventually(async () => (await stateOf(m.id))?.status === 'sent', 'sent');
    const req = p.requests.find((q) => q.body.outId === m.id)!;
    assert.deepEqual(req.body, { phoneNumbers: '13800000001', signName: '客服', templateCode: 'SMS_123456', templateParam: { content: '已发货，单号 SF123' }, outId: m.id });
    assert.equal(req.headers['x-request-id'], m.id);
    assert.equal(req.headers['content-type'], 'application/json');
    assert.match((await stateOf(m.id))!.vendorId!, /^B\d+$/);
  });

  it('the success rule decides: a refusal with HTTP 200 is failed with its code; throttling codes and 503 are retried, in order', async () => {
    const conv = await customer();
    p.script = [{ code: 'isv.MOBILE_NUMBER_ILLEGAL', message: '非法手机号' }];
    const bad = await reply(conv, 'one');
    await eventually(async () => (await stateOf(bad.id))?.status === 'failed', 'failed');
    assert.equal((await stateOf(bad.id))!.lastError, 'isv.MOBILE_NUMBER_ILLEGAL: 非法手机号');
    p.script = [{ code: 'isv.BUSINESS_LIMIT_CONTROL', message: '触发流控' }, { status: 503, code: 'ServiceUnavailable' }];
    const a = await reply(conv, 'two');
    await reply(conv, 'three');
    await gw.outbox.pump();
    assert.equal((await stateOf(a.id))!.status, 'pending');
    for (let i = 0; i < 4; i++) { clock += 15 * 60_000; await gw.outbox.pump(); }
    assert.deepEqual(replies().map((x) => x.text), ['two', 'three']);
  });

  it('delivery receipts (状态报告) are mapped by config, HMAC-checked, delivered or failed by the status lists, interim ones ignored', async () => {
    const conv = await customer();
    const first = await reply(conv, '您的订单已发货');
    const second = await reply(conv, '预计明天送达');
    await eventually(async () => (await stateOf(second.id))?.status === 'sent', 'both sent');
    const [v1, v2] = [(await stateOf(first.id))!.vendorId!, (await stateOf(second.id))!.vendorId!];
    assert.match(v1, /^B\d+$/, 'the id the send answer carried (id_path)');
    const batch = [{ bizId: v1, report: { status: 'DELIVRD' } }, { bizId: v2, report: { status: 'ACCEPTD' } }];
    for (const bad of [{ secret: 'wrong-secret-1' }, { unsigned: true }]) {
      const res = await providerReceipt(gw.publicUrl, batch, bad);
      assert.equal(res.status, 403, JSON.stringify(bad));
      assert.equal(res.body.error.code, 'invalid_signature');
    }
    assert.equal((await stateOf(first.id))!.status, 'sent', 'a forged receipt changes nothing');
    const r = await providerReceipt(gw.publicUrl, batch);
    assert.deepEqual([r.status, r.body], [200, { code: 0, msg: 'received' }]);
    assert.match(r.type, /^application\/json/);
    assert.equal((await stateOf(first.id))!.status, 'delivered');
    assert.equal((await stateOf(second.id))!.status, 'sent', 'ACCEPTD is in neither list: ignored');
    const failed = await providerReceipt(gw.publicUrl, { bizId: v2, report: { status: 'UNDELIV', errCode: 'MK:0001', errMsg: '空号' } });
    assert.equal(failed.status, 200);
    assert.equal((await stateOf(second.id))!.status, 'failed');
    assert.equal((await stateOf(second.id))!.lastError, 'MK:0001: 空号');
    assert.equal((await providerReceipt(gw.publicUrl, undefined, { raw: '{not json' })).status, 400);
  });

  it('TD / 退订 opts the customer out: stored, tagged sms-opted-out, sends fail as opted_out without reaching the provider; 订阅 opts back in', async () => {
    const conv = await customer();
    assert.equal((await providerPost(gw.publicUrl, { msgid: `up${++n}`, mobile: '13800000001', content: '  td ' })).status, 200);
    const texts = (await gw.store.listMessages(conv.id, {})).filter((m) => m.direction === 'inbound').map((m) => m.content.kind === 'text' ? m.content.text : '');
    assert.deepEqual(texts, ['我的快递到哪了？', '  td '], 'the keyword message itself is kept');
    assert.ok((await gw.store.getConversation(conv.id))!.tags.includes('sms-opted-out'));
    const sentBefore = p.requests.length;
    const blocked = await reply(conv, '还在吗？');
    await eventually(async () => (await stateOf(blocked.id))?.status === 'failed', 'failed at once');
    assert.match((await stateOf(blocked.id))!.lastError!, /^opted_out: The customer has opted out/);
    assert.ok(!p.requests.some((q) => q.body.outId === blocked.id), 'never tried at the provider');
    assert.equal(p.requests.length, sentBefore);
    await providerPost(gw.publicUrl, { msgid: `up${++n}`, mobile: '13800000001', content: '订阅' });
    assert.ok(!(await gw.store.getConversation(conv.id))!.tags.includes('sms-opted-out'));
    const welcome = await reply(conv, '欢迎回来');
    await eventually(async () => (await stateOf(welcome.id))?.status === 'sent', 'sent again');
    assert.ok(replies().some((a) => a.text === '欢迎回来'));
    // Another number, opted out by 退订, is its own record: the first customer stays opted in.
    const other = await customer('13800000002');
    await providerPost(gw.publicUrl, { msgid: `up${++n}`, mobile: '13800000002', content: '退订' });
    assert.ok((await gw.store.getConversation(other.id))!.tags.includes('sms-opted-out'));
    const still = await reply(conv, '还有一件事');
    await eventually(async () => (await stateOf(still.id))?.status === 'sent', 'the first customer is unaffected');
  });

  it('keywordOf and parseReceipts: configured words, form bodies, numeric and boolean statuses, batches with bad entries', () => {
    const c = configSchema.parse({ inbound_fields: FIELDS, hmac_secret: 'x'.repeat(8), send_url: 'https://sms.example.com/send' });
    assert.deepEqual([c.opt_out_keywords, c.opt_in_keywords], [['TD', 'T', '退订', 'STOP', 'UNSUBSCRIBE'], ['START', '订阅']]);
    const kw = (t: string) => keywordOf(t, c.opt_out_keywords, c.opt_in_keywords);
    assert.deepEqual([' t ', 'Unsubscribe', '退订', '订阅', 'start', '退订了吗', 'TD 谢谢'].map(kw), ['opt_out', 'opt_out', 'opt_out', 'opt_in', 'opt_in', undefined, undefined]);
    assert.equal(keywordOf('qx', ['QX'], []), 'opt_out', 'configured words are compared upper-cased too');
    const rule = { fields: { id: 'bizId', status: 'status', code: 'errCode', message: 'errMsg' }, delivered: ['DELIVRD', '0', 'true'], failed: ['UNDELIV', '1', 'false'] };
    assert.deepEqual(parseReceipts('bizId=B1&status=0', 'form', rule), { kind: 'receipts', receipts: [{ id: 'B1', state: 'delivered' }], ignored: 0 });
    assert.deepEqual(parseReceipts(JSON.stringify([{ bizId: 'B2', status: false, errCode: 'E9' }, { status: 'UNDELIV' }, { bizId: 'B3', status: 1 }]), 'json', rule),
      { kind: 'receipts', ignored: 1, receipts: [{ id: 'B2', state: 'failed', error: { code: 'E9', message: 'The provider reported false.' } },
        { id: 'B3', state: 'failed', error: { code: '1', message: 'The provider reported 1.' } }] });
    assert.equal(parseReceipts('{"status":"DELIVRD"}', 'json', rule).kind, 'invalid');
    assert.equal(parseReceipts('[1]', 'json', rule).kind, 'invalid');
  });

  it('buildRequest: form and GET bodies, URL variables encoded, params as JSON text', () => {
    const base = configSchema.parse({ inbound_fields: FIELDS, hmac_secret: 'x'.repeat(8), send_url: 'https://sms.example.com/send?to={to}',
      send_body: { mobile: '{to}', msg: '{text}', tpl: '{template_id}', p: '{params}', n: 1 }, template_id: 'T1', template_params: { code: '{text}', ttl: 5 } });
    const form = buildRequest({ ...base, send_format: 'form' }, { to: '+86 138', text: 'a&b', id: 'M1' });
    assert.equal(form.url, 'https://sms.example.com/send?to=%2B86%20138');
    assert.equal(form.headers['content-type'], 'application/x-www-form-urlencoded');
    assert.deepEqual(Object.fromEntries(new URLSearchParams(form.body)), { mobile: '+86 138', msg: 'a&b', tpl: 'T1', p: '{"code":"a&b","ttl":5}', n: '1' });
    const get = buildRequest({ ...base, send_method: 'GET' }, { to: '1', text: 'hi', id: 'M2' });
    assert.equal(get.body, undefined);
    assert.equal(new URL(get.url).searchParams.get('msg'), 'hi');
  });
});

let conformanceProvider: FakeProvider;
channelConformance({
  folder: fileURLToPath(new URL('../../../../channels/sms-gateway/', import.meta.url)),
  create: () => new SmsGatewayChannel(),
  builtin: true,
  parse: (raw) => parse(raw, 'form', FIELDS, 'acme'),
  valid: ['msgid=1&mobile=13800000001&content=%E4%BD%A0%E5%A5%BD', 'msgid=2&mobile=%2B8613800000001&content=hi&extno=1069', 'msgid=3&mobile=13800000001&content='],
  config: '[channels.sms_gateway]\nenabled = true\n',
  webhook: {
    message: 'msgid=replayed-1&mobile=13800000002&content=where',
    async post(gw, raw, o) {
      const r = await providerPost(gw.publicUrl, Object.fromEntries(new URLSearchParams(raw)), o.badSignature ? { secret: 'not-the-secret' } : {});
      return { status: r.status, body: r.body };
    },
  },
  push: {
    async setup() { conformanceProvider = await new FakeProvider().listen(); return gatewayConfigBody(conformanceProvider); },
    async teardown() { await conformanceProvider.close(); },
    async conversation(gw) {
      const from = `139${String(++n).padStart(8, '0')}`;
      await providerPost(gw.publicUrl, { msgid: `c${n}`, mobile: from, content: 'hello' });
      await eventually(() => conformanceProvider.accepted.some((a) => a.to === from && notice(a.text)), 'offline notice');
      return (await gw.store.findConversationByRef({ channel: 'sms_gateway', account: 'acme', thread: from }))!;
    },
    down(on) { conformanceProvider.down = on; },
    failNext(k, permanent) { conformanceProvider.script = Array.from({ length: k }, () => (permanent ? { code: 'isv.MOBILE_NUMBER_ILLEGAL' } : { status: 503, code: 'ServiceUnavailable' })); },
    received: () => conformanceProvider.accepted.filter((a) => !notice(a.text)).map((a) => a.text),
  },
});
