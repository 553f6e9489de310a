import type Router from '@koa/router';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Attachment, Conversation, InboundMessage, Message, Participant } from '../../core/model/message.js';
import { textOf } from '../../core/model/message.js';
import { KefuError } from '../../core/errors.js';
import { ChannelError, type ChannelAdapter, type ChannelContext, type HealthState, type SendOptions, type SendResult } from '../contract.js';
import type { Leader } from '../../core/cluster/cluster.js';
import { keepConnected } from '../kit/reconnect.js';
import { FeishuApi, loadLark, sdkLogger, type LarkSdk } from './api.js';
import { botCard, imageMessage, surveyCard, textMessage, uuidOf, type Composed } from './compose.js';
import { cardAction } from './card-action.js';
import { Contacts, within, type Employee } from './contacts.js';
import { HealthBoard } from './health.js';
import { openLongConnection, type Dispatcher } from './long-connection.js';
import { fromDispatched, parse, parseEvent, type FeishuMessage, type Parsed } from './parse.js';
import { appsOf, configSchema, type EventEnvelope, type FeishuApp, type FeishuConfig } from './types.js';
import { authentic, decrypt } from './verify.js';
import { withinLimit } from '../kit/text.js';

export interface FeishuOptions {
  /** The bus's one hand-off (ChannelServices.handoff): what a card's 转人工 button does. */
  handoff: (conv: Conversation, by: Participant) => Promise<void>;
  /**
   * Cluster seam: resolves when this node should hold an app's long connection (by app_id), with
   * a lease whose signal aborts when it no longer should. Feishu gives each event to one random
   * connection of the app (up to 50); cluster mode keeps one per app, so a node that cannot reach
   * the cluster's shared state is not handed events it could not coordinate. Default: at once, for good.
   */
  leader?: Leader;
}

const EVENTS = ['im.message.receive_v1', 'card.action.trigger'] as const;

/**
 * Feishu / Lark bots. Inbound: per app, the long connection (WSClient, no public URL needed) or
 * the webhook POST /channels/feishu/events/<app_id> (signature checked over the raw body here,
 * bodies decrypted, then dispatched by the SDK without its own re-serialized check). Outbound:
 * im.v1.message create/reply from the outbox with the message id as `uuid`; bot answers as cards
 * whose 转人工 button hands the conversation to a human. A conversation is one p2p chat, or one
 * member of a group chat (replies quote that member's last message).
 */
export class FeishuChannel implements ChannelAdapter {
  readonly name = 'feishu';
  readonly pushes = true;
  readonly configSchema = configSchema;
  private ctx?: ChannelContext;
  private lark?: LarkSdk;
  private health?: HealthBoard;
  private dispatchers = new Map<string, Dispatcher>();
  private bots = new Map<string, Promise<string | undefined>>();
  private loops?: AbortController;
  private loopKey = '';
  private api = new FeishuApi(() => this.settings().api_timeout_ms, (m) => this.ctx?.logger.warn({ sdk: m }, 'feishu sdk'));
  private contacts = new Contacts(this.api, () => this.ctx!.state,
    (err, openId) => this.ctx?.logger.warn({ err: (err as Error)?.message, openId }, 'feishu contact lookup failed (name and department not shown)'));

  constructor(private o: FeishuOptions) {}

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
    this.lark = await loadLark();
    this.health = new HealthBoard((state, detail) => ctx.reportHealth(state, detail));
    this.reconfigure();
  }

  async stop(): Promise<void> {
    this.loops?.abort();
    this.loops = undefined;
    this.loopKey = '';
    this.ctx = undefined;
    this.dispatchers.clear();
    this.bots.clear();
    this.api.close();
    this.contacts.clear();
  }

  private settings(): FeishuConfig {
    return configSchema.parse(this.ctx!.config().channels.feishu);
  }

  reconfigure(): void {
    const ctx = this.ctx;
    if (!ctx || !this.lark) return;
    const s = this.settings();
    const apps = appsOf(s);
    this.dispatchers = new Map(apps.map((a) => [a.app_id, this.dispatcherFor(this.lark!, a)]));
    for (const a of apps) void this.probe(a);
    const ws = apps.filter((a) => a.mode === 'websocket');
    const key = JSON.stringify([s.ping_timeout_s, ...ws.map((a) => [a.app_id, a.app_secret, a.domain])]);
    if (key === this.loopKey) return;
    // Credentials or the set of long-connection apps changed: those connections start over.
    this.loops?.abort();
    this.loopKey = key;
    this.loops = new AbortController();
    const signal = AbortSignal.any([ctx.signal, this.loops.signal]);
    const leader: Leader = this.o.leader ?? (async (_app, sig) => ({ signal: sig, fence: 0 }));
    for (const a of ws) {
      const dispatcher: Dispatcher = { invoke: (d, p) => this.dispatchers.get(a.app_id)?.invoke(d, p) ?? Promise.resolve(undefined) };
      const report = (st: HealthState, d?: string) => this.health?.connection(a.name, st, d);
      void (async () => {
        while (!signal.aborted) {
          const lease = await leader(a.app_id, signal, () => report('connected', 'standby: another node holds the long connection'));
          if (lease.signal.aborted) continue;
          await keepConnected({ signal: lease.signal, report,
            connect: (sig) => openLongConnection(a, { dispatcher, signal: sig, pingTimeoutS: s.ping_timeout_s, log: (m) => ctx.logger.warn({ app: a.name, sdk: m }, 'feishu long connection') }) });
        }
      })();
    }
  }

  /** The SDK's dispatcher for one app: it decrypts, the handlers below parse and act. */
  private dispatcherFor(lark: LarkSdk, app: FeishuApp): Dispatcher {
    const d = new lark.EventDispatcher({ encryptKey: app.encrypt_key || undefined, verificationToken: app.verification_token || undefined,
      logger: sdkLogger((m) => this.ctx?.logger.warn({ sdk: m }, 'feishu dispatcher')), loggerLevel: lark.LoggerLevel.warn });
    const handlers: Record<string, (data: unknown) => Promise<unknown>> = {};
    for (const type of EVENTS) handlers[type] = (data) => this.onEvent(app, fromDispatched(type, data));
    return d.register(handlers);
  }

  /** Whether the app's credentials work (a tenant token), and the bot's own open_id for @-mentions. */
  private async probe(app: FeishuApp): Promise<void> {
    try {
      await this.api.checkToken(app);
      this.apiWorks(app);
      await this.botId(app);
    } catch (err) {
      this.noteFailure(app, err);
      this.ctx?.logger.warn({ app: app.name, err: (err as Error).message }, 'feishu app check failed');
    }
  }

  /** The bot's open_id, asked once per app (again after a failure): a group event waits for it, within its 3 s. */
  private botId(app: FeishuApp): Promise<string | undefined> {
    let p = this.bots.get(app.app_id);
    if (!p) {
      p = this.api.botOpenId(app);
      this.bots.set(app.app_id, p);
      p.catch(() => this.bots.delete(app.app_id));
    }
    return p;
  }

  /** For a webhook app, the API answering is its "connection". */
  private apiWorks(app: FeishuApp): void {
    this.health?.tokenOk(app.name);
    if (app.mode === 'webhook') this.health?.connection(app.name, 'connected');
  }

  private noteFailure(app: FeishuApp, err: unknown): void {
    if (err instanceof ChannelError && err.code === 'auth_failed') this.health?.tokenFailed(app.name, err.detail);
    else if (app.mode === 'webhook' && err instanceof ChannelError && err.retryable) this.health?.connection(app.name, 'degraded', err.detail);
  }

  routes(router: Router): void {
    router.post('/channels/feishu/events/:app', async (koa) => {
      const ctx = this.ctx!;
      const s = this.settings();
      const app = appsOf(s).find((a) => a.app_id === koa.params.app && a.mode === 'webhook');
      if (!app) return ctx.rejectSignature('no webhook app with this app_id');
      const raw = await ctx.rawBody(koa);
      let body: Record<string, unknown>;
      try { body = JSON.parse(raw.toString('utf8')); } catch { throw new KefuError('invalid_json'); }
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new KefuError('bad_request', 'The body is not a JSON object.');
      const encrypted = typeof body.encrypt === 'string';
      const plain = encrypted ? (app.encrypt_key ? decrypt(app.encrypt_key, body.encrypt as string) : undefined) : raw.toString('utf8');
      if (plain === undefined) return ctx.rejectSignature('the body does not decrypt with this app\'s encrypt_key');
      const event = parse(plain);
      const h = { timestamp: koa.get('x-lark-request-timestamp'), nonce: koa.get('x-lark-request-nonce'), signature: koa.get('x-lark-signature') };
      const ok = authentic(app, h, raw, { challenge: event.kind === 'challenge', encrypted, token: 'token' in event ? event.token : undefined },
        Math.floor(Date.now() / 1000), s.max_skew_s);
      if (!ok) return ctx.rejectSignature();
      if (event.kind === 'challenge') { koa.body = { challenge: event.challenge }; return; }
      if (event.kind === 'invalid') throw new KefuError('bad_request', `Not a Feishu event we can read (${event.reason}).`);
      // Headers on the prototype, as the SDK's own adapters pass them (node-sdk#46); checked above already.
      const result = await this.dispatchers.get(app.app_id)!.invoke(Object.assign(Object.create({ headers: koa.headers }), body), { needCheck: false });
      koa.body = result && typeof result === 'object' ? result : {};
    });
  }

  /** One event of `app`, from either mode; resolves once it is stored (then the SDK or the route acknowledges it). */
  private async onEvent(app: FeishuApp, envelope: EventEnvelope): Promise<unknown> {
    const ctx = this.ctx;
    if (!ctx) throw new Error('the feishu channel is stopped'); // not acknowledged: Feishu pushes it again
    const group = (envelope.event as { message?: { chat_type?: unknown } } | undefined)?.message?.chat_type === 'group';
    const botOpenId = group ? await within(this.botId(app), 1000) : undefined;
    const p = parseEvent(envelope, { botOpenId });
    if ('appId' in p && p.appId && p.appId !== app.app_id) { ctx.logger.warn({ app: app.name, other: p.appId }, 'feishu event for another app ignored'); return undefined; }
    if (p.kind === 'message') await this.inbound(app, p);
    else if (p.kind === 'card_action') return this.cardAction(app, p);
    else if (p.kind === 'invalid') ctx.logger.warn({ app: app.name, reason: p.reason }, 'feishu event not understood');
    return undefined;
  }

  private refOf(app: FeishuApp, p: FeishuMessage) {
    return { channel: 'feishu', account: app.app_id, thread: p.chatType === 'p2p' ? p.chatId : `${p.chatId}:${p.openId}` };
  }

  private async inbound(app: FeishuApp, p: FeishuMessage): Promise<void> {
    const ctx = this.ctx!;
    const s = this.settings();
    if (p.chatType === 'group' && s.group_mentions_only && !p.addressed) return;
    const ref = this.refOf(app, p);
    // A re-push (same message) is stored once by ingest; skip the lookups and downloads too.
    const known = await ctx.store.findConversationByRef(ref);
    if (known && await ctx.store.findMessageBySource(known.id, p.messageId)) return;
    const who = s.contact_lookup ? this.contacts.lookup(app, p.openId, s.contact_timeout_ms, s.contact_cache_s) : undefined;
    const [employee, attachments] = await Promise.all([who?.now, this.imagesOf(app, p, s.media_timeout_ms)]);
    const missing = p.imageKeys.length - attachments.length;
    const note = missing > 0 ? `[${missing} image${missing > 1 ? 's' : ''} could not be fetched from Feishu]` : '';
    const caption = withinLimit([p.text, note].filter(Boolean).join('\n'), ctx.config().server.max_text_chars);
    const m: InboundMessage = { ref, customer: { externalId: p.openId, name: employee?.name }, sourceId: p.messageId, sentAt: p.sentAt,
      content: attachments.length ? { kind: 'media', attachments, caption: caption || undefined } : { kind: 'text', text: caption },
      meta: employee?.department ? { department: employee.department } : undefined };
    const r = await ctx.ingest(m);
    // A lookup slower than its budget still names the customer once it answers.
    if (who && !employee) void who.later.then((e) => this.applyLate(r.conversation.id, e)).catch((err) => ctx.logger.warn({ err }, 'feishu late contact update failed'));
  }

  private async applyLate(conversationId: string, e: Employee): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || (!e.name && !e.department)) return;
    const conv = await ctx.store.getConversation(conversationId);
    if (!conv) return;
    await ctx.update(conv, { customer: { ...conv.customer, name: e.name ?? conv.customer.name },
      meta: e.department ? { ...conv.meta, department: e.department } : conv.meta }, 'updated');
  }

  private async imagesOf(app: FeishuApp, p: FeishuMessage, timeoutMs: number): Promise<Attachment[]> {
    const ctx = this.ctx!;
    const signal = AbortSignal.timeout(timeoutMs);
    const got = await Promise.allSettled(p.imageKeys.map(async (key, i) =>
      ctx.media.storeBuffer(await this.api.image(app, p.messageId, key, ctx.media.maxBytes(), signal), `feishu-image-${i + 1}`, `feishu:${p.openId}`)));
    const out: Attachment[] = [];
    for (const r of got) {
      if (r.status === 'fulfilled') out.push(r.value);
      // One image that cannot be fetched in time must not lose the message: it is stored with a note.
      else ctx.logger.warn({ err: (r.reason as Error)?.message, messageId: p.messageId }, 'feishu image not fetched');
    }
    return out;
  }

  private cardAction(app: FeishuApp, p: Extract<Parsed, { kind: 'card_action' }>): Promise<object> {
    return cardAction(this.ctx!, app, p, { handoff: this.o.handoff, handoffToast: this.settings().handoff_toast });
  }

  async send(msg: Message, conv: Conversation, opts: SendOptions): Promise<SendResult> {
    if (msg.content.kind === 'event' && !msg.content.text) return { sourceId: '', skipped: true };
    const s = this.settings();
    const app = appsOf(s).find((a) => a.app_id === conv.ref.account);
    if (!app) throw new ChannelError('feishu', `No configured Feishu app ${conv.ref.account}.`, { retryable: false, code: 'no_app' });
    const [chatId] = conv.ref.thread.split(':');
    try {
      const composed = await this.compose(app, msg, conv, s);
      if (!composed) return { sourceId: '', skipped: true };
      const replyTo = conv.ref.thread.includes(':') ? await this.lastInbound(conv) : undefined;
      const id = await this.api.send(app, { chatId, replyTo, ...composed, uuid: uuidOf(opts.idempotencyKey) });
      this.apiWorks(app);
      return { sourceId: id };
    } catch (err) {
      this.noteFailure(app, err);
      throw err;
    }
  }

  private async compose(app: FeishuApp, msg: Message, conv: Conversation, s: FeishuConfig): Promise<Composed | undefined> {
    if (msg.content.kind === 'event' && msg.content.event === 'csat' && msg.content.survey) return surveyCard(msg.content.survey.question, conv.id);
    if (msg.content.kind !== 'media') {
      const text = textOf(msg.content);
      if (!text) return undefined;
      return msg.from.role === 'bot' && s.handoff_button ? botCard(text, conv.id, s.handoff_button) : textMessage(text);
    }
    const images = msg.content.attachments.filter((a) => a.kind === 'image').slice(0, 10);
    const base = this.ctx!.config().server.public_url.replace(/\/$/, '');
    // Files are named (with their link when there is a public URL): uploading files is not done yet.
    const others = msg.content.attachments.filter((a) => !images.includes(a)).map((a) => `[${a.name ?? a.kind}]${base ? ` ${base}/media/${a.mediaId}` : ''}`);
    const caption = [msg.content.caption ?? '', ...others].filter(Boolean).join('\n');
    const keys: string[] = [];
    for (const a of images) keys.push(await this.imageKey(app, a));
    return keys.length ? imageMessage(keys, caption) : caption ? textMessage(caption) : undefined;
  }

  /** Uploads an image once per app (its key kept in state): a retried send does not upload it again. */
  private async imageKey(app: FeishuApp, a: Attachment): Promise<string> {
    const ctx = this.ctx!;
    const key = `img:${app.app_id}:${a.mediaId}`;
    const known = await ctx.state.get(key);
    if (known) return known;
    let data: Buffer;
    // MediaService keeps a medium as <media_dir>/<id> (media_dir is read once at start, as there).
    try { data = await readFile(resolve(ctx.config().store.media_dir, a.mediaId)); } catch {
      throw new ChannelError('feishu', `The image ${a.name ?? a.mediaId} is no longer stored.`, { retryable: false, code: 'media_missing' });
    }
    const imageKey = await this.api.uploadImage(app, data);
    await ctx.state.set(key, imageKey);
    return imageKey;
  }

  /** The customer's latest message in a group conversation: replies quote it, so the group sees whom they answer. */
  private async lastInbound(conv: Conversation): Promise<string | undefined> {
    const msgs = await this.ctx!.store.listMessages(conv.id, { beforeSeq: Number.MAX_SAFE_INTEGER, limit: 50 });
    return msgs.filter((m) => m.direction === 'inbound' && m.sourceId).sort((a, b) => b.seq - a.seq)[0]?.sourceId;
  }
}
