import type Router from '@koa/router';
import type { ChannelContext } from '../contract.js';
import type { EmailConfig } from './types.js';
import { verifySecret } from './verify.js';

export const INBOUND_PATH = '/channels/email/inbound';

export interface InboundTarget {
  context(): ChannelContext | undefined;
  settings(): EmailConfig;
  /** The same path as the SMTP listener's mails; rejects with `responseCode` 4xx when the sender should retry. */
  receive(raw: Buffer, envelopeTo: string[]): Promise<void>;
}

/**
 * `POST /channels/email/inbound`: a raw RFC 822 mail in the body (providers that post inbound
 * mail), `Authorization: Bearer <inbound_secret>`. The secret is checked before the body is
 * read, so a stranger cannot make us buffer max_bytes. 200 only once the mail is durable (or kept
 * as unprocessable); 503 with Retry-After when the provider should post it again.
 * Optional `X-Envelope-To` (comma-separated) carries the envelope recipients, for plus-addresses
 * a provider rewrote in the headers.
 */
export function mountInbound(router: Router, target: InboundTarget): void {
  router.post(INBOUND_PATH, async (koa) => {
    const ctx = target.context()!;
    const s = target.settings();
    if (!verifySecret(s.inbound_secret, koa.get('authorization') || undefined)) ctx.rejectSignature('inbound_secret');
    const raw = await ctx.rawBody(koa, s.max_bytes);
    const envelopeTo = koa.get('x-envelope-to').split(',').map((a) => a.trim()).filter((a) => a.includes('@'));
    try {
      await target.receive(raw, envelopeTo);
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      if (!code || code >= 500) throw err;
      ctx.logger.warn({ err }, 'e-mail: posted mail not taken; the provider should retry');
      koa.status = 503;
      koa.set('Retry-After', '60');
      koa.body = { ok: false, error: { code: 'unavailable', message: (err as Error).message } };
      return;
    }
    koa.body = { ok: true };
  });
}
