import { fileURLToPath } from 'node:url';
import { channelConformance } from '../../conformance/channel-conformance.js';
import { FeishuChannel } from '../../../channels/feishu/index.js';
import { parse } from '../../../channels/feishu/parse.js';
import { eventually } from '../../helpers/gateway.js';
import { FakeFeishu } from '../../fixtures/channels/feishu/fake-feishu.js';
import { cardEvent, feishuConfig, feishuPost, HOOK_APP, messageEvent, seed } from './feishu-helpers.js';

let fake: FakeFeishu;
let n = 0;
const notice = (s: { content: { text?: string } }) => String(s.content.text ?? '').startsWith('No agent');

channelConformance({
  folder: fileURLToPath(new URL('../../../../channels/feishu/', import.meta.url)),
  create: () => new FeishuChannel({ handoff: async () => {} }),
  builtin: true,
  parse: (raw) => parse(raw),
  valid: [
    JSON.stringify(messageEvent({ app: HOOK_APP.id, text: '你好，我的订单到哪了？' })),
    JSON.stringify(messageEvent({ app: HOOK_APP.id, chatType: 'group', chatId: 'oc_g', text: '@_user_1 hi', mentions: [{ key: '@_user_1', id: { open_id: 'ou_bot' }, name: 'bot' }] })),
    JSON.stringify(messageEvent({ app: HOOK_APP.id, type: 'image', content: { image_key: 'img_v2_abc' } })),
    JSON.stringify(messageEvent({ app: HOOK_APP.id, type: 'post', content: { zh_cn: { title: '退货', content: [[{ tag: 'text', text: '坏了' }, { tag: 'img', image_key: 'img_v2_x' }]] } } })),
    JSON.stringify(messageEvent({ app: HOOK_APP.id, type: 'file', content: { file_key: 'file_v2_1', file_name: 'invoice.pdf' } })),
    JSON.stringify(cardEvent({ app: HOOK_APP.id, conversation: 'C01ABC' })),
    JSON.stringify({ type: 'url_verification', challenge: 'ch-1', token: 't' }),
    JSON.stringify({ schema: '2.0', header: { event_id: 'e1', event_type: 'im.chat.member.bot.added_v1' }, event: {} }),
  ],
  config: '[channels.feishu]\nenabled = true\n',
  webhook: {
    message: JSON.stringify(messageEvent({ app: HOOK_APP.id, chatId: 'oc_conformance', messageId: 'om_conformance_1', text: 'where is my order?' })),
    async post(gw, raw, o) {
      return feishuPost(gw.publicUrl, HOOK_APP.id, JSON.parse(raw), { encryptKey: HOOK_APP.encryptKey, ...(o.badSignature ? { signature: 'f'.repeat(64) } : {}) });
    },
  },
  push: {
    async setup() {
      fake = await new FakeFeishu().listen();
      seed(fake);
      return feishuConfig(fake).replace('[channels.feishu]\nenabled = true\n', '');
    },
    async teardown() { await fake.close(); },
    async conversation(gw) {
      const chatId = `oc_conf_${++n}`;
      await feishuPost(gw.publicUrl, HOOK_APP.id, messageEvent({ app: HOOK_APP.id, chatId, text: 'hello' }), { encryptKey: HOOK_APP.encryptKey });
      await eventually(() => fake.sent.some((s) => s.chatId === chatId && notice(s)), 'the offline notice went out');
      return (await gw.store.findConversationByRef({ channel: 'feishu', account: HOOK_APP.id, thread: chatId }))!;
    },
    down(on) { fake.down = on; },
    failNext(k, permanent) {
      fake.script = Array.from({ length: k }, () => (permanent ? { status: 400, code: 230002, msg: 'The bot is not in the chat.' } : { status: 503, code: 1000004 }));
    },
    received: () => fake.sent.filter((s) => !notice(s)).map((s) => s.content.text),
  },
});
