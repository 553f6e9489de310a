import getRawBody from 'raw-body';
import type { Context } from 'koa';
import { KefuError } from '../errors.js';

/** Reads a JSON object body within `limit` bytes; stable errors for every way it can be wrong. */
export async function readJson(ctx: Context, limit: number): Promise<Record<string, unknown>> {
  assertJsonType(ctx.get('content-type'));
  let text: string;
  try {
    text = await getRawBody(ctx.req, { limit, encoding: 'utf8', length: ctx.get('content-length') || undefined });
  } catch (err) {
    const e = err as { type?: string };
    if (e.type === 'entity.too.large') throw new KefuError('payload_too_large', `The body is limited to ${limit} bytes.`);
    throw new KefuError('bad_request', 'Could not read the body.');
  }
  return parseJsonObject(text);
}

/**
 * Only a body declared as JSON is read as JSON. A missing type is refused too: a cross-site
 * form or `fetch(…, { mode: 'no-cors' })` can send text/plain or no type without a preflight,
 * `application/json` it cannot.
 */
export function assertJsonType(type: string | undefined): void {
  if (!type || !/^application\/json\s*(;|$)/i.test(type)) throw new KefuError('unsupported_media_type', 'Send the body as Content-Type: application/json.');
}

export function parseJsonObject(text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new KefuError('invalid_json');
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new KefuError('validation_failed', 'The body must be a JSON object.');
  return value as Record<string, unknown>;
}

export function str(body: Record<string, unknown>, key: string, opts: { required?: boolean; max?: number } = {}): string | undefined {
  const v = body[key];
  if (v === undefined || v === null || v === '') {
    if (opts.required) throw new KefuError('validation_failed', `${key} is required`);
    return undefined;
  }
  if (typeof v !== 'string') throw new KefuError('validation_failed', `${key} must be a string`);
  if (opts.max && v.length > opts.max) throw new KefuError('validation_failed', `${key} is longer than ${opts.max} characters`);
  return v;
}
