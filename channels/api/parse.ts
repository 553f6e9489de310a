import getRawBody from 'raw-body';
import type { Context } from 'koa';
import { ApiError } from './types.js';
import type { KefuError } from '../../core/errors.js';
import { readMultipart } from '../../core/http/multipart.js';

export type Args = Record<string, string>;
export interface UploadedFile { field: string; name?: string; data: Buffer }

/**
 * Reads a Web API call's arguments the way Slack accepts them: query string, form-urlencoded
 * (what Slack's SDKs send), JSON, or multipart. Values stay strings (JSON values that are not
 * strings are re-encoded as JSON, as Slack's SDKs do for arrays/objects).
 */
export async function readArgs(ctx: Context, maxBytes: number, maxFileBytes: number): Promise<{ args: Args; file?: UploadedFile }> {
  const args: Args = {};
  for (const [k, v] of Object.entries(ctx.query)) if (typeof v === 'string') args[k] = v;
  if (ctx.method !== 'POST') return { args };
  const type = (ctx.get('content-type') || '').toLowerCase();
  if (type.startsWith('multipart/form-data')) return readForm(ctx, args, maxBytes, maxFileBytes);
  let text: string;
  try {
    text = await getRawBody(ctx.req, { limit: maxBytes, encoding: 'utf8' });
  } catch (err) {
    if ((err as { type?: string }).type === 'entity.too.large') throw new ApiError('request_too_large');
    throw new ApiError('invalid_form_data');
  }
  const parsed = parseBody(type, text);
  if (parsed.kind === 'invalid') throw new ApiError(parsed.error, { detail: parsed.detail });
  return { args: Object.assign(args, parsed.args) };
}

/**
 * Pure: a Web API call's body as Slack accepts it (JSON, form-urlencoded, text/plain forms) →
 * string arguments. Never throws. JSON values that are not strings are re-encoded as JSON, as
 * Slack's SDKs do for arrays and objects.
 */
export function parseBody(type: string, text: string): { kind: 'args'; args: Args } | { kind: 'invalid'; error: 'invalid_arguments' | 'invalid_form_data'; detail: string } {
  const args: Args = {};
  if (!text) return { kind: 'args', args };
  if (type.startsWith('application/json')) {
    let v: unknown;
    try { v = JSON.parse(text); } catch { return { kind: 'invalid', error: 'invalid_arguments', detail: 'body is not valid JSON' }; }
    if (!v || typeof v !== 'object' || Array.isArray(v)) return { kind: 'invalid', error: 'invalid_arguments', detail: 'body must be a JSON object' };
    // Re-encoding a value recurses: a hostile body nested 10,000 deep would overflow the stack.
    if (nestsDeeper(v, MAX_JSON_DEPTH)) return { kind: 'invalid', error: 'invalid_arguments', detail: `arguments nest deeper than ${MAX_JSON_DEPTH} levels` };
    for (const [k, val] of Object.entries(v)) if (val !== undefined && val !== null) args[k] = typeof val === 'string' ? val : JSON.stringify(val);
    return { kind: 'args', args };
  }
  if (type === '' || type.startsWith('application/x-www-form-urlencoded') || type.startsWith('text/plain')) {
    try {
      for (const [k, v] of new URLSearchParams(text)) args[k] = v;
    } catch { return { kind: 'invalid', error: 'invalid_form_data', detail: 'not a form' }; }
    return { kind: 'args', args };
  }
  return { kind: 'invalid', error: 'invalid_form_data', detail: `unsupported content type ${type}` };
}

async function readForm(ctx: Context, args: Args, maxBytes: number, maxFileBytes: number): Promise<{ args: Args; file?: UploadedFile }> {
  try {
    const form = await readMultipart(ctx.req, { fileBytes: maxFileBytes, fieldBytes: maxBytes, fields: 50, totalBytes: maxFileBytes + maxBytes });
    Object.assign(args, form.fields);
    return { args, file: form.file };
  } catch (err) {
    throw new ApiError((err as KefuError).code === 'payload_too_large' ? 'request_too_large' : 'invalid_form_data');
  }
}

export function required(args: Args, key: string): string {
  const v = args[key];
  if (v === undefined || v === '') throw new ApiError('invalid_arguments', { detail: `${key} is required` });
  return v;
}

export function intArg(args: Args, key: string, def: number, min: number, max: number): number {
  if (args[key] === undefined || args[key] === '') return def;
  const n = Number(args[key]);
  if (!Number.isInteger(n)) throw new ApiError('invalid_arguments', { detail: `${key} must be an integer` });
  return Math.min(max, Math.max(min, n));
}

export function jsonArg<T>(args: Args, key: string): T | undefined {
  if (args[key] === undefined || args[key] === '') return undefined;
  try { return JSON.parse(args[key]) as T; } catch { throw new ApiError('invalid_arguments', { detail: `${key} must be JSON` }); }
}

/** Deeper than anything Slack accepts (Block Kit nests a handful of levels). */
export const MAX_JSON_DEPTH = 32;

/** True when `v` nests deeper than `max` arrays/objects (walked without recursion: the input is hostile). */
export function nestsDeeper(v: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, depth] = stack.pop()!;
    if (!x || typeof x !== 'object') continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(x) ? x : Object.values(x)) stack.push([child, depth + 1]);
  }
  return false;
}
