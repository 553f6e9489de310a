import type Router from '@koa/router';
import type { Attachment, Conversation, InboundMessage, Message } from '../../core/model/message.js';
import { refKey } from '../../core/model/message.js';
import { KefuError } from '../../core/errors.js';
import { ADMIN_ONLY } from '../../core/http/media.js';
import { ChannelError, type ChannelAdapter, type ChannelContext, type ChannelProblem, type SendOptions, type SendResult } from '../contract.js';
import { keepConnected } from '../kit/reconnect.js';
import type { Leader } from '../../core/cluster/cluster.js';
import { appsOf, configSchema, type DingtalkApp, type DingtalkConfig, type Reply, type ReplyRoute } from './types.js';
import { verifyCallback } from './verify.js';
import { parseRobot, type RobotInbound } from './parse.js';
import { DingtalkApi } from './api.js';
import { loadSdk, openStream, type StreamConnection } from './stream.js';
import { AppsHealth } from './health.js';
import { fileTypeOf, partsOf, type Part } from './reply.js';
import { outTrackIdOf, parseCardClick, surveyCardParams } from './card.js';
import { employeeMeta, People } from './people.js';
import { withinLimit } from '../kit/text.js';
import { ProblemList } from '../kit/problem-list.js';

/** A sessionWebhook this close to its expiry is not trusted with a reply. */
const SESSION_MARGIN_MS = 60_000;
const MAX_CALLBACK_BYTES = 256 * 1024;

export interface DingtalkOptions {
  /**
   * Cluster seam: resolves when this node should hold the stream of the app (by client_id), with a
   * lease whose signal aborts when it no longer should. DingTalk gives each callback to one
   * connection of the app; cluster mode keeps one per app (core/cluster). Default: at once, for good.
   */
  leader?: Leader;
}

/**
 * DingTalk robots (one-to-one and group chats). Inbound: Stream mode (kefu opens the connection
 * with the dingtalk-stream SDK; no public address needed) or HTTP mode (POST
 * /channels/dingtalk/callback, signed with `timestamp` + `sign`). Every callback is acknowledged
 * only once the message is stored. Outbound, from the outbox: the last message's sessionWebhook
 * while it is valid, else the proactive robot API; files go up as robot media first.
 */
export class DingtalkChannel implements ChannelAdapter {
  readonly name = 'dingtalk';
  readonly pushes = true;
  readonly configSchema = configSchema;
  private ctx?: ChannelContext;
  /** Callbacks kept for an admin (the raw JSON, admin-only). */
  private kept = new ProblemList(() => this.ctx!.state, 'problems');
  private api = new DingtalkApi(() => this.settings(), () => this.ctx!.state);
  private people = new People(() => this.ctx!.state, () => this.settings().employee_ttl_h * 3_600_000);
  private loops: Promise<void>[] = [];

  constructor(private opts: DingtalkOptions = {}) {}

  private settings(): DingtalkConfig { return configSchema.parse(this.ctx!.config().channels.dingtalk); }
  private apps(): DingtalkApp[] { return appsOf(this.settings()); }

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
    const stream = this.apps().filter((a) => a.mode === 'stream');
    if (stream.length === 0) return;
    ctx.reportHealth('connecting', 'loading the DingTalk SDK');
    await loadSdk(); // a broken install fails the start (visible in health), not the first callback
    const health = new AppsHealth(ctx.reportHealth);
    const leader: Leader = this.opts.leader ?? (async (_app, signal) => ({ signal, fence: 0 }));
    this.loops = stream.map(async (app) => {
      let current: StreamConnection | undefined;
      const report = health.forApp(app.name, () => current?.reason());
      // Another node holding the stream is this node's normal state, not trouble.
      const standby = () => report('connected', 'standby: another node holds this app\'s stream');
      while (!ctx.signal.aborted) {
        const lease = await leader(app.client_id, ctx.signal, standby);
        if (lease.signal.aborted) continue;
        await keepConnected({
          signal: lease.signal, stableMs: 10_000, report,
          connect: async (signal) => {
            const s = this.settings();
            current = await openStream({ app, gatewayUrl: `${s.api_base.replace(/\/$/, '')}/v1.0/gateway/connections/open`,
              keepaliveMs: s.keepalive_ms, timeoutMs: s.api_timeout_ms, warn: (what, detail) => ctx.logger.warn({ app: app.name, ...detail }, what),
              onCallback: (data) => this.callback(ctx, app, data),
              onCard: s.csat_card_template_id ? (data, id) => this.cardClick(ctx, app, data, id) : undefined }, signal);
            return current;
          },
        });
      }
    });
  }

  async stop(): Promise<void> {
    // ctx.signal has aborted: each loop closes its socket and ends.
    await Promise.allSettled(this.loops);
    this.loops = [];
    this.ctx = undefined;
  }

  routes(router: Router): void {
    router.post('/channels/dingtalk/callback', async (koa) => {
      const ctx = this.ctx!;
      // The signature is in the headers alone: a forger is turned away before the body is read.
      const [ts, sig] = [koa.get('timestamp') || undefined, koa.get('sign') || undefined];
      const app = this.apps().find((a) => a.mode === 'http' && verifyCallback(a.client_secret, ts, sig, Date.now()));
      if (!app) return ctx.rejectSignature();
      const body = await ctx.rawBody(koa, MAX_CALLBACK_BYTES);
      // The signature covers only the timestamp: a body naming another app's robot is not this app's to send.
      const named = robotCodeOf(body.toString('utf8'));
      if (named !== undefined && named !== app.robot_code) ctx.rejectSignature('the robotCode is not the signing app\'s');
      await this.callback(ctx, app, body.toString('utf8'));
      koa.body = {}; // only now: the message is stored (a thrown error makes DingTalk retry)
    });
  }

  /**
   * One robot callback, either way in. Resolves true when DingTalk may be told it arrived: stored,
   * a duplicate, or something that redelivery cannot fix (kept for an admin under problems()).
   * Rejects when storing failed for now (the store, a rate limit): unacknowledged, it comes again.
   */
  private async callback(ctx: ChannelContext, app: DingtalkApp, raw: string): Promise<boolean> {
    const p = parseRobot(raw, app.robot_code);
    if (p.kind === 'unsupported') { ctx.logger.info({ app: app.name, reason: p.reason }, 'dingtalk: callback ignored'); return true; }
    if (p.kind === 'invalid') { await this.keepProblem(ctx, raw, `unreadable robot callback (${p.reason})`); return true; }
    const m = p.message;
    if (m.robotCode !== app.robot_code && !this.apps().some((a) => a.robot_code === m.robotCode)) m.ref.account = m.route.robotCode = app.robot_code;
    try {
      return await this.inbound(ctx, app, m);
    } catch (err) {
      if (err instanceof KefuError && err.status < 500 && err.code !== 'rate_limited') {
        await this.keepProblem(ctx, raw, `message refused: ${err.code}: ${err.message}`);
        return true;
      }
      throw err;
    }
  }

  /**
   * A click on the survey card. Only the conversation's own customer rates it (anyone in a group
   * sees the card); the rating becomes their reply "<n>", stored (deduped on the callback's id,
   * which a redelivery keeps) and taken by core/csat like a typed digit, before DingTalk is
   * answered. The answer updates the card's `rated` variable, so the template can show the choice.
   */
  private async cardClick(ctx: ChannelContext, app: DingtalkApp, raw: string, callbackId: string): Promise<object> {
    const click = parseCardClick(raw);
    if (click.kind === 'ignored') { ctx.logger.info({ app: app.name, reason: click.reason }, 'dingtalk: card callback ignored'); return {}; }
    const convId = await ctx.state.get(`card:${click.outTrackId}`);
    const conv = convId ? await ctx.store.getConversation(convId) : undefined;
    if (!conv || conv.ref.account !== app.robot_code || conv.customer.id !== `dingtalk:${click.userId}`) {
      ctx.logger.info({ app: app.name, outTrackId: click.outTrackId }, 'dingtalk: card click by someone other than the conversation\'s customer, ignored');
      return {};
    }
    if (conv.status !== 'resolved' || conv.csat?.state !== 'asked') return {};
    try {
      await ctx.ingest({ ref: conv.ref, customer: { externalId: click.userId }, sourceId: `card:${callbackId}`, content: { kind: 'text', text: String(click.rating) } });
    } catch (err) {
      if (!(err instanceof KefuError && err.status < 500 && err.code !== 'rate_limited')) throw err;
      ctx.logger.warn({ app: app.name, code: err.code }, 'dingtalk: card rating refused');
      return {};
    }
    return { cardData: { cardParamMap: { rated: String(click.rating) } } };
  }

  private async inbound(ctx: ChannelContext, app: DingtalkApp, m: RobotInbound): Promise<boolean> {
    // A redelivery is acknowledged without its files fetched again (ingest would dedupe it anyway).
    const known = await ctx.store.findConversationByRef(m.ref);
    if (known && await ctx.store.findMessageBySource(known.id, m.msgId)) return true;
    await this.keepRoute(ctx, m.ref, m.route);
    const attachments = await this.download(ctx, app, m);
    const missing = m.downloads.length - attachments.length;
    const note = missing > 0 ? `[${missing} file${missing > 1 ? 's' : ''} could not be fetched from DingTalk]` : '';
    const text = withinLimit([m.text, note].filter(Boolean).join('\n'), ctx.config().server.max_text_chars);
    const lookup = m.staffId && this.settings().lookup_employees ? await this.people.cached(m.robotCode, m.staffId) : undefined;
    const meta = { ...m.meta, ...(lookup?.employee ? employeeMeta(lookup.employee) : {}) };
    const msg: InboundMessage = { ref: m.ref, customer: m.customer, sourceId: m.msgId, sentAt: m.sentAt, meta,
      content: attachments.length ? { kind: 'media', attachments, caption: text || undefined } : { kind: 'text', text } };
    const r = await ctx.ingest(msg);
    // After the ack is due: the directory lookup is slow work, and the conversation is updated when it answers.
    if (r.status === 'accepted' && lookup?.stale) void this.lookupEmployee(ctx, app, m.staffId!, r.conversation.id);
    return true;
  }

  private async lookupEmployee(ctx: ChannelContext, app: DingtalkApp, staffId: string, conversationId: string): Promise<void> {
    try {
      const e = await this.people.lookup(app.robot_code, staffId, () => this.api.employee(app, staffId));
      const conv = e && await ctx.store.getConversation(conversationId);
      if (!e || !conv || ctx.signal.aborted) return;
      const meta = { ...conv.meta, ...employeeMeta(e) };
      for (const [k, v] of Object.entries(meta)) if (!v) delete meta[k];
      await ctx.update(conv, { meta }, 'updated');
    } catch (err) {
      ctx.logger.warn({ app: app.name, err: (err as Error).message }, 'dingtalk: employee lookup failed (is the contact read permission granted?)');
    }
  }

  /** The customer's files, in parallel; one that cannot be fetched must not lose the message. */
  private async download(ctx: ChannelContext, app: DingtalkApp, m: RobotInbound): Promise<Attachment[]> {
    const got = await Promise.allSettled(m.downloads.map(async (d) =>
      ctx.media.storeBuffer(await this.api.download(app, d.code, ctx.media.maxBytes()), d.name, `dingtalk:${m.customer.externalId}`)));
    const out: Attachment[] = [];
    for (const r of got) {
      if (r.status === 'fulfilled') out.push(r.value);
      else ctx.logger.warn({ err: (r.reason as Error)?.message, msgId: m.msgId }, 'dingtalk: file not fetched');
    }
    return out;
  }

  private async keepRoute(ctx: ChannelContext, ref: Conversation['ref'], route: ReplyRoute): Promise<void> {
    const base = new URL(this.settings().session_webhook_base).origin;
    const trusted = route.sessionWebhook && new URL(route.sessionWebhook).origin === base ? route : { ...route, sessionWebhook: undefined, sessionExpiresAt: undefined };
    await ctx.state.set(`route:${refKey(ref)}`, JSON.stringify(trusted));
  }

  private async keepProblem(ctx: ChannelContext, raw: string, reason: string): Promise<void> {
    const name = `dingtalk-callback-${Date.now()}.json`;
    // Admins only: the raw callback holds the customer's message and a sessionWebhook anyone could post to.
    const file = await ctx.media.storeBuffer(Buffer.from(raw.slice(0, MAX_CALLBACK_BYTES)), name, `${ADMIN_ONLY}dingtalk`);
    await this.kept.add({ id: file.mediaId, reason, mediaId: file.mediaId, name });
    ctx.logger.error({ reason, mediaId: file.mediaId }, 'dingtalk: callback kept for an admin');
  }

  problems(): Promise<ChannelProblem[]> { return this.kept.list(); }

  dismissProblem(id: string): Promise<boolean> { return this.kept.dismiss(id); }

  /**
   * One attempt for one message. A message of several parts (files, then the caption) records each
   * part sent, so the outbox's next attempt continues where this one failed instead of repeating
   * what the customer already got. DingTalk takes no idempotency key: a crash mid-call can still
   * send a part twice (at least once).
   */
  async send(msg: Message, conv: Conversation, opts: SendOptions): Promise<SendResult> {
    const ctx = this.ctx!;
    if (msg.content.kind === 'event' && !msg.content.text) return { sourceId: '', skipped: true };
    const route = await this.routeOf(conv);
    const app = this.apps().find((a) => a.robot_code === route.robotCode);
    if (!app) throw new ChannelError('dingtalk', `No configured app has robot code ${route.robotCode}.`, { retryable: false, code: 'no_app' });
    const survey = msg.content.kind === 'event' && msg.content.event === 'csat' ? msg.content.survey : undefined;
    const template = this.settings().csat_card_template_id;
    // The card's click comes back over the stream: an HTTP-mode app, or a customer with no staffId (an outside contact), gets the links.
    if (survey && template && app.mode === 'stream' && (route.staffId || route.openConversationId)) {
      const outTrackId = outTrackIdOf(msg.id);
      await ctx.state.set(`card:${outTrackId}`, conv.id); // before sending: a fast click must find it
      return { sourceId: await this.api.sendCard(app, route, { templateId: template, outTrackId, params: surveyCardParams(survey.question) }) };
    }
    const parts = partsOf(msg);
    if (parts.length === 0) return { sourceId: '', skipped: true };
    let last = '';
    for (const [i, part] of parts.entries()) {
      const done = parts.length > 1 ? `part:${opts.idempotencyKey}:${i}` : undefined;
      const kept = done && await ctx.state.get(done);
      last = kept || await this.deliver(app, route, part, msg.id);
      if (done && !kept) await ctx.state.set(done, last);
    }
    if (parts.length > 1) for (const i of parts.keys()) await ctx.state.delete(`part:${opts.idempotencyKey}:${i}`);
    return { sourceId: last };
  }

  private async deliver(app: DingtalkApp, route: ReplyRoute, part: Part, msgId: string): Promise<string> {
    let reply: Reply;
    if (part.kind === 'upload') {
      const a = part.attachment;
      const file = await this.ctx!.media.read(a.mediaId);
      if (!file) throw new ChannelError('dingtalk', 'The attachment is no longer stored.', { retryable: false, code: 'media_gone' });
      const image = a.kind === 'image';
      const mediaId = await this.api.upload(app, file.data, a.name ?? (image ? 'image.png' : 'file'), a.mime, image ? 'image' : 'file');
      reply = image ? { kind: 'image', mediaId } : { kind: 'file', mediaId, fileName: a.name ?? 'file', fileType: fileTypeOf(a) };
    } else reply = part.reply;
    const sessionOk = route.sessionWebhook && (route.sessionExpiresAt ?? 0) - SESSION_MARGIN_MS > Date.now();
    if (sessionOk && (reply.kind === 'text' || reply.kind === 'markdown')) {
      try {
        await this.api.sendBySession(route.sessionWebhook!, reply, route.openConversationId ? route.staffId : undefined);
        return `session:${msgId}`;
      } catch (err) {
        // The session ended early (DingTalk answered with an errcode): the proactive API still reaches them.
        if (!(err instanceof ChannelError && err.code.startsWith('session_'))) throw err;
      }
    }
    return this.api.sendProactive(app, route, reply);
  }

  /** Where replies go: what the last inbound message said, else what the conversation's ref names. */
  private async routeOf(conv: Conversation): Promise<ReplyRoute> {
    const kept = await this.ctx!.state.get(`route:${refKey(conv.ref)}`);
    if (kept) return JSON.parse(kept) as ReplyRoute;
    const rest = conv.ref.thread.slice(2);
    // An outside contact has no staffId (their thread is keyed by the $:LWCP… senderId): proactive sends cannot reach them.
    if (!conv.ref.thread.startsWith('g:')) return { robotCode: conv.ref.account, staffId: rest.startsWith('$:') ? undefined : rest };
    const cut = rest.indexOf(':');
    return { robotCode: conv.ref.account, openConversationId: rest.slice(0, cut), staffId: rest.slice(cut + 1) };
  }
}

/** The robotCode a callback body names, if it is JSON naming one. */
function robotCodeOf(raw: string): string | undefined {
  try {
    const v = JSON.parse(raw) as { robotCode?: unknown } | null;
    return typeof v?.robotCode === 'string' ? v.robotCode : undefined;
  } catch { return undefined; }
}
