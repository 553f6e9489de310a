import { fileURLToPath } from 'node:url';
import { channelConformance } from '../../conformance/channel-conformance.js';
import { EmailChannel } from '../../../channels/email/index.js';
import { classifyRaw } from '../../../channels/email/parse.js';
import { eventually } from '../../helpers/gateway.js';
import type { Conversation } from '../../../core/model/message.js';
import { Relay, emailConfig, deliver } from './mail-helpers.js';

let relay: Relay;
let n = 0;
const OPTS = { ownDomain: 'shop.test', ownAddresses: ['support@shop.test'] };

channelConformance({
  folder: fileURLToPath(new URL('../../../../channels/email/', import.meta.url)),
  create: () => new EmailChannel(),
  builtin: true,
  // The conformance parser is the synchronous header classifier; the full parse needs mailparser (email-parse.test.ts).
  parse: (raw) => classifyRaw(raw, OPTS),
  valid: [
    'From: Li Lei <lilei@gmail.test>\r\nTo: support@shop.test\r\nSubject: =?UTF-8?B?5L2g5aW9?=\r\nMessage-ID: <a1@gmail.test>\r\n\r\n你好',
    'From: MAILER-DAEMON@mx.test\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=x\r\n\r\n--x--',
    'From: kim@example.test\r\nAuto-Submitted: auto-replied\r\nSubject: Out of office\r\n\r\naway',
  ],
  push: {
    async setup() {
      relay = await new Relay().listen();
      return `${emailConfig(relay.port).replace('[channels.email]\nenabled = true\n', '')}\n[[plugins]]\nname = "offline-notice"\n`;
    },
    async teardown() { await relay.close(); },
    async conversation(gw) {
      const from = `customer${++n}@example.test`;
      await deliver((gw.channels.get('email') as EmailChannel).smtpPort!, { from, subject: `Question ${n}`, text: 'hello' });
      return eventually(() => findByCustomer(gw, from), 'the ticket') as Promise<Conversation>;
    },
    down(on) { relay.down = on; },
    failNext(k, permanent) { relay.script = Array.from({ length: k }, () => (permanent ? 550 : 451)); },
    received: () => relay.texts(),
  },
  config: '[channels.email]\nenabled = true\n',
});

async function findByCustomer(gw: Parameters<NonNullable<Parameters<typeof channelConformance>[0]['push']>['conversation']>[0], email: string) {
  for (const c of await gw.store.listConversations({ limit: 50 })) {
    if (c.ref.channel !== 'email') continue;
    const first = (await gw.store.listMessages(c.id, { limit: 1 }))[0];
    if (first?.direction === 'inbound' && first.sourceId && (await gw.store.channelState.get('email', `ticket:${c.ref.thread}`))?.includes(`"email":"${email}"`)) return c;
  }
  return undefined;
}
