import type { Context, Next } from 'koa';
import type { Logger } from 'pino';
import { toKefuError } from '../errors.js';

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
      const e = toKefuError(err);
      if (e.status >= 500) logger.error({ err, path: ctx.path }, 'request failed');
      ctx.status = e.status;
      if (typeof e.details?.retryAfter === 'number') ctx.set('Retry-After', String(e.details.retryAfter));
      ctx.body = { ok: false, error: e.toJSON() };
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
