import type { UploadFields, WechatIdentity } from './types.js';

export type ParsedIdentity =
  | { kind: 'identity'; identity: WechatIdentity }
  | { kind: 'rejected'; errcode: number; errmsg: string }
  | { kind: 'invalid'; reason: string };

const OPENID = /^[A-Za-z0-9_-]{6,64}$/;
const CODE = /^[A-Za-z0-9_-]{8,128}$/;
const CLIENT_ID = /^[A-Za-z0-9_-]{8,64}$/;
const MAX_TRANSCRIPT = 4000;

/**
 * Pure: jscode2session's raw answer → who the user is, or WeChat's error. Never throws. Only
 * openid and unionid are taken; the session_key is left where it is.
 */
export function parseIdentity(raw: string): ParsedIdentity {
  let v: Record<string, unknown>;
  try { v = JSON.parse(raw); } catch { return { kind: 'invalid', reason: 'not JSON' }; }
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { kind: 'invalid', reason: 'not an object' };
  if (typeof v.errcode === 'number' && v.errcode !== 0) {
    return { kind: 'rejected', errcode: v.errcode, errmsg: typeof v.errmsg === 'string' ? v.errmsg.slice(0, 200) : '' };
  }
  if (typeof v.openid !== 'string' || !OPENID.test(v.openid)) return { kind: 'invalid', reason: 'openid' };
  const unionid = typeof v.unionid === 'string' && OPENID.test(v.unionid) ? v.unionid : undefined;
  return { kind: 'identity', identity: { openid: v.openid, ...(unionid ? { unionid } : {}) } };
}

/** `POST /channels/wechat-mp/session` body: the wx.login code. */
export function parseSessionBody(body: Record<string, unknown>): { kind: 'session'; code: string } | { kind: 'invalid'; reason: string } {
  if (typeof body.code !== 'string' || !CODE.test(body.code)) return { kind: 'invalid', reason: 'code must be the wx.login code (8-128 characters of [A-Za-z0-9_-])' };
  return { kind: 'session', code: body.code };
}

/**
 * An upload's form fields (all strings, as wx.uploadFile sends them) → checked values.
 * `maxDurationMs` bounds a voice recording's declared length.
 */
export function parseUploadFields(f: Record<string, string>, maxDurationMs: number): { kind: 'fields'; fields: UploadFields } | { kind: 'invalid'; reason: string } {
  if (typeof f.clientId !== 'string' || !CLIENT_ID.test(f.clientId)) return { kind: 'invalid', reason: 'clientId must be 8-64 characters of [A-Za-z0-9_-]' };
  let duration: number | undefined;
  if (f.duration !== undefined && f.duration !== '') {
    duration = Number(f.duration);
    if (!Number.isInteger(duration) || duration < 0) return { kind: 'invalid', reason: 'duration must be whole milliseconds' };
    if (duration > maxDurationMs) return { kind: 'invalid', reason: `recordings are limited to ${maxDurationMs / 1000} seconds` };
  }
  const transcript = f.transcript?.trim().normalize('NFC').slice(0, MAX_TRANSCRIPT) || undefined;
  const caption = f.caption?.trim().normalize('NFC').slice(0, MAX_TRANSCRIPT) || undefined;
  return { kind: 'fields', fields: { clientId: f.clientId, duration, transcript, caption } };
}

/** A speech-to-text provider's answer `{ "text": "…" }` → the transcript (undefined when empty or malformed). */
export function parseTranscript(raw: string): string | undefined {
  try {
    const v = JSON.parse(raw) as { text?: unknown };
    return typeof v?.text === 'string' ? v.text.trim().normalize('NFC').slice(0, MAX_TRANSCRIPT) || undefined : undefined;
  } catch {
    return undefined;
  }
}
