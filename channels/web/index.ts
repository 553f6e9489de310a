import type Router from '@koa/router';
import type { Context } from 'koa';
import type { WebSocket } from 'ws';
import type { IncomingMessage } from 'node:http';
import { KefuError } from '../../core/errors.js';
import type { Conversation, Message } from '../../core/model/message.js';
import type { VisitorTokens } from '../../core/auth/visitor-token.js';
import { readJson, str } from '../../core/http/body.js';
import { serveAsset } from '../../core/http/static-assets.js';
import type { ChannelAdapter, ChannelContext, SendOptions, SendResult } from '../contract.js';
import type { JsonHandler } from '../../core/http/json-routes.js';
import type { QueueStatus } from '../../core/routing/assigner.js';
import { handleVisitorSocket, ingestFromVisitor, visitorName, webRef, webScope } from './visitor-socket.js';
import { VisitorResync } from './visitor-resync.js';
import { toVisitorMessage } from './types.js';
import { parseVisitorObject, textContent } from './parse.js';
import { VisitorLimits } from './visitor-limits.js';
import type { LimiterFactory } from '../../core/ratelimit/rate-limiter.js';
import { visitorFromAuthorization } from './verify.js';
import { deliverToWidgets, presenceToWidgets, queueToWidgets, typingToWidgets } from './api.js';
import { clientAddress } from '../../core/http/client-address.js';
import type { ContactService } from '../../core/contacts/contact-service.js';
import { checkIdentify } from './identify.js';
import { isShopVisitorId } from '../../core/contacts/identify-signature.js';

export interface WebChannelOptions {
  tokens: VisitorTokens;
  agentsOnline: () => number;
  /** Where `kefu.identify()` records who the visitor is (absent: identify answers 404). */
  contacts?: ContactService;
  /** The visitor rate limits' limiters (cluster mode: shared); in-process by default. */
  limiters?: LimiterFactory;
}

/**
 * The web chat widget's channel: visitor sessions (signed tokens), a WebSocket per open
 * widget, HTTP fallbacks for sending, uploads and history, and the widget/demo assets.
 */
export class WebChannel implements ChannelAdapter {
  readonly name = 'web';
  readonly echoes = true;
  private ctx?: ChannelContext;
  private sockets = new Map<string, Set<WebSocket>>();
  private lastOnline = false;
  private limits?: VisitorLimits;

  constructor(private opts: WebChannelOptions) {}

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
    this.limits = new VisitorLimits(ctx.config(), this.opts.limiters);
    const limits = this.limits;
    ctx.websocket('/ws/visitor', (ws, req) => handleVisitorSocket(ws, { ctx, tokens: this.opts.tokens, sockets: this.sockets, limits,
      agentsOnline: this.opts.agentsOnline, address: this.address(req) }));
    const resync = new VisitorResync(ctx, this.sockets, webScope);
    ctx.on('resync', () => void resync.request());
  }

  reconfigure(): void {
    if (this.ctx) this.limits?.configure(this.ctx.config());
  }

  async stop(): Promise<void> {
    this.limits?.close();
    // 1012 "service restart": the widget reconnects with backoff and resumes from its last seq.
    for (const set of this.sockets.values()) for (const ws of set) ws.close(1012, 'restart');
    this.sockets.clear();
  }

  get connectionCount(): number {
    let n = 0;
    for (const s of this.sockets.values()) n += s.size;
    return n;
  }

  /**
   * Tells open widgets whether anyone is there to answer. Only the 0 ↔ >0 transitions are
   * sent: a busy team changing status must not fan out to every idle visitor socket.
   */
  presence(agentsOnline: number): void {
    const online = agentsOnline > 0;
    if (online === this.lastOnline) return;
    this.lastOnline = online;
    presenceToWidgets(this.sockets, agentsOnline);
  }

  async send(msg: Message, conv: Conversation, _opts?: SendOptions): Promise<SendResult> {
    // A visitor without an open widget gets the message on the next resume: it is stored.
    deliverToWidgets(this.sockets.get(conv.ref.thread), msg);
    return { sourceId: msg.id };
  }

  async queueStatus(conv: Conversation, s: QueueStatus): Promise<void> {
    queueToWidgets(this.sockets.get(conv.ref.thread), s);
  }

  async typing(conv: Conversation, signal: { from: { role: string; name?: string } }): Promise<void> {
    typingToWidgets(this.sockets.get(conv.ref.thread), signal.from);
  }

  routes(router: Router): void {
    const csp = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self' ws: wss:";
    router.get('/widget.js', (ctx) => serveAsset(ctx, 'widget.js', { maxAge: 300 }));
    router.get('/demo', (ctx) => serveAsset(ctx, 'demo.html', { maxAge: 60, csp }));
    router.get('/', (ctx) => ctx.redirect('/demo'));

    router.post('/v1/visitor/session', async (ctx) => {
      const body = await readJson(ctx, 4096);
      const previous = this.opts.tokens.verify(str(body, 'token', { max: 256 }));
      // Refreshing a known visitor is free; minting new ones is limited per address.
      if (!previous) await this.limiter().session(this.address(ctx.req));
      const { token, visitorId } = this.opts.tokens.issue(previous);
      const { conversation } = await this.context().history(webRef(visitorId), Number.MAX_SAFE_INTEGER, 1);
      ctx.body = { ok: true, token, visitorId, name: visitorName(visitorId), conversationId: conversation?.id, lastSeq: conversation?.lastSeq ?? 0,
        agentsOnline: this.opts.agentsOnline(), widget: this.widgetDefaults() };
    });

    // kefu.identify(): a signed shop id moves the visitor to the one all the user's devices share
    // (a new token for it: same conversation, same history); anything unsigned is recorded as unverified.
    router.post('/v1/visitor/identify', async (ctx) => {
      const visitorId = this.visitor(ctx);
      const contacts = this.opts.contacts;
      if (!contacts) throw new KefuError('not_found');
      const wait = await this.limiter().hello(visitorId);
      if (wait > 0) throw new KefuError('rate_limited', `Too many identify calls; retry in ${wait}s.`, { retryAfter: wait });
      const claims = checkIdentify(await readJson(ctx, 8192), this.context().config().channels.web.identity_secret);
      const target = claims.sharedVisitorId ?? visitorId;
      // Only an anonymous visitor is proven to be this user: another shop user's visitor (a shared
      // computer, a new login) stays that user's.
      await contacts.identify(`web:${target}`, claims, isShopVisitorId(visitorId) ? undefined : `web:${visitorId}`);
      const fresh = claims.sharedVisitorId && claims.sharedVisitorId !== visitorId ? this.opts.tokens.issue(claims.sharedVisitorId) : undefined;
      ctx.body = { ok: true, verified: !!claims.sharedVisitorId, visitorId: target, token: fresh?.token };
    });

    router.get('/v1/visitor/messages', async (ctx) => {
      const visitorId = this.visitor(ctx);
      const after = Number(ctx.query.after ?? 0);
      if (!Number.isInteger(after) || after < 0) throw new KefuError('validation_failed', 'after must be a non-negative integer');
      const { messages } = await this.context().history(webRef(visitorId), after, 200);
      ctx.body = { ok: true, messages: messages.map(toVisitorMessage) };
    });

    // Upload an image; with a `clientId` field it is also sent as an image message in the same
    // request (one round trip instead of two; idempotent on the clientId like any send).
    router.post('/v1/visitor/uploads', async (ctx) => {
      const visitorId = this.visitor(ctx);
      const c = this.context();
      await this.limiter().upload(visitorId, this.address(ctx.req)); // before the body: a refused upload stores nothing
      const { attachment, fields } = await c.media.acceptImageUploadWithFields(ctx, `web:${visitorId}`);
      let message;
      if (fields.clientId !== undefined) {
        const parsed = parseVisitorObject({ type: 'send', clientId: fields.clientId, attachments: [{ mediaId: attachment.mediaId }], caption: fields.caption });
        if (parsed.kind === 'invalid') throw new KefuError(parsed.code, parsed.message);
        const res = await ingestFromVisitor(c, this.sockets, visitorId, { clientId: fields.clientId, address: this.address(ctx.req),
          content: { kind: 'media', attachments: [attachment], caption: fields.caption || undefined } }, this.limiter());
        message = toVisitorMessage(res.message);
      }
      ctx.status = 201;
      ctx.body = { ok: true, attachment, message };
    });
  }

  jsonRoutes(): Record<string, JsonHandler> {
    return {
      // HTTP send: for pages that cannot keep a WebSocket, and for integrations; same rules as the socket.
      '/v1/visitor/messages': async ({ req, headers, body }) => {
        const visitorId = this.visitorFrom(headers.authorization);
        const c = this.context();
        const parsed = parseVisitorObject({ ...body, type: 'send' });
        if (parsed.kind === 'invalid') throw new KefuError(parsed.code, parsed.message);
        const f = parsed.frame as Extract<typeof parsed.frame, { type: 'send' }>;
        const content = f.text !== undefined ? textContent(f.text)
          : { kind: 'media' as const, attachments: await c.media.resolveAttachments(f.attachments), caption: f.caption };
        const res = await ingestFromVisitor(c, this.sockets, visitorId, { clientId: f.clientId, content, address: this.address(req),
          queue: typeof body.queue === 'string' && /^[a-z0-9_-]{1,40}$/.test(body.queue) ? body.queue : undefined }, this.limiter());
        return { status: res.status === 'accepted' ? 201 : 200,
          body: { ok: true, duplicate: res.status === 'duplicate' || undefined, message: toVisitorMessage(res.message) } };
      },
    };
  }

  private context(): ChannelContext {
    if (!this.ctx) throw new KefuError('unavailable');
    return this.ctx;
  }

  private limiter(): VisitorLimits {
    if (!this.limits) throw new KefuError('unavailable');
    return this.limits;
  }

  private address(req: IncomingMessage): string {
    return clientAddress(req, this.context().config().server.trusted_proxies);
  }

  /** `[channels.web]` title, welcome and color: the widget's defaults; its data-* attributes override them. */
  private widgetDefaults(): { title?: string; welcome?: string; color?: string } {
    const w = this.context().config().channels.web;
    return { title: w.title, welcome: w.welcome, color: w.color }; // unset keys stay out of the JSON
  }

  private visitor(ctx: Context): string {
    return this.visitorFrom(ctx.get('authorization'));
  }

  private visitorFrom(auth: string | undefined): string {
    return visitorFromAuthorization(this.opts.tokens, auth);
  }
}
