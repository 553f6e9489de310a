import Koa from 'koa';
import Router from '@koa/router';
import type { Logger } from 'pino';
import { errorMiddleware, securityHeaders } from './error-middleware.js';
import type { MediaService } from './media.js';
import type { ChannelRegistry } from '../../channels/registry.js';

/** Port 8000: what the internet reaches. Widget, demo page, channel webhooks and APIs. */
export function createPublicApp(d: { logger: Logger; channels: ChannelRegistry; media: MediaService }): Koa {
  const app = new Koa();
  const router = new Router();
  router.get('/healthz', (ctx) => { ctx.body = { ok: true }; });
  router.get('/media/:id', (ctx) => d.media.serve(ctx, ctx.params.id));
  // The widget is embedded on other origins: its endpoints answer CORS; credentials are
  // bearer tokens, never cookies, so allowing any origin exposes nothing.
  app.use(async (ctx, next) => {
    if (ctx.path.startsWith('/v1/visitor/')) {
      ctx.set('Access-Control-Allow-Origin', '*');
      ctx.set('Access-Control-Allow-Headers', 'Authorization, Content-Type');
      ctx.set('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
      if (ctx.method === 'OPTIONS') { ctx.status = 204; return; }
    }
    await next();
  });
  app.use(errorMiddleware(d.logger));
  app.use(securityHeaders());
  app.use(router.routes());
  app.use(d.channels.router.routes());
  return app;
}
