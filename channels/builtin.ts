import type { VisitorTokens } from '../core/auth/visitor-token.js';
import type { MediaService } from '../core/http/media.js';
import type { Conversation, Participant } from '../core/model/message.js';
import type { TokenStore } from '../core/store/store.js';
import type { ChannelAdapter } from './contract.js';
import type { ContactService } from '../core/contacts/contact-service.js';
import type { Cluster } from '../core/cluster/cluster.js';
import { WebChannel } from './web/index.js';
import { ApiChannel } from './api/index.js';
import { EmailChannel } from './email/index.js';
import { SmsChannel } from './sms/index.js';
import { SmsGatewayChannel } from './sms-gateway/index.js';
import { WechatMpChannel } from './wechat-mp/index.js';
import { DingtalkChannel } from './dingtalk/index.js';
import { WechatChannel } from './wechat/index.js';
import { WechatyChannel } from './wechaty/index.js';
import { FeishuChannel } from './feishu/index.js';

/** Gateway services a built-in channel may need beyond its ChannelContext. */
export interface ChannelServices {
  visitorTokens: VisitorTokens;
  agentsOnline: () => number;
  tokens: TokenStore;
  media: MediaService;
  maxTextChars: () => number;
  /** The bus's one hand-off, at the configured priority with the hand-off notice. */
  handoff: (conv: Conversation, by: Participant) => Promise<void>;
  /** Contacts, for the widget's kefu.identify(). */
  contacts?: ContactService;
  /** What the node shares with the others (core/cluster): limits, leader leases, credentials. */
  cluster: Cluster;
}

/**
 * The one place a built-in channel is wired: one line here, one folder in channels/, one
 * config slice (its adapter's `configSchema`). Channels with a heavy vendor SDK import it in
 * their start(), so a disabled channel costs nothing (docs/channels.md).
 */
export function builtinChannels(s: ChannelServices): { web: WebChannel; adapters: ChannelAdapter[] } {
  const { limiters, leader, secrets } = s.cluster;
  const web = new WebChannel({ tokens: s.visitorTokens, agentsOnline: s.agentsOnline, limiters, contacts: s.contacts });
  const api = new ApiChannel({ tokens: s.tokens, media: s.media, maxTextChars: s.maxTextChars, handoff: s.handoff });
  return { web, adapters: [web, api, new EmailChannel(), new SmsChannel(), new SmsGatewayChannel(),
    new WechatMpChannel({ agentsOnline: s.agentsOnline, limiters }),
    new DingtalkChannel({ leader: (app, signal, onWait) => leader(`dingtalk:${app}`, signal, onWait) }),
    new WechatChannel({ shared: secrets }),
    new WechatyChannel(),
    new FeishuChannel({ handoff: s.handoff, leader: (app, signal, onWait) => leader(`feishu:${app}`, signal, onWait) }),
  ] };
}
