import { z } from 'zod';

const e164 = z.string().regex(/^\+[1-9]\d{6,14}$/, 'an E.164 number such as +15551230000');

/** One Twilio account (or subaccount): its credentials and the senders that belong to it. */
export const accountSchema = z.object({
  /** Names the account in logs; conversations are keyed by the sender, not by this. */
  name: z.string().regex(/^[a-z0-9_-]{1,40}$/).default('default'),
  account_sid: z.string().regex(/^AC[0-9a-fA-F]{32}$/, 'starts with AC and 32 hex digits'),
  auth_token: z.string().min(8),
  /** Twilio numbers of this account that text customers; inbound `To` is matched against them. */
  numbers: z.array(e164).default([]),
  /** A Messaging Service (MG…): its pool's numbers are accepted without listing them (Chatwoot #13619). */
  messaging_service_sid: z.string().regex(/^MG[0-9a-fA-F]{32}$/).optional(),
}).strict();
export type SmsAccount = z.infer<typeof accountSchema>;

/**
 * `[channels.sms]`. The first account's keys sit at the top level so its secret can come from
 * the environment (KEFU_CHANNELS__SMS__AUTH_TOKEN); more accounts go in `[[channels.sms.accounts]]`.
 */
export const configSchema = z.object({
  enabled: z.boolean().default(false),
  account_sid: accountSchema.shape.account_sid.optional(),
  auth_token: z.string().min(8).optional(),
  numbers: z.array(e164).default([]),
  messaging_service_sid: accountSchema.shape.messaging_service_sid,
  accounts: z.array(accountSchema).default([]),
  /** Where the REST calls go. Empty = Twilio itself; tests point it at a local fake. */
  api_base: z.string().url().or(z.literal('')).default(''),
  /** The only origin MMS media are fetched from (with the account's credentials). */
  media_base: z.string().url().default('https://api.twilio.com'),
  /** Per media file: give up after this long (the whole fetch, redirects included). */
  media_timeout_ms: z.number().int().min(100).max(120_000).default(15_000),
  /** At most this many media per MMS are fetched (Twilio sends up to 10). */
  max_media: z.number().int().min(0).max(10).default(10),
  /** Per REST call (messages.create). */
  api_timeout_ms: z.number().int().min(100).max(120_000).default(10_000),
}).strict().superRefine((c, ctx) => {
  if (c.account_sid && !c.auth_token) ctx.addIssue({ code: 'custom', path: ['auth_token'], message: 'required with account_sid' });
  if (!c.account_sid && c.accounts.length === 0) ctx.addIssue({ code: 'custom', path: ['account_sid'], message: 'set account_sid + auth_token or at least one [[channels.sms.accounts]]' });
});
export type SmsConfig = z.infer<typeof configSchema>;

/** Every configured account, the top-level one first. */
export function accountsOf(c: SmsConfig): SmsAccount[] {
  const top = c.account_sid && c.auth_token
    ? [{ name: 'default', account_sid: c.account_sid, auth_token: c.auth_token, numbers: c.numbers, messaging_service_sid: c.messaging_service_sid }]
    : [];
  return [...top, ...c.accounts];
}

/** What Twilio posts to the inbound and status webhooks (form fields; all strings). */
export type TwilioForm = Record<string, string>;

/** Words Twilio itself treats as opt-out / opt-in (its default Advanced Opt-Out keywords). */
export const OPT_OUT_WORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT'] as const;
export const OPT_IN_WORDS = ['START', 'UNSTOP'] as const;
