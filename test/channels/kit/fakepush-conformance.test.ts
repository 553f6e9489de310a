import { fileURLToPath } from 'node:url';
import { channelConformance } from '../../conformance/channel-conformance.js';
import { FakepushChannel } from '../../fixtures/channels/fakepush/index.js';
import { parse } from '../../fixtures/channels/fakepush/parse.js';
import { sign } from '../../fixtures/channels/fakepush/verify.js';
import { FakeVendor, fakepushConfig } from '../../helpers/fake-vendor.js';
import { eventually } from '../../helpers/gateway.js';

const SECRET = 'fake-secret-1';
let vendor: FakeVendor;
let n = 0;

channelConformance({
  folder: fileURLToPath(new URL('../../../../test/fixtures/channels/fakepush/', import.meta.url)),
  create: () => new FakepushChannel(),
  parse,
  valid: [
    '{"type":"message","id":"m1","from":"+8613800000001","text":"你好"}',
    '{"type":"status","id":"V1","state":"read"}',
    '{"type":"status","id":"V2","state":"failed","error":{"code":"unreachable","message":"handset off"}}',
    '{"type":"typing","id":"t1"}',
  ],
  webhook: {
    message: '{"type":"message","id":"replayed-1","from":"+8613800000002","text":"where is my order?"}',
    async post(gw, raw, o) {
      const ts = String(Math.floor(Date.now() / 1000));
      const res = await fetch(`${gw.publicUrl}/channels/fakepush/webhook`, { method: 'POST', body: raw, headers: { 'content-type': 'application/json',
        'x-fake-timestamp': ts, 'x-fake-signature': o.badSignature ? sign('not-the-secret', ts, raw) : sign(SECRET, ts, raw) } });
      return { status: res.status, body: await res.json().catch(() => undefined) };
    },
  },
  push: {
    async setup() { vendor = await new FakeVendor().listen(); return fakepushConfig(vendor, SECRET).replace('[channels.fakepush]\nenabled = true\n', ''); },
    async teardown() { await vendor.close(); },
    async conversation(gw) {
      const from = `+86139${String(++n).padStart(8, '0')}`;
      const body = JSON.stringify({ type: 'message', id: `c${n}`, from, text: 'hello' });
      const ts = String(Math.floor(Date.now() / 1000));
      await fetch(`${gw.publicUrl}/channels/fakepush/webhook`, { method: 'POST', body, headers: { 'content-type': 'application/json', 'x-fake-timestamp': ts, 'x-fake-signature': sign(SECRET, ts, body) } });
      await eventually(() => vendor.accepted.some((a) => a.to === from), 'the offline notice went out');
      return (await gw.store.findConversationByRef({ channel: 'fakepush', account: 'default', thread: from }))!;
    },
    down(on) { vendor.down = on; },
    failNext(k, permanent) { vendor.script = Array.from({ length: k }, () => (permanent ? { status: 400, code: 'invalid_number' } : { status: 503 })); },
    received: () => vendor.accepted.filter((a) => !a.text.startsWith('No agent')).map((a) => a.text),
  },
  config: '[channels.fakepush]\nenabled = true\n',
});
