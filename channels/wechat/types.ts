import { z } from 'zod';

const appid = z.string().regex(/^wx[0-9a-zA-Z]{16}$/, 'a WeChat AppID: wx and 16 letters or digits');
/** The console's Token: 3 to 32 letters or digits. */
const token = z.string().regex(/^[A-Za-z0-9]{3,32}$/, '3 to 32 letters or digits, as set in the console');
/** The console's EncodingAESKey: 43 characters of base64 (a 32-byte key without its "="). */
const aesKey = z.string().regex(/^[A-Za-z0-9+/]{43}$/, '43 letters or digits, as generated in the console');
/** SessionFrom (a `contact` button's session-from) → queue name. */
const sessionQueues = z.record(z.string().min(1).max(1000), z.string().min(1).max(64)).default({});

/** One mini-program or service account (公众号): its API credentials and its push settings. */
export const accountSchema = z.object({
  appid,
  secret: z.string().min(8),
  token,
  /** Needed for safe mode (encrypt_type=aes) and compatible mode. */
  encoding_aes_key: aesKey.optional(),
  kind: z.enum(['miniprogram', 'official']).default('miniprogram'),
  /** The console's 数据格式: the push body's format. */
  format: z.enum(['json', 'xml']).default('json'),
  /** True: plain-mode pushes (no encrypt_type=aes) are refused, as the console's 安全模式 never sends them. */
  safe_mode: z.boolean().default(false),
  session_queues: sessionQueues,
  /** Cover image (a media_id of the account's) for mini-program cards that name none. */
  card_thumb_media_id: z.string().min(1).max(200).optional(),
}).strict();
export type WechatAccount = z.infer<typeof accountSchema>;

/**
 * `[channels.wechat]`. The first account's keys may sit at the top level so its secrets can come
 * from the environment (KEFU_CHANNELS__WECHAT__SECRET); more go in `[[channels.wechat.accounts]]`.
 */
export const configSchema = z.object({
  enabled: z.boolean().default(false),
  appid: appid.optional(),
  secret: z.string().min(8).optional(),
  token: token.optional(),
  encoding_aes_key: aesKey.optional(),
  kind: accountSchema.shape.kind,
  format: accountSchema.shape.format,
  safe_mode: accountSchema.shape.safe_mode,
  card_thumb_media_id: accountSchema.shape.card_thumb_media_id,
  accounts: z.array(accountSchema).default([]),
  /** Where API calls go (token, send, media). Tests point it at a local fake. */
  api_base: z.string().url().default('https://api.weixin.qq.com'),
  /** Hosts customers' images (PicUrl) are fetched from; a host matches itself and its subdomains. */
  media_hosts: z.array(z.string().regex(/^[a-z0-9.-]{1,253}$/i)).default(['mmbiz.qpic.cn', 'api.weixin.qq.com']),
  /** Per inbound image; WeChat waits 5 s for the answer, so keep it well under that. */
  media_timeout_ms: z.number().int().min(100).max(4500).default(3000),
  /** Per API call; a time-out is retried by the outbox. */
  api_timeout_ms: z.number().int().min(100).max(60_000).default(10_000),
  /** Push bodies above this are refused with 413 (WeChat's are a few KB). */
  max_body_bytes: z.number().int().min(1024).max(1_048_576).default(65_536),
  /** SessionFrom → queue, for every account (an account's own map wins). */
  session_queues: sessionQueues,
}).strict().superRefine((c, ctx) => {
  if (c.appid && (!c.secret || !c.token)) ctx.addIssue({ code: 'custom', path: ['appid'], message: 'appid needs secret and token' });
  if (!c.appid && c.accounts.length === 0) ctx.addIssue({ code: 'custom', path: ['appid'], message: 'set appid + secret + token or at least one [[channels.wechat.accounts]]' });
  const all = [...(c.appid ? [c.appid] : []), ...c.accounts.map((a) => a.appid)];
  if (new Set(all).size !== all.length) ctx.addIssue({ code: 'custom', path: ['accounts'], message: 'an appid is listed twice' });
  for (const [i, a] of [...(c.appid ? [c] : []), ...c.accounts].entries()) {
    if (a.safe_mode && !a.encoding_aes_key) ctx.addIssue({ code: 'custom', path: ['accounts', i], message: 'safe_mode needs encoding_aes_key' });
  }
});
export type WechatConfig = z.infer<typeof configSchema>;

/** Every configured account, the top-level one first. */
export function accountsOf(c: WechatConfig): WechatAccount[] {
  const top: WechatAccount[] = c.appid && c.secret && c.token
    ? [{ appid: c.appid, secret: c.secret, token: c.token, encoding_aes_key: c.encoding_aes_key, kind: c.kind, format: c.format,
        safe_mode: c.safe_mode, session_queues: {}, card_thumb_media_id: c.card_thumb_media_id }]
    : [];
  return [...top, ...c.accounts];
}

/** A push's fields as WeChat names them, every value as text (MsgId stays exact). */
export type PushFields = Record<string, string>;

/** The send API's message bodies (cgi-bin/message/custom/send). */
export type CustomMessage =
  | { touser: string; msgtype: 'text'; text: { content: string } }
  | { touser: string; msgtype: 'image'; image: { media_id: string } }
  | { touser: string; msgtype: 'miniprogrampage'; miniprogrampage: { title: string; pagepath: string; thumb_media_id: string; appid?: string } };

/**
 * How a bot asks for a mini-program card: a block in a text message's `blocks` (the
 * Slack-compatible API passes them through). The text is the fallback title.
 */
export interface CardBlock { type: 'wechat_miniprogrampage'; title?: string; pagepath: string; thumb_media_id?: string; appid?: string }

/** WeChat's answer to API calls: errcode 0 (or absent) is success. */
export interface ApiAnswer { errcode?: number; errmsg?: string; access_token?: string; expires_in?: number; media_id?: string }
