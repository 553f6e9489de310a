import type Router from '@koa/router';
import type { Context } from 'koa';
import { KefuError } from '../../core/errors.js';
import { textOf, type Conversation, type Message, type Participant } from '../../core/model/message.js';
import type { TokenStore } from '../../core/store/store.js';
import type { MediaService } from '../../core/http/media.js';
import type { Middleware } from '../../core/bus/pipeline.js';
import { GcraRateLimiter } from '../../core/ratelimit/rate-limiter.js';
import { resolveQueue } from '../../core/routing/queue-resolver.js';
import { readJson, str } from '../../core/http/body.js';
import type { ChannelAdapter, ChannelContext, SendResult } from '../contract.js';
import { readArgs } from './parse.js';
import { ApiTokens, type Caller } from './tokens.js';
import { conversationFor, kefuToSlackError, METHODS, type MethodDeps } from './methods.js';
import { ApiError, toSlackMessage, tsOf } from './types.js';
import { EventDispatcher, verifyUrl } from './api.js';
import { newId } from '../../core/model/ids.js';
import type { DeliveryUpdate } from '../../core/model/delivery.js';
import { webhookTarget } from '../../core/outbox/webhook-target.js';

type BotConfig = ChannelContext extends { config(): infer C } ? C extends { channels: { api: { bots: (infer B)[] } } } ? B : never : never;

/**
 * The Slack-compatible surface: Web API methods under /api/, the reference push endpoint
 * /v1/messages, and the Events API (bots declared in [[channels.api.bots]] get Slack-shaped
 * events for the conversations they serve) plus outgoing webhooks. An existing Slack bot
 * migrates by changing its API base URL and its events URL.
 */
export class ApiChannel implements ChannelAdapter {
  readonly name = 'api';
  private ctx?: ChannelContext;
  private limiter = new GcraRateLimiter(0, 0);
  private limits: [number, number] = [0, 0];
  private dispatcher?: EventDispatcher;
  private verified = new Map<string, boolean>();
  private verifyTimer?: NodeJS.Timeout;
  private deps?: MethodDeps;
  private uploads: MethodDeps['uploads'] = new Map();
  readonly tokens: ApiTokens;

  /** Gateway services it needs beyond its ChannelContext: the token table and the hand-off policy. */
  constructor(private o: { tokens: TokenStore; handoff: (conv: Conversation, by: Participant) => Promise<void>; maxTextChars: () => number; media: MediaService }) {
    this.tokens = new ApiTokens(o.tokens, () => this.ctx?.config().channels.api.bots ?? []);
  }

  private cfg() { return this.context().config().channels.api; }

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
    this.deps = { ctx, media: this.o.media, maxTextChars: this.o.maxTextChars, handoff: this.o.handoff, uploads: this.uploads, botName: (c) => c.name };
    this.dispatcher = new EventDispatcher({ outbox: ctx.outbox, target: (t) => this.target(t), targets: () => this.targets() });
    ctx.outbox.handle(this.dispatcher);
    ctx.use('decide', this.decide);
    ctx.on('conversation', this.onConversation);
    ctx.on('message', this.onMessage);
    ctx.on('delivery', this.onDelivery);
    void this.verifyBots();
    this.verifyTimer = setInterval(() => void this.verifyBots(), 30_000);
    this.verifyTimer.unref();
  }

  reconfigure(): void {
    // New or changed bots get their url_verification now, not at the next periodic check.
    for (const b of this.cfg().bots) if (!this.verified.get(b.name)) void this.verifyBots();
  }

  async stop(): Promise<void> {
    // Listeners, middleware and the outbox handler registered through ctx stop with the channel.
    clearInterval(this.verifyTimer);
  }

  /** No customer conversation lives on this channel: a bot's replies go out on the customer's own channel. */
  async send(): Promise<SendResult> { return { sourceId: '', skipped: true }; }

  private context(): ChannelContext {
    if (!this.ctx) throw new KefuError('unavailable');
    return this.ctx;
  }

  /** Outbox targets of the bots and webhooks configured now; items of removed ones wait (visible in outbox metrics). */
  private targets(): string[] {
    const c = this.context().config();
    return [...c.channels.api.bots.map((b) => `bot:${b.name}`), ...c.webhooks.map((w) => webhookTarget(w.url))];
  }

  private target(name: string) {
    const [kind, id] = name.split(':');
    if (kind === 'bot') { const b = this.cfg().bots.find((x) => x.name === id); return b && { url: b.events_url, secret: b.signing_secret }; }
    const w = this.context().config().webhooks.find((x) => webhookTarget(x.url) === name);
    return w && { url: w.url, secret: w.secret };
  }

  private async verifyBots(): Promise<void> {
    for (const b of this.cfg().bots) {
      if (this.verified.get(b.name)) continue;
      const ok = await verifyUrl({ url: b.events_url, secret: b.signing_secret });
      this.verified.set(b.name, ok);
      this.ctx?.logger[ok ? 'info' : 'warn']({ bot: b.name, url: b.events_url }, ok ? 'bot events URL verified' : 'bot events URL did not answer the url_verification challenge; events are queued and retried');
    }
  }

  /** Which configured bot (if any) serves this conversation now. */
  private botFor(conv: Conversation, msg: Message, hint?: string): BotConfig | undefined {
    const bots = this.cfg().bots;
    if (bots.length === 0) return undefined;
    const queue = resolveQueue(this.context().config().routing, { hint, intent: conv.intent?.label ?? msg.intent?.label, text: textOf(msg.content) });
    return bots.find((b) => b.all || b.queues.includes(queue) || (!!msg.intent && b.intents.includes(msg.intent.label)));
  }

  /** decide: a conversation a bot serves goes to the bot (an event), not to the human queue. */
  private decide: Middleware = async (ctx, next) => {
    const conv = ctx.conversation;
    if (ctx.handled || conv.status === 'queued' || conv.status === 'assigned') return next();
    const bot = this.botFor(conv, ctx.message, ctx.inbound?.hints?.queue);
    if (!bot) return next();
    if (conv.status !== 'bot') await this.context().update(conv, { status: 'bot' }, 'updated');
    await this.dispatcher!.enqueue(`bot:${bot.name}`, conv.id, this.eventEnvelope(bot.name, conv, ctx.message));
    ctx.handled = true;
    return next();
  };

  private eventEnvelope(bot: string, conv: Conversation, m: Message) {
    const ts = tsOf(m);
    const sm = toSlackMessage(m, this.base(), undefined);
    return {
      token: 'kefu', team_id: 'T0KEFU', api_app_id: `A_${bot}`, type: 'event_callback', event_id: `Ev${m.id}`, event_time: Math.floor(m.sentAt.getTime() / 1000),
      authorizations: [{ team_id: 'T0KEFU', user_id: `B_${bot}`, is_bot: true, is_enterprise_install: false }],
      event: { type: 'message', channel: conv.id, channel_type: 'im', user: m.from.id, text: sm.text, ts, event_ts: ts,
        thread_ts: undefined as string | undefined, files: sm.files, client_msg_id: m.sourceId, kefu: { queue: conv.queue, intent: m.intent, customer: conv.customer } },
    };
  }

  private onConversation = (conv: Conversation, change: string) => {
    const event = change === 'created' ? 'conversation.created' : change === 'assigned' || change === 'transferred' ? 'conversation.assigned' : change === 'resolved' ? 'conversation.resolved' : undefined;
    if (event) this.webhook(event, conv.id, { conversation: { id: conv.id, channel: conv.ref.channel, status: conv.status, queue: conv.queue, assignee: conv.assigneeId, customer: conv.customer, tags: conv.tags } });
  };

  private onMessage = (m: Message, conv: Conversation) => {
    if (!m.editedAt && !m.private) this.webhook('message.created', conv.id, { channel: conv.id, message: toSlackMessage(m, this.base()) });
  };

  private onDelivery = (u: DeliveryUpdate) => {
    this.webhook('message.delivery', u.conversationId, { channel: u.conversationId, message_id: u.messageId,
      delivery: { state: u.state, vendor_id: u.vendorId, error: u.error, attempts: u.attempts, at: u.at } });
  };

  private webhook(event: string, key: string, data: object): void {
    const hooks = this.context().config().webhooks;
    hooks.forEach((h) => {
      if (!(h.events as string[]).includes(event)) return;
      // A server id per event: two events of one millisecond must not share an event_id.
      void this.dispatcher!.enqueue(webhookTarget(h.url), key, { type: event, event_id: `Ev${newId('E')}`, event_time: Math.floor(Date.now() / 1000), ...data })
        .catch((err) => this.ctx?.logger.error({ err }, 'webhook enqueue failed'));
    });
  }

  private base(ctx?: Context): string {
    const configured = this.context().config().server.public_url;
    return configured ? configured.replace(/\/$/, '') : ctx ? `${ctx.protocol}://${ctx.host}` : '';
  }

  private async caller(ctx: Context, argToken?: string): Promise<Caller> {
    const auth = ctx.get('authorization');
    return this.tokens.authenticate(auth.startsWith('Bearer ') ? auth.slice(7) : argToken);
  }

  private rateLimit(ctx: Context, caller: Caller): boolean {
    const cfg = this.cfg();
    if (cfg.rate_per_min !== this.limits[0] || cfg.burst !== this.limits[1]) { // a hot reload changed them
      this.limits = [cfg.rate_per_min, cfg.burst];
      this.limiter.configure(cfg.rate_per_min, cfg.burst);
    }
    const wait = this.limiter.take(caller.id);
    if (wait === 0) return true;
    ctx.status = 429;
    ctx.set('Retry-After', String(wait));
    ctx.body = { ok: false, error: 'ratelimited' };
    return false;
  }

  routes(router: Router): void {
    router.post('/api/files.upload/:fileId', async (ctx) => {
      const caller = await this.caller(ctx).catch(() => undefined);
      const u = this.uploads.get(ctx.params.fileId);
      if (!u || u.expires < Date.now() || (caller && caller.id !== u.caller)) { ctx.status = 404; ctx.body = 'unknown upload'; return; }
      const { args, file } = await readArgs(ctx, 64 * 1024, this.o.media.maxBytes()).catch((e) => { throw kefuApi(e); });
      const data = file?.data ?? (args.body !== undefined ? Buffer.from(args.body) : undefined);
      if (!data || data.length === 0) throw new KefuError('validation_failed', 'no file in the upload');
      u.attachment = await this.o.media.storeBuffer(data, u.filename, u.caller);
      ctx.type = 'text/plain';
      ctx.body = `OK - ${data.length}`;
    });

    const call = async (ctx: Context) => {
      const name = ctx.params.method as string;
      try {
        const method = Object.hasOwn(METHODS, name) ? METHODS[name] : undefined;
        if (!method) throw new ApiError('unknown_method');
        // A token in the header is checked before the body is read, and only such a caller may
        // send a body as large as an upload; a token in the body limits the body to max_body_bytes.
        const maxBody = this.context().config().server.max_body_bytes;
        const early = ctx.get('authorization') ? await this.caller(ctx) : undefined;
        const { args, file } = await readArgs(ctx, maxBody, early ? this.o.media.maxBytes() : maxBody);
        const caller = early ?? await this.caller(ctx, args.token);
        delete args.token;
        if (!this.rateLimit(ctx, caller)) return;
        if (method.scope && !caller.scopes.includes(method.scope)) throw new ApiError('missing_scope', { needed: method.scope, provided: caller.scopes.join(',') });
        ctx.body = await method.handler({ caller, args, file, base: this.base(ctx) }, this.deps!);
      } catch (err) {
        const e = kefuToSlackError(err);
        if (e.error === 'internal_error') this.ctx?.logger.error({ err, method: name }, 'api method failed');
        ctx.status = 200; // Slack's Web API answers errors with HTTP 200 and ok: false
        ctx.body = { ok: false, error: e.error, ...e.extra };
      }
    };
    router.post('/api/:method', call);
    router.get('/api/:method', call);

    // The reference system's push endpoint: {"channel": "<conversation id or tag>", "text": "…"}.
    router.post('/v1/messages', async (ctx) => {
      const caller = await this.caller(ctx).catch((e: ApiError) => { throw new KefuError(e.error === 'not_authed' ? 'unauthorized' : 'invalid_token'); });
      if (!this.rateLimit(ctx, caller)) return;
      if (!caller.scopes.includes('chat:write')) throw new KefuError('forbidden', 'The token lacks the chat:write scope.');
      const body = await readJson(ctx, this.context().config().server.max_body_bytes);
      const channel = str(body, 'channel', { required: true, max: 100 })!;
      const text = str(body, 'text', { required: true, max: this.o.maxTextChars() })!;
      let conv: Conversation;
      try { conv = await conversationFor(this.deps!, channel); } catch { throw new KefuError('conversation_not_found', `No conversation with id or tag "${channel}".`); }
      const res = await this.context().send({ conversationId: conv.id, from: { id: caller.id, role: 'bot', name: caller.name }, content: { kind: 'text', text },
        clientId: str(body, 'client_msg_id', { max: 64 }) });
      ctx.status = res.status === 'accepted' ? 201 : 200;
      ctx.body = { ok: true, channel: conv.id, ts: tsOf(res.message), id: res.message.id, seq: res.message.seq };
    });
  }
}

function kefuApi(e: unknown): KefuError {
  return e instanceof ApiError ? new KefuError(e.error === 'request_too_large' ? 'payload_too_large' : 'bad_request') : (e as KefuError);
}

