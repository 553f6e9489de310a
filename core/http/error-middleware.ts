import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { toKefuError } from '../errors.js';

/** Any thrown error as the answer every endpoint gives: catalogue status, `{ ok: false, error }`, Retry-After. */
export function errorReply(err: unknown, logger: Logger, path: string): { status: number; body: unknown; headers: Record<string, string> } {
  const e = toKefuError(err);
  if (e.status >= 500) logger.error({ err, path }, 'request failed');
  const headers: Record<string, string> = typeof e.details?.retryAfter === 'number' ? { 'Retry-After': String(e.details.retryAfter) } : {};
  return { status: e.status, body: { ok: false, error: e.toJSON() }, headers };
}

/** Maps any thrown error to `{ ok: false, error: { code, message, … } }` with its catalogue status. */
export function errorMiddleware(logger: Logger) {
  return async (ctx: Context, next: Next) => {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { ok: false, error: { code: 'not_found', message: 'Not found.' } };
      }
    } catch (err) {
      const r = errorReply(err, logger, ctx.path);
      ctx.status = r.status;
      ctx.set(r.headers);
      ctx.body = r.body;
    }
  };
}

export function securityHeaders() {
  return async (ctx: Context, next: Next) => {
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('Referrer-Policy', 'same-origin');
    await next();
  };
}

/**
 * Koa's own error channel: errors after the answer has started (a client that hangs up or sends
 * a malformed request mid-response). Koa's default prints them to stderr; here they go to the
 * log, at debug when the client caused them.
 */
export function koaErrorLogger(logger: Logger) {
  return (err: Error & { code?: string; expose?: boolean }) => {
    const clientSide = err.expose || err.code === 'ECONNRESET' || err.code === 'EPIPE' || err.code === 'ERR_STREAM_PREMATURE_CLOSE' || /^HPE_|Parse Error/.test(`${err.code ?? ''}${err.message}`);
    logger[clientSide ? 'debug' : 'warn']({ err }, 'request stream error');
  };
}
