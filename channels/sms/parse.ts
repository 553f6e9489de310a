import { OPT_IN_WORDS, OPT_OUT_WORDS, type TwilioForm } from './types.js';

export interface SmsMedia { url: string; contentType: string }

export type Parsed =
  | { kind: 'message'; sid: string; from: string; to: string; messagingServiceSid?: string; accountSid: string; body: string;
      media: SmsMedia[]; keyword?: 'opt_out' | 'opt_in' }
  | { kind: 'status'; vendorId: string; state: 'delivered' | 'read' | 'failed'; error?: { code: string; message: string } }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'invalid'; reason: string };

const SID = /^(SM|MM)[0-9a-fA-F]{32}$/;
const NUMBER = /^\+?[\w.@:-]{3,64}$/; // E.164, short codes, and `whatsapp:+…`-style addresses, bounded

/** The form body as Twilio signs it: every field once, as a string. */
export function formParams(raw: string): TwilioForm {
  const out: TwilioForm = {};
  try {
    for (const [k, v] of new URLSearchParams(raw)) out[k] = v;
  } catch { /* a malformed escape: whatever parsed so far; the signature check decides */ }
  return out;
}

/** Texts for the failure codes agents meet most; any other code shows Twilio's number. */
const ERROR_TEXT: Record<string, string> = {
  '21610': 'The customer has opted out (replied STOP); they must text START before we can send again.',
  '21211': 'The number is not a valid phone number.',
  '21408': 'Sending to this region is not enabled on the Twilio account.',
  '21614': 'The number is not a mobile number.',
  '30003': 'The handset is unreachable (off or out of coverage).',
  '30004': 'The message was blocked by the carrier or the recipient.',
  '30005': 'The number is unknown or no longer in service.',
  '30006': 'The number is a landline or unreachable by the carrier.',
  '30007': 'The carrier filtered the message as spam.',
  '30008': 'The carrier could not deliver the message (unknown error).',
};
export const errorText = (code: string, fallback?: string) => ERROR_TEXT[code] ?? fallback ?? `Twilio error ${code}`;

/** Twilio's own keyword rule: the whole body, trimmed and case-insensitive, is the keyword. */
export function keywordOf(body: string): 'opt_out' | 'opt_in' | undefined {
  const word = body.trim().toUpperCase();
  if ((OPT_OUT_WORDS as readonly string[]).includes(word)) return 'opt_out';
  if ((OPT_IN_WORDS as readonly string[]).includes(word)) return 'opt_in';
  return undefined;
}

/**
 * Pure: a Twilio webhook's form body → what it means. An inbound message, or a status callback
 * on one we sent (it carries MessageStatus). Never throws.
 */
export function parse(raw: string): Parsed {
  if (typeof raw !== 'string') return { kind: 'invalid', reason: 'not a string' };
  const f = formParams(raw);
  const sid = f.MessageSid ?? f.SmsSid ?? '';
  if (!SID.test(sid)) return { kind: 'invalid', reason: 'MessageSid' };
  const status = f.MessageStatus ?? f.SmsStatus;
  if (status && status !== 'received') {
    if (status === 'delivered' || status === 'read') return { kind: 'status', vendorId: sid, state: status };
    if (status === 'undelivered' || status === 'failed') {
      const code = /^\d{1,6}$/.test(f.ErrorCode ?? '') ? f.ErrorCode : status;
      return { kind: 'status', vendorId: sid, state: 'failed', error: { code, message: errorText(code, f.ErrorMessage?.slice(0, 300)) } };
    }
    // queued/accepted/sending/sent: we already show "sent" once Twilio took it.
    return { kind: 'unsupported', reason: `status ${status.slice(0, 20)}` };
  }
  const from = f.From ?? '';
  const to = f.To ?? '';
  if (!NUMBER.test(from) || !NUMBER.test(to)) return { kind: 'invalid', reason: 'From/To' };
  if (!/^AC[0-9a-fA-F]{32}$/.test(f.AccountSid ?? '')) return { kind: 'invalid', reason: 'AccountSid' };
  const mg = f.MessagingServiceSid && /^MG[0-9a-fA-F]{32}$/.test(f.MessagingServiceSid) ? f.MessagingServiceSid : undefined;
  // Every MediaUrlN up to NumMedia, not only the first (Chatwoot #11295).
  const n = Math.min(10, Math.max(0, Number.parseInt(f.NumMedia ?? '0', 10) || 0));
  const media: SmsMedia[] = [];
  for (let i = 0; i < n; i++) {
    const url = f[`MediaUrl${i}`];
    if (url && /^https?:\/\//.test(url) && url.length < 2000) media.push({ url, contentType: (f[`MediaContentType${i}`] ?? '').slice(0, 100) });
  }
  const body = f.Body ?? '';
  if (!body && media.length === 0) return { kind: 'unsupported', reason: 'empty message' };
  return { kind: 'message', sid, from, to, messagingServiceSid: mg, accountSid: f.AccountSid, body, media, keyword: keywordOf(body) };
}
