import { createHash } from 'node:crypto';
import { dirname, join, resolve } from 'node:path';
import type { Content, Conversation, Message } from '../../core/model/message.js';
import { textOf } from '../../core/model/message.js';
import { ChannelError, type ChannelAdapter, type ChannelContext, type ChannelProblem, type SendOptions, type SendResult } from '../contract.js';
import { configSchema, type Peer, type WechatyBot, type WechatyConfig, type WechatyMessage } from './types.js';
import { puppetProblem } from './verify.js';
import { parse, peerOfThread, scanText, type Parsed } from './parse.js';
import { deliver, imageOf, loadWechaty, snapshotOf, type Outgoing, type WechatyLibs } from './api.js';

export interface WechatyChannelOptions {
  /** Merged into the puppet's constructor options last, at every start: what TOML cannot hold (tests pass the mock puppet's `mocker`). */
  puppetOptions?: () => Record<string, unknown>;
}

interface Scan { payload: string; status: number; at: number; image?: string }
interface Lost { id: string; at: number; from: string; code: string }

const ACCOUNT = 'default';
const MAX_LOST = 50;

/**
 * A personal or WeCom WeChat account through a Wechaty puppet. The bot runs inside kefu: inbound
 * messages arrive as its `message` events and are stored before anything else happens (WeChat
 * never redelivers, so a message kefu cannot store is listed for admins, not lost unseen);
 * replies leave through the outbox with `say()` to the contact or group. The login QR code and
 * the login state are shown to admins (health, and the code itself under Needs attention).
 */
export class WechatyChannel implements ChannelAdapter {
  readonly name = 'wechaty';
  readonly pushes = true;
  readonly configSchema = configSchema;
  private ctx?: ChannelContext;
  private bot?: WechatyBot;
  private libs?: WechatyLibs;
  private scan?: Scan;
  private peers = new Map<string, string>();
  /** Per conversation, inbound messages are stored in the order WeChat gave them (an image takes longer than a text). */
  private lines = new Map<string, Promise<void>>();

  constructor(private opts: WechatyChannelOptions = {}) {}

  private settings(): WechatyConfig {
    return configSchema.parse(this.ctx!.config().channels.wechaty);
  }

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
    const s = this.settings();
    const problem = puppetProblem(s);
    if (problem) throw new Error(problem);
    // A missing wechaty or puppet fails the start here with the install command (health: stopped).
    const libs = this.libs = await loadWechaty(s.puppet);
    const puppet = new libs.Puppet({ ...s.puppet_options, ...(s.token ? { token: s.token } : {}), ...this.opts.puppetOptions?.() });
    const session = s.session || join(dirname(resolve(ctx.config().store.path)), 'wechaty-session');
    const bot = this.bot = libs.wechaty.WechatyBuilder.build({ name: session, puppet });
    const live = () => this.bot === bot && !ctx.signal.aborted;
    bot.on('scan', (payload: string, status: number) => { if (live()) this.onScan(String(payload ?? ''), Number(status)); });
    bot.on('login', (user: { name(): string }) => {
      if (!live()) return;
      this.scan = undefined;
      ctx.reportHealth('connected', `logged in as ${safeName(user)}`);
    });
    bot.on('logout', (_user: unknown, reason?: string) => {
      if (live()) ctx.reportHealth('auth_failed', `logged out${reason ? ` (${String(reason).slice(0, 100)})` : ''}: scan the new login QR code under Queues → Needs attention`);
    });
    // Wechaty reports most trouble (a contact that cannot be loaded, a puppet hiccup) as `error`; an unheard one would crash the process.
    bot.on('error', (err: unknown) => { ctx.logger.warn({ err: String((err as Error)?.message ?? err).slice(0, 500) }, 'wechaty: puppet error'); });
    bot.on('message', (m: WechatyMessage) => { if (live()) this.onMessage(m); });
    ctx.reportHealth('connecting', `starting ${s.puppet}`);
    void this.run(bot, ctx);
  }

  /** Starts the bot without holding up the registry (a puppet service may take its time); a failed start is tried again with backoff. */
  private async run(bot: WechatyBot, ctx: ChannelContext): Promise<void> {
    for (let failures = 0; !ctx.signal.aborted && this.bot === bot; failures++) {
      try {
        await bot.start();
        return;
      } catch (err) {
        if (ctx.signal.aborted) return;
        const waitS = Math.min(60, 2 ** failures);
        ctx.reportHealth('degraded', `the puppet failed to start (${String((err as Error)?.message ?? err).slice(0, 200)}); trying again in ${waitS} s`);
        await bot.stop().catch(() => undefined);
        await new Promise<void>((r) => { const t = setTimeout(r, waitS * 1000); ctx.signal.addEventListener('abort', () => { clearTimeout(t); r(); }, { once: true }); });
      }
    }
  }

  async stop(): Promise<void> {
    const bot = this.bot;
    this.bot = undefined;
    this.scan = undefined;
    this.peers.clear();
    if (bot) {
      // A hung puppet must not hold the gateway's shutdown.
      await Promise.race([bot.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 10_000).unref())]);
    }
    this.ctx = undefined;
  }

  private onScan(payload: string, status: number): void {
    const ctx = this.ctx!;
    // Puppets report "scanned" and "confirmed" without the code, or with the same one: the code on screen stays.
    const prev = this.scan;
    const same = prev && (!payload || payload.slice(0, 2000) === prev.payload);
    const scan: Scan = same ? Object.assign(prev, { status }) : { payload: payload.slice(0, 2000), status, at: Date.now() };
    this.scan = scan;
    // A new code must change the health text, so the workspace re-reads Needs attention.
    const code = createHash('sha256').update(scan.payload).digest('hex').slice(0, 6);
    ctx.reportHealth('auth_failed', `not logged in: scan login QR code ${code} under Queues → Needs attention (${scanText(status)})`);
    if (!scan.payload || scan.image) return;
    this.libs!.FileBox.fromQRCode(scan.payload).toBase64()
      .then((b64) => { scan.image = `data:image/png;base64,${b64}`; })
      .catch((err) => ctx.logger.warn({ err: String((err as Error)?.message) }, 'wechaty: the login QR code could not be drawn; its payload is shown as text'));
  }

  /** Admins see the login QR code while the account is logged out, and every message kefu could not store. */
  async problems(): Promise<ChannelProblem[]> {
    const out: ChannelProblem[] = [];
    const bot = this.bot;
    if (this.scan && bot && !bot.isLoggedIn) {
      out.push({ id: 'scan', at: this.scan.at, reason: `Log in: scan this QR code with WeChat on the account's phone (${scanText(this.scan.status)})`,
        qr: { payload: this.scan.payload, image: this.scan.image } });
    }
    for (const l of (await this.lost()).reverse()) {
      out.push({ id: l.id, at: l.at, reason: `A message from ${l.from} could not be stored (${l.code}): read it in WeChat` });
    }
    return out;
  }

  /** The login code is not dismissed (it goes once the account is logged in); a lost message's note is. */
  async dismissProblem(id: string): Promise<boolean> {
    const list = await this.lost();
    const left = list.filter((l) => l.id !== id);
    if (left.length === list.length) return false;
    await this.ctx!.state.set('lost', JSON.stringify(left));
    return true;
  }

  private async lost(): Promise<Lost[]> {
    try { return JSON.parse((await this.ctx!.state.get('lost')) ?? '[]') as Lost[]; } catch { return []; }
  }

  private onMessage(m: WechatyMessage): void {
    let key: string;
    try { key = m.room()?.id ?? m.talker().id; } catch { key = ''; }
    const prev = this.lines.get(key) ?? Promise.resolve();
    const next = prev.then(() => this.inbound(m)).catch((err) => this.ctx?.logger.error({ err }, 'wechaty: inbound message failed'));
    this.lines.set(key, next);
    void next.finally(() => { if (this.lines.get(key) === next) this.lines.delete(key); });
  }

  private async inbound(m: WechatyMessage): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || ctx.signal.aborted) return;
    const s = this.settings();
    const p = parse(await snapshotOf(m), { groupMode: s.group_mode, maxChars: ctx.config().server.max_text_chars });
    if (p.kind === 'ignored') return;
    if (p.kind === 'invalid') { ctx.logger.warn({ reason: p.reason }, 'wechaty: a message the puppet gave could not be read'); return; }
    await this.remember(p.thread, p.peer);
    const ref = { channel: this.name, account: ACCOUNT, thread: p.thread };
    let content: Content = { kind: 'text', text: p.text };
    if (p.image) {
      // A repeated event (a puppet reconnecting) is stored once by ingest; skip fetching its image again.
      const known = await ctx.store.findConversationByRef(ref);
      if (known && await ctx.store.findMessageBySource(known.id, p.sourceId)) return;
      content = await this.imageContent(m, p, s);
    }
    try {
      // WeChat never sends a message again: one over the customer quota is kept too (the bot stages skip it).
      await ctx.ingest({ ref, customer: p.customer, sourceId: p.sourceId, content, keepOverQuota: true });
    } catch (err) {
      // WeChat will not deliver it again: keep a trace an admin sees, not the message text (it may be private).
      const code = (err as { code?: string }).code ?? 'internal';
      ctx.logger.error({ code, thread: p.thread, sourceId: p.sourceId }, 'wechaty: a message could not be stored');
      const list = [...(await this.lost()), { id: `lost-${createHash('sha256').update(p.sourceId).digest('hex').slice(0, 16)}`, at: Date.now(), from: p.customer.name ?? p.thread, code }].slice(-MAX_LOST);
      await ctx.state.set('lost', JSON.stringify(list));
    }
  }

  private async imageContent(m: WechatyMessage, p: Extract<Parsed, { kind: 'message' }>, s: WechatyConfig): Promise<Content> {
    const ctx = this.ctx!;
    try {
      const img = await imageOf(m, ctx.media.maxBytes(), s.media_timeout_ms);
      const att = await ctx.media.storeBuffer(img.data, img.name, `wechaty:${p.thread}`);
      return { kind: 'media', attachments: [att], caption: p.text || undefined };
    } catch (err) {
      const why = String((err as Error)?.message ?? err).slice(0, 200);
      ctx.logger.warn({ err: why, sourceId: p.sourceId }, 'wechaty: an inbound image could not be kept');
      return { kind: 'text', text: `${p.text ? `${p.text} ` : ''}[an image kefu could not keep (${why}) — open WeChat to see it]` };
    }
  }

  /** Keeps whom a thread talks to (its current id and name), so replies find them after a restart or a new login. */
  private async remember(thread: string, peer: Peer): Promise<void> {
    const value = JSON.stringify(peer);
    if (this.peers.get(thread) === value) return;
    await this.ctx!.state.set(`peer:${thread}`, value);
    this.peers.set(thread, value);
  }

  private async peerOf(thread: string): Promise<Peer | undefined> {
    const stored = this.peers.get(thread) ?? await this.ctx!.state.get(`peer:${thread}`);
    if (stored) { try { return JSON.parse(stored) as Peer; } catch { /* fall back to the thread itself */ } }
    const p = peerOfThread(thread);
    return p && { ...p, name: '' };
  }

  async send(msg: Message, conv: Conversation, opts: SendOptions): Promise<SendResult> {
    // opts.idempotencyKey is not used: say() takes none (at least once after a crash mid-send).
    if (msg.content.kind === 'event' && !msg.content.text) return { sourceId: '', skipped: true };
    const ctx = this.ctx!;
    const out: Outgoing = { files: [] };
    if (msg.content.kind === 'media') {
      for (const a of msg.content.attachments) {
        const f = await ctx.media.read(a.mediaId);
        if (!f) throw new ChannelError(this.name, `The attachment ${a.name ?? a.mediaId} is no longer stored.`, { retryable: false, code: 'media_missing' });
        out.files.push({ data: f.data, name: a.name ?? `${a.kind}.${f.mime.split('/')[1]?.replace(/[^a-z0-9]/g, '') || 'bin'}` });
      }
      out.text = msg.content.caption;
    } else out.text = textOf(msg.content);
    if (!out.text && !out.files.length) return { sourceId: '', skipped: true };
    const peer = await this.peerOf(conv.ref.thread);
    if (!peer) throw new ChannelError(this.name, `The conversation's WeChat address ${conv.ref.thread.slice(0, 80)} is not one kefu made.`, { retryable: false, code: 'bad_thread' });
    const bot = this.bot;
    if (!bot) throw new ChannelError(this.name, 'The channel is restarting.', { retryable: true, code: 'not_logged_in' });
    const s = this.settings();
    const sent = await deliver(bot, this.libs!.FileBox, peer, out, s.send_timeout_ms, opts.signal);
    if (sent.targetId !== peer.id) await this.remember(conv.ref.thread, { ...peer, id: sent.targetId });
    return { sourceId: sent.vendorId };
  }
}

function safeName(user: { name(): string } | undefined): string {
  try { return String(user?.name() ?? '').slice(0, 100) || 'the account'; } catch { return 'the account'; }
}
