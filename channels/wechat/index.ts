import type Router from '@koa/router';
import type { Context } from 'koa';
import { KefuError } from '../../core/errors.js';
import type { Attachment, Conversation, InboundMessage, Message } from '../../core/model/message.js';
import { ChannelError, type ChannelAdapter, type ChannelContext, type SendOptions, type SendResult } from '../contract.js';
import { accountsOf, configSchema, type CustomMessage, type WechatAccount, type WechatConfig } from './types.js';
import { decrypt, SignedUrls, verifyMsgSignature, verifySignature } from './verify.js';
import { parse, readFields, type Parsed } from './parse.js';
import { withinLimit } from '../kit/text.js';
import { allowedHost, fetchPicture, WechatApi } from './api.js';
import { AccessTokens } from './tokens.js';
import type { SharedSecrets } from '../../core/cluster/cluster.js';
import { left, META, metaOf, opened, windowOf } from './window.js';
import { partsOf, windowError, type Part } from './outbound.js';

type Inbound = Extract<Parsed, { kind: 'message' | 'enter' }>;
/** How far a push's signed timestamp may be from our clock (WeChat's retries come within seconds). */
const MAX_SKEW_MS = 5 * 60_000;
const one = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const ownValue = (map: Record<string, string>, key: string): string | undefined => (Object.hasOwn(map, key) ? map[key] : undefined);

/**
 * WeChat customer-service messages: chats opened from a mini-program's `contact` button and a
 * service account's (公众号) customer-service messages. Inbound: WeChat's message push to
 * /channels/wechat/<appid> (GET: URL verification; POST: JSON or XML, plain or AES safe mode).
 * Outbound: cgi-bin/message/custom/send from the outbox, within WeChat's reply window.
 */
export class WechatChannel implements ChannelAdapter {
  readonly name = 'wechat';
  readonly pushes = true;
  readonly configSchema = configSchema;
  private ctx?: ChannelContext;
  /** The clock the reply window, token expiry and timestamp checks use; tests replace it (no sleeps). */
  now: () => number;
  private api = new WechatApi(() => this.settings().api_base, () => this.settings().api_timeout_ms);
  private tokens: AccessTokens;
  /** Pushes being stored, by appid + source id: a WeChat retry waits for the first instead of fetching the image again. */
  private storing = new Map<string, Promise<void>>();
  /** Plain-mode URLs already used, each with its body: a URL copied from a log cannot bring another. */
  private signedUrls = new SignedUrls(2 * MAX_SKEW_MS);
  /** Appids whose token call was refused for good (shown as auth_failed until one succeeds). */
  private authFailed = new Set<string>();

  /** `shared`: cluster mode's shared state, where the access tokens live and one node at a time refreshes them. */
  constructor(o: { now?: () => number; shared?: SharedSecrets } = {}) {
    this.now = o.now ?? Date.now;
    this.tokens = new AccessTokens(() => this.ctx!.state, this.api, () => this.now(), o.shared);
  }

  async start(ctx: ChannelContext): Promise<void> { this.ctx = ctx; }
  async stop(): Promise<void> { this.ctx = undefined; this.tokens.clear(); this.authFailed.clear(); }

  private settings(): WechatConfig {
    return configSchema.parse(this.ctx!.config().channels.wechat);
  }

  private account(appid: string): WechatAccount | undefined {
    return accountsOf(this.settings()).find((a) => a.appid === appid);
  }

  routes(router: Router): void {
    router.get('/channels/wechat/:appid', (koa) => this.verifyUrl(koa));
    router.post('/channels/wechat/:appid', (koa) => this.push(koa));
  }

  /** The console's 消息推送 check: a signed GET whose echostr is answered as is. */
  private verifyUrl(koa: Context): void {
    const ctx: ChannelContext = this.ctx!;
    const a = this.account(String(koa.params.appid));
    const q = koa.query;
    if (!a || !verifySignature(a.token, one(q.timestamp), one(q.nonce), one(q.signature))) ctx.rejectSignature();
    const echostr = one(q.echostr) ?? '';
    if (!/^[\w-]{1,128}$/.test(echostr)) throw new KefuError('bad_request', 'echostr is missing or malformed');
    koa.type = 'text/plain';
    koa.body = echostr;
  }

  /** Checks and opens one push: its signature (msg_signature in safe mode), its format, its body. */
  private async opened(koa: Context, a: WechatAccount): Promise<Parsed> {
    const ctx: ChannelContext = this.ctx!;
    const q = koa.query;
    const [timestamp, nonce] = [one(q.timestamp), one(q.nonce)];
    // A plain-mode signature does not cover the body: a captured URL must not take other bodies for long.
    if (Math.abs(Number(timestamp) * 1000 - this.now()) > MAX_SKEW_MS || !/^\d{1,10}$/.test(timestamp ?? '')) ctx.rejectSignature('the timestamp is missing or more than 5 minutes off');
    const aes = one(q.encrypt_type) === 'aes';
    if (!aes) {
      if (a.safe_mode) ctx.rejectSignature('the account is in safe mode: plain pushes are refused');
      if (!verifySignature(a.token, timestamp, nonce, one(q.signature))) ctx.rejectSignature();
    }
    const raw = (await ctx.rawBody(koa, this.settings().max_body_bytes)).toString('utf8');
    const first = raw.trimStart()[0];
    if (first !== (a.format === 'xml' ? '<' : '{')) {
      throw new KefuError('unsupported_media_type', `The account's pushes are configured as ${a.format.toUpperCase()} (数据格式); this body is not.`);
    }
    if (!aes) {
      if (!this.signedUrls.bind(`${a.appid}\n${timestamp}\n${nonce}`, raw, this.now())) ctx.rejectSignature('this signed URL came with another body before');
      return parse(raw);
    }
    const encrypt = readFields(raw)?.Encrypt;
    if (!a.encoding_aes_key) ctx.rejectSignature('a safe-mode push, but no encoding_aes_key is configured');
    if (!encrypt || !verifyMsgSignature(a.token, timestamp, nonce, encrypt, one(q.msg_signature))) ctx.rejectSignature();
    const plain = decrypt(a.encoding_aes_key, encrypt, a.appid);
    if (plain === undefined) ctx.rejectSignature('the Encrypt does not open with this EncodingAESKey and appid');
    return parse(plain);
  }

  private async push(koa: Context): Promise<void> {
    const ctx: ChannelContext = this.ctx!;
    const a = this.account(String(koa.params.appid));
    if (!a) ctx.rejectSignature('no configured account has this appid');
    const event = await this.opened(koa, a);
    if (event.kind === 'invalid' || event.kind === 'encrypted') throw new KefuError('bad_request', `Not a WeChat push: ${event.kind === 'invalid' ? event.reason : 'nested Encrypt'}`);
    if (event.kind !== 'unsupported') await this.once(a, event);
    // Only now: the message is durable. A slower store makes WeChat retry (at 5 s), and the retry is deduped.
    koa.type = 'text/plain';
    koa.body = 'success';
  }

  private once(a: WechatAccount, p: Inbound): Promise<void> {
    const key = `${a.appid}\u0000${p.sourceId}`;
    let job = this.storing.get(key);
    if (!job) {
      job = this.inbound(a, p);
      this.storing.set(key, job);
      const done = () => { this.storing.delete(key); };
      job.then(done, done);
    }
    return job;
  }

  private async inbound(a: WechatAccount, p: Inbound): Promise<void> {
    const ctx = this.ctx!;
    const ref = { channel: 'wechat', account: a.appid, thread: p.from };
    const conv = await ctx.store.findConversationByRef(ref);
    // A retry of what is stored already: not even the window is touched (it would reset the count).
    if (conv && await ctx.store.findMessageBySource(conv.id, p.sourceId)) return;
    const now = this.now();
    const at = Math.min(p.at * 1000, now);
    // WeChat gives up after three retries within ~15 s, well inside a per-minute quota: a refused
    // push would be lost, so past the quota it is kept (without the bot), as SMS does.
    const base = { ref, customer: { externalId: p.from }, sourceId: p.sourceId, sentAt: new Date(at), keepOverQuota: true };
    if (p.kind === 'enter') {
      const w = opened(windowOf(conv?.meta), 'enter', at, now);
      await ctx.ingest({ ...base, hints: { queue: this.queueFor(a, p.sessionFrom) },
        content: { kind: 'event', event: 'join', text: p.sessionFrom ? `Opened the chat from "${p.sessionFrom}"` : 'Opened the chat' },
        meta: { ...metaOf(w), [META.sessionFrom]: p.sessionFrom } });
      return;
    }
    const w = opened(windowOf(conv?.meta), 'message', at, now);
    let content: InboundMessage['content'] = { kind: 'text', text: withinLimit(p.text, ctx.config().server.max_text_chars) };
    if (p.image) {
      const image = await this.imageOf(a, p);
      content = image ? { kind: 'media', attachments: [image] } : { kind: 'text', text: '[Image: it could not be fetched from WeChat]' };
    }
    await ctx.ingest({ ...base, content, hints: { queue: this.queueFor(a, conv?.meta?.[META.sessionFrom]) }, meta: metaOf(w) });
  }

  /** SessionFrom → queue: the account's map, the channel's map, else `queue=<name>` inside it. */
  private queueFor(a: WechatAccount, sessionFrom: string | undefined): string | undefined {
    if (!sessionFrom) return undefined;
    // SessionFrom is whatever the page put in session-from (user input too): "constructor" or "__proto__" must not read the maps' prototype.
    const mapped = ownValue(a.session_queues, sessionFrom) ?? ownValue(this.settings().session_queues, sessionFrom);
    if (mapped) return mapped;
    const named = new URLSearchParams(sessionFrom).get('queue');
    return named && /^[\w-]{1,64}$/.test(named) ? named : undefined;
  }

  /**
   * The customer's picture: by PicUrl from WeChat's hosts, else by MediaId through the API, both
   * within one time limit (WeChat waits 5 s for our answer) and the media size limit. A picture
   * that cannot be had leaves the message with a note instead of losing it.
   */
  private async imageOf(a: WechatAccount, p: Extract<Inbound, { kind: 'message' }>): Promise<Attachment | undefined> {
    const ctx = this.ctx!;
    const s = this.settings();
    const deadline = Date.now() + s.media_timeout_ms;
    const remaining = () => Math.max(100, deadline - Date.now());
    const max = ctx.media.maxBytes();
    let data: Buffer | undefined;
    const { picUrl, mediaId } = p.image!;
    try {
      if (picUrl && allowedHost(picUrl, s.media_hosts)) data = await fetchPicture(picUrl, s.media_hosts, max, remaining());
      else if (picUrl) ctx.logger.warn({ host: new URL(picUrl).host, msgId: p.sourceId }, 'wechat: PicUrl not on media_hosts, not fetched');
    } catch (err) {
      ctx.logger.warn({ err: (err as Error).message, msgId: p.sourceId }, 'wechat: PicUrl not fetched');
    }
    try {
      if (!data && mediaId && Date.now() < deadline) data = await this.api.getMedia(await this.token(a), mediaId, max, remaining());
      return data ? await ctx.media.storeBuffer(data, 'wechat-image', `wechat:${p.from}`) : undefined;
    } catch (err) {
      ctx.logger.warn({ err: (err as Error).message, msgId: p.sourceId }, 'wechat: image not fetched or not stored');
      return undefined;
    }
  }

  async send(msg: Message, conv: Conversation, opts: SendOptions): Promise<SendResult> {
    const ctx = this.ctx!;
    const parts = partsOf(msg);
    if (!parts.length) return { sourceId: '', skipped: true };
    const a = this.account(conv.ref.account);
    if (!a) throw new ChannelError('wechat', `No configured account has appid ${conv.ref.account}.`, { retryable: false, code: 'no_account' });
    // Parts WeChat took in an earlier attempt of this message are not sent again.
    const doneKey = `parts:${msg.id}`;
    const done = Number(await ctx.state.get(doneKey) ?? '0') || 0;
    const todo = parts.slice(done);
    const w = windowOf((await ctx.store.getConversation(conv.id) ?? conv).meta);
    const problem = windowError(left(w, this.now()), w, todo.length);
    if (problem) throw problem;
    let sent = 0;
    try {
      for (const part of todo) {
        const body = await this.build(a, part, conv.ref.thread, opts.signal);
        await this.withToken(a, (token) => this.api.send(token, body, opts.signal));
        sent++;
        if (todo.length > 1) await ctx.state.set(doneKey, String(done + sent));
      }
    } finally {
      if (sent > 0) await this.spent(conv.id, sent);
    }
    if (todo.length > 1) await ctx.state.delete(doneKey);
    return { sourceId: '' }; // custom/send answers no message id
  }

  /** Counts sends against the window, in the meta the workspace shows ("3 of 5 left"). */
  private async spent(conversationId: string, n: number): Promise<void> {
    const ctx = this.ctx!;
    const conv = await ctx.store.getConversation(conversationId);
    const w = windowOf(conv?.meta);
    if (!conv || !w) return;
    await ctx.update(conv, { meta: { ...conv.meta, ...metaOf({ ...w, sent: w.sent + n }) } }, 'updated');
  }

  private async build(a: WechatAccount, part: Part, touser: string, signal?: AbortSignal): Promise<CustomMessage> {
    if (part.kind === 'text') return { touser, msgtype: 'text', text: { content: part.text } };
    if (part.kind === 'image') {
      const data = await this.mediaBytes(part.attachment);
      const mediaId = await this.withToken(a, (t) => this.api.uploadImage(t, data, part.attachment.name ?? `${part.attachment.mediaId}.${part.attachment.mime.split('/')[1] ?? 'png'}`, part.attachment.mime, signal));
      return { touser, msgtype: 'image', image: { media_id: mediaId } };
    }
    const thumb = part.card.thumb_media_id ?? a.card_thumb_media_id;
    if (!thumb) throw new ChannelError('wechat', 'A mini-program card needs a cover: thumb_media_id in the block or card_thumb_media_id in the account.', { retryable: false, code: 'card_without_thumb' });
    if (a.kind === 'official' && !part.card.appid) throw new ChannelError('wechat', 'A service account sends cards of a linked mini-program: set appid in the block.', { retryable: false, code: 'card_without_appid' });
    return { touser, msgtype: 'miniprogrampage', miniprogrampage: { title: part.card.title ?? '', pagepath: part.card.pagepath, thumb_media_id: thumb,
      ...(a.kind === 'official' ? { appid: part.card.appid } : {}) } };
  }

  private async mediaBytes(att: Attachment): Promise<Buffer> {
    const f = await this.ctx!.media.read(att.mediaId).catch(() => undefined);
    if (!f) throw new ChannelError('wechat', 'The image is no longer stored.', { retryable: false, code: 'media_missing' });
    return f.data;
  }

  /** One call with the cached token; WeChat refusing the token (40001/42001/40014) refreshes it and tries once more. */
  private async withToken<T>(a: WechatAccount, fn: (token: string) => Promise<T>): Promise<T> {
    const token = await this.token(a);
    try {
      return await fn(token);
    } catch (err) {
      if (!(err instanceof ChannelError) || err.code !== 'token_invalid') throw err;
      return fn(await this.token(a, token));
    }
  }

  /** A token, with wrong credentials or a missing IP allow-list entry shown in health (an admin must act). */
  private async token(a: WechatAccount, refused?: string): Promise<string> {
    try {
      const t = refused ? await this.tokens.refresh(a, refused) : await this.tokens.get(a);
      if (this.authFailed.delete(a.appid) && this.authFailed.size === 0) this.ctx?.reportHealth('connected', 'access tokens obtained');
      return t;
    } catch (err) {
      if (err instanceof ChannelError && !err.retryable) {
        this.authFailed.add(a.appid);
        this.ctx?.reportHealth('auth_failed', `${a.appid}: ${err.detail}`);
      }
      throw err;
    }
  }
}
