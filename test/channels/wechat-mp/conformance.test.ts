import { fileURLToPath } from 'node:url';
import { channelConformance } from '../../conformance/channel-conformance.js';
import { WechatMpChannel } from '../../../channels/wechat-mp/index.js';
import { parseIdentity } from '../../../channels/wechat-mp/parse.js';
import { parseVisitorFrame } from '../../../channels/web/parse.js';
import { APPID, SECRET } from './fake-wechat.js';

/**
 * Not a webhook or push channel: the vendor's only payload is jscode2session's answer, and
 * the component speaks the web widget's frames. Both parsers must survive the fuzz.
 */
function parse(raw: string): { kind: string } {
  const frame = parseVisitorFrame(raw, 64 * 1024);
  return frame.kind === 'frame' ? frame : parseIdentity(raw);
}

channelConformance({
  folder: fileURLToPath(new URL('../../../../channels/wechat-mp/', import.meta.url)),
  create: () => new WechatMpChannel({ agentsOnline: () => 0 }),
  parse,
  builtin: true,
  config: `[channels.wechat_mp]\nenabled = true\nappid = "${APPID}"\nsecret = "${SECRET}"\napi_base = "http://127.0.0.1:9"\n`,
  valid: [
    '{"openid":"oAbC_123456789","session_key":"x"}',
    '{"openid":"oAbC_123456789","session_key":"x","unionid":"uXyZ-987654321"}',
    '{"errcode":40029,"errmsg":"invalid code"}',
    '{"type":"hello","token":"v1.x.1.y","after":3}',
    '{"type":"send","clientId":"abcdefgh12","text":"你好"}',
  ],
});
