import { createHmac, timingSafeEqual } from 'node:crypto';

export interface HmacRule { secret: string; algorithm: 'sha256' | 'sha1' | 'sha512'; encoding: 'hex' | 'base64'; prefix: string }

/** The provider's signature: HMAC of `<timestamp>.` (when there is one) + the raw body. */
export function sign(rule: HmacRule, body: Buffer | string, timestamp?: string): string {
  const h = createHmac(rule.algorithm, rule.secret);
  if (timestamp !== undefined) h.update(`${timestamp}.`);
  return rule.prefix + h.update(body).digest(rule.encoding);
}

/**
 * True when `signature` is the HMAC of the raw bytes (compared in constant time) and, when a
 * timestamp is required, it is within `skewS` of now (an old request cannot be replayed).
 * Imports nothing of the adapter.
 */
export function verify(rule: HmacRule, body: Buffer, signature: string | undefined, o: { timestamp?: string; requireTimestamp: boolean; nowS: number; skewS?: number }): boolean {
  if (!signature) return false;
  if (o.requireTimestamp && (!o.timestamp || !/^\d{1,12}$/.test(o.timestamp) || Math.abs(o.nowS - Number(o.timestamp)) > (o.skewS ?? 300))) return false;
  const want = Buffer.from(sign(rule, body, o.requireTimestamp ? o.timestamp : undefined));
  const got = Buffer.from(signature.trim());
  return got.length === want.length && timingSafeEqual(got, want);
}
