import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type Router from '@koa/router';
import type { WebSocket } from 'ws';
import { KefuError } from '../../core/errors.js';
import type { Attachment, Content, Conversation, Message } from '../../core/model/message.js';
import { VisitorTokens } from '../../core/auth/visitor-token.js';
import { readJson } from '../../core/http/body.js';
import { clientAddress } from '../../core/http/client-address.js';
import type { QueueStatus } from '../../core/routing/assigner.js';
import { ChannelError, type ChannelAdapter, type ChannelContext, type SendOptions, type SendResult } from '../contract.js';
import { handleVisitorSocket, ingestFromVisitor, type VisitorScope } from '../web/visitor-socket.js';
import { VisitorResync } from '../web/visitor-resync.js';
import { VisitorLimits } from '../web/visitor-limits.js';
import type { LimiterFactory } from '../../core/ratelimit/rate-limiter.js';
import { visitorFromAuthorization } from '../web/verify.js';
import { deliverToWidgets, presenceToWidgets, queueToWidgets, typingToWidgets } from '../web/api.js';
import { toVisitorMessage } from '../web/types.js';
import { configSchema, type SpeechToText, type WechatIdentity, type WechatMpConfig } from './types.js';
import { tokenKeyFor, visitorIdFor } from './verify.js';
import { parseSessionBody, parseUploadFields } from './parse.js';
import { BAD_CODE, BAD_CREDENTIALS, HttpSpeechToText, jscode2session } from './api.js';

export interface WechatMpOptions {
  agentsOnline: () => number;
  /** The visitor rate limits' limiters (cluster mode: shared); in-process by default. */
  limiters?: LimiterFactory;
  /** A speech-to-text implementation of the embedder's; otherwise `[channels.wechat_mp] asr` decides. */
  asr?: SpeechToText;
}

/** How often open components are told whether an agent is online (only 0 ↔ >0 changes are sent). */
const PRESENCE_CHECK_MS = 2000;
const MAX_IDENTITIES = 10_000;

/**
 * The WeChat mini-program chat component's channel (component/ is the mini-program package).
 * Identity: the device's wx.login code → jscode2session → openid, turned into a stable visitor id
 * and a visitor token of this channel. Transport: the web widget's protocol (frames, acks,
 * resume by seq) on /ws/wechat-mp, uploads of images and voice over HTTP. Not a push channel:
 * components resume from the store.
 */
export class WechatMpChannel implements ChannelAdapter {
  readonly name = 'wechat_mp';
  readonly echoes = true;
  readonly configSchema = configSchema;
  private ctx?: ChannelContext;
  private sockets = new Map<string, Set<WebSocket>>();
  private limits?: VisitorLimits;
  private key?: Buffer;
  private tokens?: { appid: string; tokens: VisitorTokens };
  private identities = new Map<string, WechatIdentity>();
  private parsed?: { raw: unknown; config: WechatMpConfig };
  private presenceTimer?: NodeJS.Timeout;
  private lastOnline = false;

  /** Conversations of this channel: account = the appid, thread = the HMAC-derived visitor id. */
  readonly scope: VisitorScope = {
    ref: (visitorId) => ({ channel: 'wechat_mp', account: this.settings().appid, thread: visitorId }),
    name: (visitorId) => `WeChat user ${visitorId.slice(-4).toUpperCase()}`,
    meta: (visitorId) => this.metaOf(visitorId),
  };

  constructor(private opts: WechatMpOptions) {}

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
    this.key = await channelKey(ctx);
    const limits = (this.limits = new VisitorLimits(ctx.config(), this.opts.limiters));
    ctx.websocket('/ws/wechat-mp', (ws, req) => handleVisitorSocket(ws, { ctx, tokens: this.visitorTokens(), sockets: this.sockets, limits,
      agentsOnline: this.opts.agentsOnline, address: this.address(req), scope: this.scope }));
    const resync = new VisitorResync(ctx, this.sockets, this.scope);
    ctx.on('resync', () => void resync.request());
    this.presenceTimer = setInterval(() => this.presence(), PRESENCE_CHECK_MS);
    this.presenceTimer.unref();
  }

  reconfigure(): void {
    if (this.ctx) this.limits?.configure(this.ctx.config());
  }

  async stop(): Promise<void> {
    clearInterval(this.presenceTimer);
    this.limits?.close();
    // 1012 "service restart": the component reconnects and resumes from its last seq.
    for (const set of this.sockets.values()) for (const ws of set) ws.close(1012, 'restart');
    this.sockets.clear();
  }

  async send(msg: Message, conv: Conversation, _opts?: SendOptions): Promise<SendResult> {
    // A user without an open component gets the message on the next resume: it is stored.
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
    // wx.login code → a visitor token. The answer holds no openid, unionid, session_key or secret.
    router.post('/channels/wechat-mp/session', async (koa) => {
      const c = this.context();
      const s = this.settings();
      const p = parseSessionBody(await readJson(koa, 4096));
      if (p.kind === 'invalid') throw new KefuError('validation_failed', p.reason);
      await this.limiter().session(this.address(koa.req)); // each new session costs a jscode2session call
      const identity = await this.identify(s, p.code);
      const visitorId = visitorIdFor(this.key!, s.appid, identity.openid);
      await this.remember(visitorId, identity);
      const { token } = this.visitorTokens().issue(visitorId);
      const { conversation } = await c.history(this.scope.ref(visitorId), Number.MAX_SAFE_INTEGER, 1);
      koa.body = { ok: true, token, visitorId, name: this.scope.name(visitorId), conversationId: conversation?.id,
        lastSeq: conversation?.lastSeq ?? 0, agentsOnline: this.opts.agentsOnline() };
    });

    // Upload-and-send in one request (wx.uploadFile), idempotent on the clientId form field.
    router.post('/channels/wechat-mp/uploads/:kind', async (koa) => {
      const kind = koa.params.kind;
      if (kind !== 'image' && kind !== 'voice') throw new KefuError('not_found');
      const visitorId = visitorFromAuthorization(this.visitorTokens(), koa.get('authorization'));
      const c = this.context();
      const s = this.settings();
      await this.limiter().upload(visitorId, this.address(koa.req)); // before the body: a refused upload stores nothing
      const owner = `wechat_mp:${visitorId}`;
      const up = kind === 'voice' ? await c.media.acceptVoiceUploadWithFields(koa, owner, s.max_voice_bytes) : { ...await c.media.acceptImageUploadWithFields(koa, owner), data: undefined };
      const f = parseUploadFields(up.fields, s.max_voice_seconds * 1000);
      if (f.kind === 'invalid') throw new KefuError('validation_failed', f.reason);
      const { clientId, transcript, caption } = f.fields;
      const known = await this.stored(visitorId, clientId); // a retried upload: no second transcription
      const text = known ? undefined : up.data ? transcript ?? await this.transcribe(s, up.data, up.attachment) : caption;
      const content: Content = { kind: 'media', attachments: [up.attachment], caption: text };
      const res = await ingestFromVisitor(c, this.sockets, visitorId, { clientId, content, address: this.address(koa.req) }, this.limiter(), undefined, this.scope);
      koa.status = res.status === 'accepted' ? 201 : 200;
      koa.body = { ok: true, duplicate: res.status === 'duplicate' || undefined, attachment: up.attachment, message: toVisitorMessage(res.message) };
    });
  }

  /** jscode2session, its failures as errors the component can act on (and health an admin sees). */
  private async identify(s: WechatMpConfig, code: string): Promise<WechatIdentity> {
    const c = this.context();
    try {
      const id = await jscode2session(s.api_base, s.appid, s.secret, code, s.api_timeout_ms);
      c.reportHealth('connected');
      return id;
    } catch (err) {
      if (!(err instanceof ChannelError)) throw err;
      const errcode = Number(err.code);
      if (BAD_CODE.has(errcode)) throw new KefuError('invalid_login_code');
      if (errcode === 40226) throw new KefuError('forbidden', 'WeChat blocks this user from logging in (high-risk account).');
      if (errcode === 45011) throw new KefuError('rate_limited', 'Too many logins; retry in 60s.', { retryAfter: 60 });
      if (BAD_CREDENTIALS.has(errcode)) c.reportHealth('auth_failed', `jscode2session: ${err.code} (check appid and secret)`);
      else c.reportHealth('degraded', `jscode2session: ${err.code}`);
      c.logger.warn({ code: err.code, detail: err.detail }, 'wechat_mp login failed');
      throw new KefuError('vendor_unavailable');
    }
  }

  /** A voice message's transcript from the speech-to-text provider, if there is one; never fails the upload. */
  private async transcribe(s: WechatMpConfig, audio: Buffer, att: Attachment): Promise<string | undefined> {
    const asr = this.opts.asr ?? (s.asr ? new HttpSpeechToText(() => this.settings().asr!) : undefined);
    if (!asr) return undefined;
    try {
      return await asr.transcribe(audio, att.mime, { lang: s.asr?.lang ?? 'zh_CN', signal: AbortSignal.timeout(s.asr?.timeout_ms ?? 10_000) });
    } catch (err) {
      this.context().logger.warn({ err: (err as Error).message }, 'wechat_mp speech-to-text failed; voice kept without transcript');
      return undefined;
    }
  }

  private async stored(visitorId: string, clientId: string): Promise<boolean> {
    const store = this.context().store;
    const conv = await store.findConversationByRef(this.scope.ref(visitorId));
    return !!conv && !!(await store.findMessageBySource(conv.id, clientId));
  }

  /** Keeps openid/unionid durably (a restart must not lose them before the first message). */
  private async remember(visitorId: string, id: WechatIdentity): Promise<void> {
    const known = this.identities.get(visitorId);
    if (known && known.openid === id.openid && known.unionid === id.unionid) return;
    await this.context().state.set(`id:${visitorId}`, JSON.stringify(id));
    this.cache(visitorId, id);
  }

  /** Conversation meta for agents (and the later contacts merge); the component never sees it. */
  private async metaOf(visitorId: string): Promise<Record<string, string> | undefined> {
    let id = this.identities.get(visitorId);
    if (!id) {
      const raw = await this.context().state.get(`id:${visitorId}`);
      if (!raw) return undefined;
      this.cache(visitorId, (id = JSON.parse(raw) as WechatIdentity));
    }
    return { wechat_appid: this.settings().appid, wechat_openid: id.openid, ...(id.unionid ? { wechat_unionid: id.unionid } : {}) };
  }

  private cache(visitorId: string, id: WechatIdentity): void {
    if (this.identities.size >= MAX_IDENTITIES) this.identities.delete(this.identities.keys().next().value!);
    this.identities.set(visitorId, id);
  }

  /** Tokens of this channel and appid; a changed appid (another mini-program) invalidates the old ones. */
  private visitorTokens(): VisitorTokens {
    const appid = this.settings().appid;
    if (this.tokens?.appid !== appid) {
      this.tokens = { appid, tokens: new VisitorTokens(tokenKeyFor(this.key!, appid), this.context().config().auth.visitor_ttl_d * 86400) };
    }
    return this.tokens.tokens;
  }

  private presence(): void {
    const n = this.opts.agentsOnline();
    if ((n > 0) === this.lastOnline) return;
    this.lastOnline = n > 0;
    presenceToWidgets(this.sockets, n);
  }

  /** The slice, parsed once per config version (a reload gives a new object). */
  private settings(): WechatMpConfig {
    const raw = this.context().config().channels.wechat_mp;
    if (this.parsed?.raw !== raw) this.parsed = { raw, config: configSchema.parse(raw) };
    return this.parsed.config;
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
}

/** The channel's own random key (visitor ids, token signatures), made once and kept in its state. */
async function channelKey(ctx: ChannelContext): Promise<Buffer> {
  const kept = await ctx.state.get('key');
  if (kept) return Buffer.from(kept, 'base64');
  const key = randomBytes(32);
  await ctx.state.set('key', key.toString('base64'));
  return key;
}
