import { createHmac } from 'node:crypto';
import { safeEqual } from '../../core/auth/passwords.js';

/**
 * Slack's request signing, used for everything kefu sends to bots and webhooks:
 * X-Slack-Signature = "v0=" + hex(HMAC-SHA256(secret, "v0:" + timestamp + ":" + body)),
 * X-Slack-Request-Timestamp = unix seconds. No adapter imports here: verification stays at the edge.
 */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

/** Checks a signature the same way a receiving Slack app does (5-minute replay window). */
export function verifySlackSignature(secret: string, headers: { signature?: string; timestamp?: string }, body: string, nowSec = Math.floor(Date.now() / 1000)): boolean {
  const ts = Number(headers.timestamp);
  if (!headers.signature || !Number.isInteger(ts) || Math.abs(nowSec - ts) > 300) return false;
  return safeEqual(headers.signature, slackSignature(secret, ts, body));
}
