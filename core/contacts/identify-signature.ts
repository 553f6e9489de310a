import { createHash, createHmac } from 'node:crypto';
import { safeEqual } from '../auth/passwords.js';

/**
 * Identity verification for `kefu.identify()`, as Intercom and Crisp do it: the shop's backend
 * signs the logged-in user's id with `[channels.web] identity_secret` (HMAC-SHA256, hex) and
 * puts the signature in its page; kefu recomputes it. An e-mail or phone is trusted only with
 * its own signature, over `email:<lower-cased address>` or `phone:<E.164>`: a user who can get
 * their own id signed must not be able to claim someone else's address next to it.
 */
export function identitySignature(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

/** Constant-time; a missing secret or signature never verifies. */
export function signatureMatches(secret: string | undefined, message: string, signature: unknown): boolean {
  if (!secret || typeof signature !== 'string' || !/^[0-9a-fA-F]{64}$/.test(signature)) return false;
  return safeEqual(signature.toLowerCase(), identitySignature(secret, message));
}

/**
 * The visitor id every device of one signed shop user shares: a hash of the shop's id (not of the
 * secret, so rotating the secret keeps the history). Knowing it grants nothing: a visitor still
 * needs a token the gateway signed. Longer than random visitor ids, so the two never collide.
 */
export function shopVisitorId(shopUserId: string): string {
  return `vs${createHash('sha256').update(`kefu-shop-visitor\u0000${shopUserId}`).digest('base64url').slice(0, 28)}`;
}

export function isShopVisitorId(visitorId: string): boolean {
  return visitorId.length === 30 && visitorId.startsWith('vs');
}
