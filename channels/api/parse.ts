import busboy from 'busboy';
import getRawBody from 'raw-body';
import type { Context } from 'koa';
import { ApiError } from './types.js';

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
  if (type.startsWith('multipart/form-data')) return readMultipart(ctx, args, maxBytes, maxFileBytes);
  let text: string;
  try {
    text = await getRawBody(ctx.req, { limit: maxBytes, encoding: 'utf8' });
  } catch (err) {
    if ((err as { type?: string }).type === 'entity.too.large') throw new ApiError('request_too_large');
    throw new ApiError('invalid_form_data');
  }
  if (!text) return { args };
  if (type.startsWith('application/json')) {
    let v: unknown;
    try { v = JSON.parse(text); } catch { throw new ApiError('invalid_arguments', { detail: 'body is not valid JSON' }); }
    if (!v || typeof v !== 'object' || Array.isArray(v)) throw new ApiError('invalid_arguments', { detail: 'body must be a JSON object' });
    for (const [k, val] of Object.entries(v)) if (val !== undefined && val !== null) args[k] = typeof val === 'string' ? val : JSON.stringify(val);
    return { args };
  }
  if (type === '' || type.startsWith('application/x-www-form-urlencoded') || type.startsWith('text/plain')) {
    for (const [k, v] of new URLSearchParams(text)) args[k] = v;
    return { args };
  }
  throw new ApiError('invalid_form_data', { detail: `unsupported content type ${type}` });
}

function readMultipart(ctx: Context, args: Args, maxBytes: number, maxFileBytes: number): Promise<{ args: Args; file?: UploadedFile }> {
  return new Promise((resolve, reject) => {
    let bb: busboy.Busboy;
    try {
      bb = busboy({ headers: ctx.req.headers, limits: { files: 1, fileSize: maxFileBytes, fieldSize: maxBytes, fields: 50 } });
    } catch {
      return reject(new ApiError('invalid_form_data'));
    }
    let file: UploadedFile | undefined;
    let tooLarge = false;
    bb.on('field', (k, v) => { args[k] = v; });
    bb.on('file', (field, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () => { tooLarge = true; });
      stream.on('end', () => { if (!tooLarge) file = { field, name: info.filename?.slice(0, 200), data: Buffer.concat(chunks) }; });
    });
    bb.on('error', () => reject(new ApiError('invalid_form_data')));
    bb.on('close', () => (tooLarge ? reject(new ApiError('request_too_large')) : resolve({ args, file })));
    ctx.req.pipe(bb);
  });
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
