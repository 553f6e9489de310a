import { fileURLToPath } from 'node:url';
import { channelConformance } from '../../conformance/channel-conformance.js';
import { WechatyChannel } from '../../../channels/wechaty/index.js';
import { parse } from '../../../channels/wechaty/parse.js';
import { eventually } from '../../helpers/gateway.js';
import { loadMockLibs, MockWeChat, needsWechaty } from './mock-wechat.js';

const libs = await loadMockLibs();
let world: MockWeChat | undefined;
let n = 0;
const sample = (o: object) => JSON.stringify({ id: `m${++n}`, type: 7, text: 'hello', self: false, talker: { id: 'wxid_customer1', name: 'Wang' }, ...o });

if (typeof libs === 'string') {
  describe('channel conformance: wechaty', () => {
    it('needs wechaty and wechaty-puppet-mock', function () { needsWechaty(this, libs); });
  });
} else {
  channelConformance({
    folder: fileURLToPath(new URL('../../../../channels/wechaty/', import.meta.url)),
    create: () => world?.channel() ?? new WechatyChannel(),
    parse: (raw) => parse(raw),
    valid: [
      sample({}),
      sample({ text: '你好，我的订单到哪了？', talker: { id: '@0f3a9c', name: '王小姐' } }),
      sample({ type: 6, text: '' }),
      sample({ type: 2, text: '' }),
      sample({ type: 13, text: 'm1' }),
      sample({ room: { id: '1234567@chatroom', topic: 'VIP 群', mentionSelf: true, mentionText: 'refund please' }, text: '@KefuBot refund please' }),
      sample({ room: { id: '1234567@chatroom', topic: 'VIP 群', mentionSelf: false, mentionText: 'hi all' } }),
      sample({ self: true }),
    ],
    config: '[channels.wechaty]\nenabled = true\npuppet = "wechaty-puppet-mock"\n',
    push: {
      async setup() { world = new MockWeChat(libs); return ''; },
      async teardown() { world = undefined; },
      async conversation(gw) {
        const w = world!;
        await w.login(gw);
        const customer = w.contact(`Customer ${++n}`);
        w.say(customer, 'hello');
        const conv = (await eventually(() => gw.store.findConversationByRef({ channel: 'wechaty', account: 'default', thread: `c:${customer.id}` }), 'the conversation'))!;
        await eventually(() => w.sent.some((s) => s.to === customer.id && s.text?.startsWith('No agent')), 'the offline notice went out');
        return conv;
      },
      failNext(k, permanent) { world!.failures = Array.from({ length: k }, () => (permanent ? 'gone' : 'retry')); },
      down(on) { world!.down = on; },
      received: () => world!.texts(),
    },
  });
}
