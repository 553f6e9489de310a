import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * SMTP carries no signature we could check without DNS (DKIM/SPF/DMARC are the upstream MTA's
 * job). What we can check is the shared secret a forwarder sends with a raw mail posted over
 * HTTP (`Authorization: Bearer <secret>`). Compared in constant time over fixed-length digests,
 * so neither the content nor the length of the secret leaks through timing.
 * Imports nothing of the adapter (the conformance suite checks).
 */
export function verifySecret(secret: string | undefined, authorization: string | undefined): boolean {
  if (!secret || !authorization) return false;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  if (!m) return false;
  const want = createHash('sha256').update(secret).digest();
  const got = createHash('sha256').update(m[1]).digest();
  return timingSafeEqual(got, want);
}
