import { fileURLToPath } from 'node:url';
import { channelConformance } from '../../conformance/channel-conformance.js';
import { SmsChannel } from '../../../channels/sms/index.js';
import { parse } from '../../../channels/sms/parse.js';
import { eventually } from '../../helpers/gateway.js';
import { ACCOUNTS, FakeTwilio, inbound, smsConfigBody, twilioPost } from './fake-twilio.js';

delete process.env.TWILIO_REGION;
delete process.env.TWILIO_EDGE;

let fake: FakeTwilio;
let n = 0;
const form = (p: Record<string, string>) => new URLSearchParams(p).toString();
const notice = (body: string) => body.startsWith('No agent');

channelConformance({
  folder: fileURLToPath(new URL('../../../../channels/sms/', import.meta.url)),
  create: () => new SmsChannel(),
  builtin: true,
  parse,
  valid: [
    form(inbound('+15557654321', 'hello')),
    form(inbound('+8613800000001', '你好，我的订单到哪了？', { pool: true })),
    form(inbound('+15557654321', '', { sid: `MM${'b'.repeat(32)}`, extra: { NumMedia: '1', MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1', MediaContentType0: 'image/jpeg' } })),
    form({ MessageSid: `SM${'c'.repeat(32)}`, AccountSid: ACCOUNTS.main.sid, MessageStatus: 'delivered' }),
    form({ MessageSid: `SM${'c'.repeat(32)}`, AccountSid: ACCOUNTS.main.sid, MessageStatus: 'undelivered', ErrorCode: '30005' }),
    form({ MessageSid: `SM${'c'.repeat(32)}`, AccountSid: ACCOUNTS.main.sid, MessageStatus: 'sent' }),
  ],
  config: '[channels.sms]\nenabled = true\n',
  webhook: {
    message: form(inbound('+15550100200', 'where is my order?', { sid: `SM${'d'.repeat(32)}` })),
    async post(gw, raw, o) {
      const params = Object.fromEntries(new URLSearchParams(raw));
      const r = await twilioPost(gw.publicUrl, params, o.badSignature ? { token: 'not-the-auth-token' } : {});
      return { status: r.status, body: r.body };
    },
  },
  push: {
    async setup() { fake = await new FakeTwilio().listen(); return smsConfigBody(fake); },
    async teardown() { await fake.close(); },
    async conversation(gw) {
      const from = `+1555${String(++n).padStart(7, '0')}`;
      await twilioPost(gw.publicUrl, inbound(from, 'hello'));
      await eventually(() => fake.created.some((c) => c.To === from && notice(c.Body)), 'the offline notice went out');
      return (await gw.store.findConversationByRef({ channel: 'sms', account: ACCOUNTS.main.number, thread: from }))!;
    },
    down(on) { fake.down = on; },
    failNext(k, permanent) {
      fake.script = Array.from({ length: k }, () => (permanent ? { status: 400, code: 21211, message: 'invalid To' } : { status: 503 }));
    },
    received: () => fake.created.filter((c) => !notice(c.Body)).map((c) => c.Body),
  },
});
