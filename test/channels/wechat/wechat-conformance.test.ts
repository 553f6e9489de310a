import { fileURLToPath } from 'node:url';
import { channelConformance } from '../../conformance/channel-conformance.js';
import { WechatChannel } from '../../../channels/wechat/index.js';
import { parse } from '../../../channels/wechat/parse.js';
import { eventually } from '../../helpers/gateway.js';
import { FakeWechat, MP, wechatConfigBody } from '../../fixtures/channels/wechat/fake-wechat.js';
import { enterPush, imagePush, openid, textPush, toJson, toXml, wechatPush } from '../../fixtures/channels/wechat/wechat-push.js';

let fake: FakeWechat;
const notice = (text: string) => text.startsWith('No agent');

channelConformance({
  folder: fileURLToPath(new URL('../../../../channels/wechat/', import.meta.url)),
  create: () => new WechatChannel(),
  builtin: true,
  parse,
  valid: [
    toJson(textPush('o9AgO5Kd5ggOC-bXrbNODIiE3bGY', '你好，我的订单到哪了？')),
    toXml(textPush('o9AgO5Kd5ggOC-bXrbNODIiE3bGY', 'where is my order?')),
    toJson(enterPush('o9AgO5Kd5ggOC-bXrbNODIiE3bGY', 'queue=billing')),
    toJson(imagePush('o9AgO5Kd5ggOC-bXrbNODIiE3bGY', { picUrl: 'http://mmbiz.qpic.cn/mmbiz_jpg/x/0', mediaId: 'm_1' })),
    toXml({ ToUserName: 'gh_1', FromUserName: 'o1', CreateTime: 1, MsgType: 'event', Event: 'subscribe' }),
    '{"ToUserName":"gh_97417a04a28d","Encrypt":"+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao="}',
  ],
  config: '[channels.wechat]\nenabled = true\n',
  webhook: {
    message: toJson(textPush('oConformanceCustomer1', 'where is my order?', { id: 24412545298723516417n })),
    async post(gw, raw, o) {
      const r = await wechatPush(gw.publicUrl, {}, { raw, account: MP, badSignature: o.badSignature });
      return { status: r.status, body: r.json ?? r.text };
    },
  },
  push: {
    async setup() { fake = await new FakeWechat().listen(); return wechatConfigBody(fake); },
    async teardown() { await fake.close(); },
    async conversation(gw) {
      const from = openid();
      const r = await wechatPush(gw.publicUrl, textPush(from, 'hello'));
      if (r.status !== 200) throw new Error(`push answered ${r.status} ${r.text}`);
      await eventually(() => fake.sent.some((x) => x.touser === from && notice(x.body.text?.content ?? '')), 'the offline notice went out');
      return (await gw.store.findConversationByRef({ channel: 'wechat', account: MP.appid, thread: from }))!;
    },
    failNext(n, permanent) { fake.script = Array.from({ length: n }, () => (permanent ? { errcode: 40003, errmsg: 'invalid openid' } : { errcode: -1, errmsg: 'system error' })); },
    down(on) { fake.down = on; },
    received: () => fake.sent.filter((s) => s.msgtype === 'text').map((s) => s.body.text.content as string).filter((t) => !notice(t)),
  },
});
