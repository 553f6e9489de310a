import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import { koaErrorLogger, errorMiddleware } from './error-middleware.js';
import type { MediaService } from './media.js';

const SECURITY = { 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'same-origin' };
// The widget is embedded on other origins: its endpoints answer CORS; credentials are bearer
// tokens, never cookies, so allowing any origin exposes nothing.
const CORS = { 'Access-Control-Allow-Origin': '*', 'Access-Control-Allow-Headers': 'Authorization, Content-Type', 'Access-Control-Allow-Methods': 'GET, POST, OPTIONS' };

const VISITOR = { ...CORS, ...SECURITY };

/** Headers every public answer carries (Koa routes and the JSON fast routes alike). */
export function publicHeaders(path: string): Record<string, string> {
  return path.startsWith('/v1/visitor/') ? VISITOR : SECURITY;
}

/** Port 8000: what the internet reaches. Widget, demo page, channel webhooks and APIs. */
/** `routes`: the channels' routes (the registry's router), so this module knows no channel. */
/** `pages`: core pages of the public port that are no channel's (the CSAT rating page). */
export function createPublicApp(d: { logger: Logger; routes: Koa.Middleware; media: MediaService; pages?: Koa.Middleware[] }): Koa {
  const app = new Koa();
  const router = new Router();
  router.get('/healthz', (ctx) => { ctx.body = { ok: true }; });
  router.get('/media/:id', (ctx) => d.media.serve(ctx, ctx.params.id));
  app.use(async (ctx, next) => {
    ctx.set(publicHeaders(ctx.path));
    if (ctx.method === 'OPTIONS' && ctx.path.startsWith('/v1/visitor/')) { ctx.status = 204; return; }
    await next();
  });
  app.on('error', koaErrorLogger(d.logger));
  app.use(errorMiddleware(d.logger));
  app.use(router.routes());
  for (const m of d.pages ?? []) app.use(m);
  app.use(d.routes);
  return app;
}
