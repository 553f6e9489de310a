import { fileURLToPath } from 'node:url';
import { channelConformance } from '../../conformance/channel-conformance.js';
import { DingtalkChannel } from '../../../channels/dingtalk/index.js';
import { parseRobot } from '../../../channels/dingtalk/parse.js';
import { eventually } from '../../helpers/gateway.js';
import { APP, FakeDingtalk, HTTP_APP, callbackPost, dingtalkConfig } from '../../fixtures/channels/dingtalk/fake-dingtalk.js';

let fake: FakeDingtalk;
let n = 0;
const notice = (t: string) => t.startsWith('No agent');
const base = { conversationType: '1', conversationId: 'cid1to1==', senderId: '$:LWCP_v1:$abc', senderStaffId: 'staff01', senderNick: '张三',
  robotCode: HTTP_APP.clientId, sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=x', sessionWebhookExpiredTime: 1 };
const sample = (o: object) => JSON.stringify({ ...base, msgId: `msg${++n}`, msgtype: 'text', text: { content: 'hi' }, ...o });

channelConformance({
  folder: fileURLToPath(new URL('../../../../channels/dingtalk/', import.meta.url)),
  create: () => new DingtalkChannel(),
  builtin: true,
  parse: (raw) => parseRobot(raw),
  valid: [
    sample({}),
    sample({ conversationType: '2', conversationId: 'cidGroup==', conversationTitle: '售后群', isInAtList: true, text: { content: ' @李四 到哪了' } }),
    sample({ msgtype: 'picture', text: undefined, content: { downloadCode: 'dl1', pictureDownloadCode: 'p1' } }),
    sample({ msgtype: 'richText', text: undefined, content: { richText: [{ text: 'see ' }, { type: 'picture', downloadCode: 'dl2' }] } }),
    sample({ msgtype: 'audio', text: undefined, content: { downloadCode: 'dl3', recognition: '你好' } }),
    sample({ msgtype: 'file', text: undefined, content: { downloadCode: 'dl4', fileName: 'invoice.pdf' } }),
    sample({ msgtype: 'interactiveCard' }),
  ],
  config: '[channels.dingtalk]\nenabled = true\n',
  webhook: {
    message: sample({ msgId: 'msgConformance1', text: { content: 'where is my order?' } }),
    async post(gw, raw, o) {
      const r = await callbackPost(gw.publicUrl, raw, o.badSignature ? { secret: APP.secret } : {});
      return { status: r.status, body: r.body };
    },
  },
  push: {
    async setup() { fake = await new FakeDingtalk().listen(); return dingtalkConfig(fake); },
    async teardown() { await fake.close(); },
    async conversation(gw) {
      const staffId = `staff${++n}`;
      await callbackPost(gw.publicUrl, { ...fake.message({ staffId, expiresIn: -1 }), robotCode: HTTP_APP.clientId });
      await eventually(() => fake.sent.some((s) => s.to === staffId && notice(s.text)), 'the offline notice went out');
      return (await gw.store.findConversationByRef({ channel: 'dingtalk', account: HTTP_APP.clientId, thread: `u:${staffId}` }))!;
    },
    down(on) { fake.down = on; },
    failNext(k, permanent) {
      fake.script = Array.from({ length: k }, () => (permanent ? { status: 400, code: 'invalidParameter', message: 'bad request' } : { status: 503, code: 'ServiceUnavailable' }));
    },
    received: () => fake.texts().filter((t) => !notice(t)),
  },
});
