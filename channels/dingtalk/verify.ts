import { createHmac } from 'node:crypto';
import { safeEqual } from '../../core/auth/passwords.js';

/** DingTalk refuses callbacks whose timestamp is more than an hour off; so do we. */
export const MAX_SKEW_MS = 60 * 60 * 1000;

/** DingTalk's callback signature: base64(HMAC-SHA256(appSecret, timestamp + "\n" + appSecret)). */
export function sign(appSecret: string, timestamp: string): string {
  return createHmac('sha256', appSecret).update(`${timestamp}\n${appSecret}`).digest('base64');
}

/**
 * An HTTP-mode robot callback's `timestamp` (ms) and `sign` headers. The signature covers the
 * timestamp only, not the body (DingTalk's design): the skew bound is what limits a replay, and
 * the body's robotCode must still match the app (index.ts). Compared in constant time.
 */
export function verifyCallback(appSecret: string, timestamp: string | undefined, signature: string | undefined, nowMs: number, skewMs = MAX_SKEW_MS): boolean {
  if (!timestamp || !signature || !/^\d{10,16}$/.test(timestamp) || signature.length > 128) return false;
  if (Math.abs(nowMs - Number(timestamp)) > skewMs) return false;
  return safeEqual(sign(appSecret, timestamp), signature);
}
