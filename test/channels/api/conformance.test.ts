import { fileURLToPath } from 'node:url';
import { channelConformance } from '../../conformance/channel-conformance.js';
import { ApiChannel } from '../../../channels/api/index.js';
import { parseBody } from '../../../channels/api/parse.js';

channelConformance({
  folder: fileURLToPath(new URL('../../../../channels/api/', import.meta.url)),
  create: () => new ApiChannel({ tokens: undefined as never, media: undefined as never, maxTextChars: () => 4000, handoff: async () => {} }),
  parse: (raw) => parseBody(raw.startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded', raw),
  builtin: true,
  valid: [
    '{"channel":"C01","text":"您的订单已发货"}',
    '{"channel":"C01","blocks":[{"type":"section","text":{"type":"mrkdwn","text":"*hi*"}}]}',
    'channel=C01&text=hello%20there&thread_ts=1700000000.000100',
    'token=xoxb-kefu-x&cursor=',
  ],
});
