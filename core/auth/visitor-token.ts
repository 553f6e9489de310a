import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from './passwords.js';

/**
 * Visitor identity for the web widget: `v1.<visitorId>.<expiresAtSeconds>.<hmac>`.
 * The widget keeps it in localStorage; a returning visitor presents it to see their history.
 * Conversation ids alone grant nothing: every visitor request is scoped by this token.
 */
export class VisitorTokens {
  /**
   * Tokens that verified, with their visitor and expiry: a widget sends the same token on every
   * request, and an HMAC per message was a measurable share of the HTTP send path. Only a token
   * whose signature checked out gets in, so a hit needs the exact token (nothing to learn from
   * lookup timing); forged tokens always take the constant-time path.
   */
  private verified = new Map<string, { visitorId: string; expMs: number }>();

  constructor(private secret: Buffer, private ttlSeconds: number, private cacheSize = 10_000) {}

  issue(visitorId = `v${randomBytes(12).toString('base64url')}`, now = Date.now()): { token: string; visitorId: string } {
    const exp = Math.floor(now / 1000) + this.ttlSeconds;
    const body = `v1.${visitorId}.${exp}`;
    return { token: `${body}.${this.sign(body)}`, visitorId };
  }

  /** Returns the visitor id, or undefined for a forged, malformed or expired token. */
  verify(token: unknown, now = Date.now()): string | undefined {
    if (typeof token !== 'string' || token.length > 256) return undefined;
    const hit = this.verified.get(token);
    if (hit) {
      if (hit.expMs >= now) return hit.visitorId;
      this.verified.delete(token);
      return undefined;
    }
    const parts = token.split('.');
    if (parts.length !== 4 || parts[0] !== 'v1') return undefined;
    const body = parts.slice(0, 3).join('.');
    if (!safeEqual(parts[3], this.sign(body))) return undefined;
    const expMs = Number(parts[2]) * 1000;
    if (!(expMs >= now) || !/^v[A-Za-z0-9_-]{8,40}$/.test(parts[1])) return undefined;
    if (this.verified.size >= this.cacheSize) this.verified.delete(this.verified.keys().next().value!);
    this.verified.set(token, { visitorId: parts[1], expMs });
    return parts[1];
  }

  private sign(body: string): string {
    return createHmac('sha256', this.secret).update(body).digest('base64url');
  }
}
