import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { channelConformance } from '../../conformance/channel-conformance.js';
import { SmsGatewayChannel } from '../../../channels/sms-gateway/index.js';
import { parse } from '../../../channels/sms-gateway/parse.js';
import { buildRequest } from '../../../channels/sms-gateway/api.js';
import { configSchema } from '../../../channels/sms-gateway/types.js';
import type { Conversation } from '../../../core/model/message.js';
import { FakeProvider, gatewayConfig, gatewayConfigBody, providerPost } from './fake-provider.js';

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
