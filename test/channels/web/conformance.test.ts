import { fileURLToPath } from 'node:url';
import { channelConformance } from '../../conformance/channel-conformance.js';
import { WebChannel } from '../../../channels/web/index.js';
import { parseVisitorFrame } from '../../../channels/web/parse.js';
import { VisitorTokens } from '../../../core/auth/visitor-token.js';

channelConformance({
  folder: fileURLToPath(new URL('../../../../channels/web/', import.meta.url)),
  create: () => new WebChannel({ tokens: new VisitorTokens(Buffer.alloc(32), 60), agentsOnline: () => 0 }),
  parse: (raw) => parseVisitorFrame(raw, 64 * 1024),
  builtin: true,
  valid: [
    '{"type":"hello","token":"v1.x.1.y","after":0}',
    '{"type":"send","clientId":"abcdefgh12","text":"你好"}',
    '{"type":"send","clientId":"abcdefgh12","attachments":[{"mediaId":"m"}],"caption":"look"}',
    '{"type":"typing"}',
    '{"type":"read","seq":3}',
  ],
});
