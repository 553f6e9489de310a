import { z } from 'zod';

/**
 * One DingTalk app (an internal enterprise app with a robot). `client_id` / `client_secret` are
 * the console's AppKey / AppSecret (Client ID / Client Secret on the newer console pages).
 */
export const appSchema = z.object({
  /** Names the app in logs and health; conversations are keyed by the robot code, not by this. */
  name: z.string().regex(/^[a-z0-9_-]{1,40}$/).default('default'),
  client_id: z.string().min(4).max(128),
  client_secret: z.string().min(8).max(256),
  /** The robot's code; for an app's own robot it is the AppKey, which is the default. */
  robot_code: z.string().min(4).max(128).optional(),
  /** stream: kefu opens the connection (no public IP); http: DingTalk posts to /channels/dingtalk/callback. */
  mode: z.enum(['stream', 'http']).default('stream'),
}).strict();
export type DingtalkApp = z.infer<typeof appSchema> & { robot_code: string };

/**
 * `[channels.dingtalk]`. The first app's keys may sit at the top level (so its secret can come
 * from KEFU_CHANNELS__DINGTALK__CLIENT_SECRET); more apps go in `[[channels.dingtalk.apps]]`.
 */
export const configSchema = z.object({
  enabled: z.boolean().default(false),
  client_id: appSchema.shape.client_id.optional(),
  client_secret: appSchema.shape.client_secret.optional(),
  robot_code: appSchema.shape.robot_code,
  mode: appSchema.shape.mode,
  apps: z.array(appSchema).default([]),
  /** The v1.0 OpenAPI (stream gateway, OAuth, robot sends, file downloads). Tests point it at a fake. */
  api_base: z.string().url().default('https://api.dingtalk.com'),
  /** The legacy oapi host (media upload, employee directory). */
  oapi_base: z.string().url().default('https://oapi.dingtalk.com'),
  /** The only origin a message's sessionWebhook may be on: replies never go to a URL a payload names elsewhere. */
  session_webhook_base: z.string().url().default('https://oapi.dingtalk.com'),
  /** No frame (data, ping or pong) for this long: the socket is taken as half-dead and replaced. */
  keepalive_ms: z.number().int().min(200).max(300_000).default(30_000),
  /** Per vendor call. */
  api_timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
  /** Per downloaded picture; it happens before the callback is acknowledged, so well under DingTalk's ~60 s redelivery. */
  media_timeout_ms: z.number().int().min(100).max(50_000).default(15_000),
  /** Show employees' names and departments to agents (needs the contact read permission). */
  lookup_employees: z.boolean().default(true),
  /**
   * The satisfaction survey as an interactive card: the id of a card template made in DingTalk's
   * card platform (five buttons whose callback params carry `rating` 1–5, see the README). Stream
   * apps only (the click comes back over the stream); unset, or an HTTP-mode app: signed links.
   */
  csat_card_template_id: z.string().regex(/^[\w.-]{1,128}$/).optional(),
  /** A cached employee is looked up again after this many hours. */
  employee_ttl_h: z.number().min(0).max(24 * 365).default(24),
}).strict().superRefine((c, ctx) => {
  if (c.client_id && !c.client_secret) ctx.addIssue({ code: 'custom', path: ['client_secret'], message: 'required with client_id' });
  if (!c.client_id && c.apps.length === 0) ctx.addIssue({ code: 'custom', path: ['client_id'], message: 'set client_id + client_secret or at least one [[channels.dingtalk.apps]]' });
  const codes = appsOf(c as DingtalkConfig).map((a) => a.robot_code);
  if (new Set(codes).size !== codes.length) ctx.addIssue({ code: 'custom', path: ['apps'], message: 'two apps share a robot code' });
});
export type DingtalkConfig = z.infer<typeof configSchema>;

/** Every configured app, the top-level one first, with its robot code filled in. */
export function appsOf(c: DingtalkConfig): DingtalkApp[] {
  const top = c.client_id && c.client_secret
    ? [{ name: 'default', client_id: c.client_id, client_secret: c.client_secret, robot_code: c.robot_code, mode: c.mode }]
    : [];
  return [...top, ...c.apps].map((a) => ({ ...a, robot_code: a.robot_code ?? a.client_id }));
}

/** The robot callback (stream CALLBACK data, or the HTTP-mode body), as DingTalk sends it. */
export interface RobotMessage {
  msgId: string;
  msgtype: 'text' | 'picture' | 'richText' | 'audio' | 'video' | 'file' | string;
  /** '1' one-to-one, '2' group. */
  conversationType: '1' | '2';
  /** The openConversationId (cid…), used for proactive group sends. */
  conversationId: string;
  conversationTitle?: string;
  senderId: string;
  senderStaffId?: string;
  senderNick?: string;
  senderCorpId?: string;
  robotCode?: string;
  chatbotCorpId?: string;
  isInAtList?: boolean;
  atUsers?: { dingtalkId: string; staffId?: string }[];
  sessionWebhook?: string;
  /** ms since epoch. */
  sessionWebhookExpiredTime?: number;
  createAt?: number;
  text?: { content: string };
  content?: {
    downloadCode?: string;
    pictureDownloadCode?: string;
    fileName?: string;
    recognition?: string;
    richText?: { text?: string; type?: string; downloadCode?: string; pictureDownloadCode?: string }[];
  };
}

/** A reply body: what the sessionWebhook takes (msgtype + its field), also mapped to the proactive msgKey. */
export type Reply =
  | { kind: 'text'; text: string }
  | { kind: 'markdown'; title: string; text: string }
  | { kind: 'image'; mediaId: string }
  | { kind: 'file'; mediaId: string; fileName: string; fileType: string };

/** Where a conversation's replies go: the last message's sessionWebhook while valid, else the proactive API. */
export interface ReplyRoute {
  robotCode: string;
  /** One-to-one: the employee's staffId (batchSend's userIds). */
  staffId?: string;
  /** Group: the openConversationId. */
  openConversationId?: string;
  sessionWebhook?: string;
  /** ms since epoch. */
  sessionExpiresAt?: number;
}

/** An employee as agents see them. */
export interface Employee { name?: string; title?: string; departments: string[] }
