import getRawBody from 'raw-body';
import type { Context } from 'koa';
import { KefuError } from '../../core/errors.js';

/**
 * The exact bytes of a webhook's body, within `limit`: signatures are computed over these,
 * never over a re-serialized parse (Feishu's SDK signs re-serialized JSON and so rejects
 * bodies whose key order or escaping differs; see docs/channels.md).
 */
export async function readRawBody(ctx: Context, limit: number): Promise<Buffer> {
  try {
    return await getRawBody(ctx.req, { limit, length: ctx.get('content-length') || undefined });
  } catch (err) {
    if ((err as { type?: string }).type === 'entity.too.large') throw new KefuError('payload_too_large', `The body is limited to ${limit} bytes.`);
    throw new KefuError('bad_request', 'Could not read the body.');
  }
}

/** The URL as the vendor called (and signed) it: the configured public URL (behind proxies), path and query string kept. */
export function publicUrlOf(ctx: Context, configured: string): string {
  const base = configured ? configured.replace(/\/$/, '') : `${ctx.protocol}://${ctx.host}`;
  return base + ctx.originalUrl;
}
