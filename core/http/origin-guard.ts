import type { IncomingHttpHeaders } from 'node:http';
import type { Context, Next } from 'koa';
import { KefuError } from '../errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Whether a request to the workspace port comes from the workspace's own pages (or an origin
 * the operator listed in `[server] workspace_origins`).
 *
 * SameSite=Strict is not enough: a page on another port of the same host, or any page of the
 * shop's own domain (`shop.example.com` beside `kefu.example.com`), is "same-site" and its
 * requests carry the session cookie. Browsers name the page that made a request in `Origin`
 * (on every POST and every WebSocket handshake) and in `Sec-Fetch-Site`; a request that names
 * neither is not from a browser page and carries no ambient credentials worth forging.
 */
export function fromOwnOrigin(headers: IncomingHttpHeaders, allowed: readonly string[]): boolean {
  const origin = headers.origin;
  if (origin !== undefined) {
    let url: URL;
    try { url = new URL(origin); } catch { return false; } // "null" (sandboxed frames, file:) lands here
    if (allowed.some((a) => sameOrigin(a, url.origin))) return true;
    // The scheme is not compared: behind a TLS proxy the page is https and the request arrives as
    // http. A proxy that rewrites Host needs the public origin in `workspace_origins`.
    return url.host !== '' && url.host === headers.host?.toLowerCase();
  }
  const site = headers['sec-fetch-site'];
  return site === undefined || site === 'same-origin' || site === 'none';
}

/** Koa middleware: state-changing requests only from the workspace's own origin (403 `forbidden_origin`). */
export function originGuard(allowed: () => readonly string[]) {
  return async (ctx: Context, next: Next) => {
    if (!SAFE_METHODS.has(ctx.method) && !fromOwnOrigin(ctx.req.headers, allowed())) {
      throw new KefuError('forbidden_origin', 'Requests that change state are accepted only from the workspace\'s own pages.');
    }
    await next();
  };
}

/** A configured origin as the browser would send it (`https://X/` and `https://x` are the same). */
function sameOrigin(configured: string, origin: string): boolean {
  try { return new URL(configured).origin === origin; } catch { return false; }
}
