import { createHmac } from 'node:crypto';
import { safeEqual } from '../auth/passwords.js';

const ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The rating page's link token: `<conversation id>.<HMAC>`, keyed with a key derived from the
 * gateway's secret, so it can be neither guessed nor made for another conversation, and nothing
 * needs to be stored to check it.
 */
export class SurveyTokens {
  private key: Buffer;

  constructor(secret: Buffer) {
    // A key of its own: a survey token can never pass for a visitor token signed with the same secret.
    this.key = createHmac('sha256', secret).update('kefu csat survey v1').digest();
  }

  make(conversationId: string): string {
    return `${conversationId}.${this.mac(conversationId)}`;
  }

  /** The conversation id, when the token is one of ours. */
  verify(token: unknown): string | undefined {
    if (typeof token !== 'string' || token.length > 160) return undefined;
    const dot = token.lastIndexOf('.');
    const id = token.slice(0, dot);
    if (dot < 1 || !ID.test(id)) return undefined;
    return safeEqual(token.slice(dot + 1), this.mac(id)) ? id : undefined;
  }

  private mac(id: string): string {
    return createHmac('sha256', this.key).update(id).digest('base64url').slice(0, 32);
  }
}
