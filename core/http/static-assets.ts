import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { pkgPath } from '../paths.js';
import { gzipSync } from 'node:zlib';
import type { Context } from 'koa';
import { KefuError } from '../errors.js';

/** Built front-end bundles (widget, workspace, demo) live in dist/public, made by `npm run build`. */
export const ASSET_DIR = pkgPath('dist', 'public') + '/';

interface Asset { body: Buffer; gzip: Buffer; etag: string; type: string }
const cache = new Map<string, Asset>();

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8', '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png',
};

function load(name: string): Asset {
  let a = cache.get(name);
  if (!a) {
    let body: Buffer;
    try {
      body = readFileSync(ASSET_DIR + name);
    } catch {
      throw new KefuError('not_found', `Asset ${name} is missing; run "npm run build".`);
    }
    const ext = name.slice(name.lastIndexOf('.'));
    a = { body, gzip: gzipSync(body), etag: `"${createHash('sha1').update(body).digest('base64url')}"`, type: TYPES[ext] ?? 'application/octet-stream' };
    cache.set(name, a);
  }
  return a;
}

/** Serves a bundled asset from memory, gzipped when the client accepts it, with an ETag. */
export function serveAsset(ctx: Context, name: string, opts: { maxAge?: number; csp?: string } = {}): void {
  const a = load(name);
  ctx.set('ETag', a.etag);
  ctx.set('Cache-Control', `public, max-age=${opts.maxAge ?? 300}`);
  ctx.set('Vary', 'Accept-Encoding');
  if (opts.csp) ctx.set('Content-Security-Policy', opts.csp);
  ctx.type = a.type;
  if (ctx.get('if-none-match') === a.etag) { ctx.status = 304; return; }
  if (ctx.acceptsEncodings('gzip', 'identity') === 'gzip') {
    ctx.set('Content-Encoding', 'gzip');
    ctx.body = a.gzip;
  } else {
    ctx.body = a.body;
  }
}
