import { z } from 'zod';

/** What WSClient.start() accepts: anything else makes it return silently without connecting. */
export const APP_ID = /^cli_[0-9a-f]{16}$/;

/** `feishu` (open.feishu.cn, China), `lark` (open.larksuite.com, international) or a base URL (tests, proxies). */
const domain = z.union([z.literal('feishu'), z.literal('lark'), z.string().url().regex(/^https?:\/\//)]);

const appFields = {
  /** Names the app in health details and logs. */
  name: z.string().regex(/^[a-z0-9_-]{1,40}$/).optional(),
  app_id: z.string().regex(APP_ID, 'cli_ followed by 16 lowercase hex digits (the App ID in the developer console)'),
  app_secret: z.string().min(8),
  /** `websocket`: the long connection (no public URL needed); `webhook`: Feishu posts to /channels/feishu/events/<app_id>. */
  mode: z.enum(['websocket', 'webhook']).default('websocket'),
  /** Webhook mode: the console's Encrypt Key (signs and encrypts every request). */
  encrypt_key: z.string().default(''),
  /** Webhook mode: the console's Verification Token (checked in every event when there is no encrypt key). */
  verification_token: z.string().default(''),
  domain: domain.optional(),
};

export const appSchema = z.object(appFields).strict().superRefine(webhookNeedsSecret);
export type FeishuApp = z.infer<typeof appSchema> & { name: string; domain: string };

function webhookNeedsSecret(a: { mode: string; encrypt_key: string; verification_token: string }, ctx: z.RefinementCtx): void {
  if (a.mode === 'webhook' && !a.encrypt_key && !a.verification_token) {
    ctx.addIssue({ code: 'custom', path: ['encrypt_key'], message: 'webhook mode needs encrypt_key (recommended) or verification_token: without them anyone could post events' });
  }
}

/**
 * `[channels.feishu]`. The first app's keys sit at the top level so its secret can come from the
 * environment (KEFU_CHANNELS__FEISHU__APP_SECRET); more apps go in `[[channels.feishu.apps]]`.
 */
export const configSchema = z.object({
  enabled: z.boolean().default(false),
  app_id: appFields.app_id.optional(),
  app_secret: appFields.app_secret.optional(),
  mode: appFields.mode,
  encrypt_key: appFields.encrypt_key,
  verification_token: appFields.verification_token,
  apps: z.array(appSchema).default([]),
  domain: domain.default('feishu'),
  /** Per API call (send, upload, token); a time-out is retried by the outbox. */
  api_timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
  /** Employees' names and departments from the contact API, once per user (needs contact scopes). */
  contact_lookup: z.boolean().default(true),
  /** Budget for a first lookup while the event waits (Feishu re-pushes events not answered within 3 s). */
  contact_timeout_ms: z.number().int().min(100).max(2500).default(1000),
  /** How long a looked-up name and department are kept before they are fetched again. */
  contact_cache_s: z.number().int().min(60).default(7 * 86_400),
  /** Budget for fetching an inbound image while the event waits; over it the message is kept with a note. */
  media_timeout_ms: z.number().int().min(100).max(2500).default(1500),
  /** Bot answers go out as interactive cards with this button; a click hands the conversation to a human. Empty: plain text. */
  handoff_button: z.string().max(40).default('转人工'),
  /** What the customer sees (a toast) after clicking it. */
  handoff_toast: z.string().max(100).default('已为您转接人工客服，请稍候'),
  /** In group chats only messages that @-mention the bot are taken (Feishu sends others only with the group-message scope). */
  group_mentions_only: z.boolean().default(true),
  /** Webhook requests whose X-Lark-Request-Timestamp is further off than this are refused (replays); 0 disables. */
  max_skew_s: z.number().int().min(0).default(3600),
  /** Long connection: no frame from Feishu for this long after a ping means a dead socket, reconnected. 0 disables. */
  ping_timeout_s: z.number().int().min(0).max(600).default(0),
}).strict().superRefine((c, ctx) => {
  if (c.app_id && !c.app_secret) ctx.addIssue({ code: 'custom', path: ['app_secret'], message: 'required with app_id' });
  if (!c.app_id && c.apps.length === 0) ctx.addIssue({ code: 'custom', path: ['app_id'], message: 'set app_id + app_secret or at least one [[channels.feishu.apps]]' });
  if (c.app_id) webhookNeedsSecret(c, ctx);
  const ids = [c.app_id, ...c.apps.map((a) => a.app_id)].filter(Boolean);
  if (new Set(ids).size !== ids.length) ctx.addIssue({ code: 'custom', path: ['apps'], message: 'an app_id is configured twice' });
});
export type FeishuConfig = z.infer<typeof configSchema>;

/** Every configured app, the top-level one first, with its name and domain filled in. */
export function appsOf(c: FeishuConfig): FeishuApp[] {
  const top = c.app_id && c.app_secret
    ? [{ app_id: c.app_id, app_secret: c.app_secret, mode: c.mode, encrypt_key: c.encrypt_key, verification_token: c.verification_token }]
    : [];
  return [...top, ...c.apps].map((a, i) => ({ ...a, name: (a as { name?: string }).name ?? (i === 0 && top.length ? 'default' : a.app_id),
    domain: (a as { domain?: string }).domain ?? c.domain }));
}

/** The SDK's domain option: its own enum values stand for the two public clouds. */
export function sdkDomain(d: string, Domain: { Feishu: number; Lark: number }): string | number {
  return d === 'feishu' ? Domain.Feishu : d === 'lark' ? Domain.Lark : d.replace(/\/$/, '');
}

/** Event v2 envelope, as pushed on the webhook (decrypted) and the long connection. */
export interface EventEnvelope {
  schema?: string;
  header?: { event_id?: string; event_type?: string; create_time?: string; token?: string; app_id?: string; tenant_key?: string };
  event?: Record<string, unknown>;
  /** url_verification (the first request of the webhook mode). */
  type?: string;
  challenge?: string;
  token?: string;
}

export interface WireMention { key?: string; id?: { open_id?: string; user_id?: string; union_id?: string }; name?: string }

export interface WireMessage {
  message_id?: string; root_id?: string; parent_id?: string; create_time?: string;
  chat_id?: string; chat_type?: string; message_type?: string; content?: string; mentions?: WireMention[];
}

export interface WireSender { sender_id?: { open_id?: string; user_id?: string; union_id?: string }; sender_type?: string; tenant_key?: string }

/** The value kefu puts on its card buttons: what to do, and for which conversation. */
export interface CardValue { kefu?: string; conversation?: string }
