import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type Router from '@koa/router';
import type { SMTPServer as SMTPServerType, SMTPServerDataStream } from 'smtp-server';
import type { Attachment, Content, Conversation, Message } from '../../core/model/message.js';
import { textOf } from '../../core/model/message.js';
import { KefuError } from '../../core/errors.js';
import { ChannelError, type ChannelAdapter, type ChannelContext, type ChannelProblem, type OutboundStart, type OutboundTarget, type SendOptions, type SendResult } from '../contract.js';
import { emailKey } from '../../core/contacts/identity-keys.js';
import { configSchema, type EmailConfig, type MailInput, type TicketInfo } from './types.js';
import { parseMail, type InboundMail } from './parse.js';
import { sendMail, type Nodemailer } from './api.js';
import { Tickets } from './tickets.js';
import { quoteHtml, quoteText, replySubject, surveyMail } from './compose.js';
import { AckLimiter, ackText } from './ack.js';
import { mountInbound } from './inbound-http.js';
import { ADMIN_ONLY } from '../../core/http/media.js';
import { ImapPoller } from './imap.js';
import { ProblemList } from '../kit/problem-list.js';

type Libs = { nodemailer: Nodemailer; simpleParser: typeof import('mailparser').simpleParser; htmlToText: (html: string) => string };
const MAX_PARTS = 9; // + the quoted earlier conversation: the 10 attachments a message may hold
const DAY_MS = 86_400_000;
const SYSTEM = { id: 'system', role: 'system' as const, name: 'kefu' };
const refOf = (thread: string) => ({ channel: 'email', account: 'default', thread });
const smtpError = (code: number, text: string) => Object.assign(new Error(text), { responseCode: code });

/**
 * E-mail tickets. Inbound: a built-in SMTP listener (the MX, or where the provider forwards
 * mail to); each mail is a message of a ticket (the conversation's thread is the ticket id).
 * Outbound: agent replies through the configured SMTP relay, from the outbox, threaded with
 * our own Message-IDs. Auto-replies, lists and loops never make a ticket and are never answered;
 * bounces of our replies mark them failed.
 */
export class EmailChannel implements ChannelAdapter {
  readonly name = 'email';
  readonly pushes = true;
  readonly configSchema = configSchema;
  private ctx?: ChannelContext;
  private libs?: Libs;
  private server?: SMTPServerType;
  private tickets?: Tickets;
  private acks?: AckLimiter;
  /** Unprocessable mails (kept as .eml) and IMAP mails over max_bytes, for admins. */
  private kept = new ProblemList(() => this.ctx!.state, 'unprocessable');
  private poller?: ImapPoller;

  /** Agents may write first to a contact's e-mail address (a new ticket, sent from the outbox). */
  readonly startsOn = ['email'] as const;

  /** The port the SMTP listener is bound to (tests listen on port 0). */
  get smtpPort(): number | undefined { return (this.server?.server.address() as AddressInfo | null)?.port; }

  routes(router: Router): void {
    // Mounted at registration, before any start: everything is read at request time.
    mountInbound(router, { context: () => this.ctx, settings: () => this.settings(), receive: (raw, to) => this.receive(raw, to) });
  }

  private settings(): EmailConfig { return configSchema.parse(this.ctx!.config().channels.email); }
  private ownDomain(s = this.settings()): string { return (s.message_id_domain ?? s.address.split('@')[1]).toLowerCase(); }

  async start(ctx: ChannelContext): Promise<void> {
    this.ctx = ctx;
    ctx.reportHealth('connecting', 'opening the SMTP listener'); // before the first await: health is never stale while it starts
    const [nodemailer, mailparser, h2t, { SMTPServer }] = await Promise.all([import('nodemailer'), import('mailparser'), import('html-to-text'), import('smtp-server')]);
    this.libs = { nodemailer: nodemailer.default ?? nodemailer, simpleParser: mailparser.simpleParser,
      htmlToText: (html) => h2t.convert(html, { wordwrap: false, selectors: [{ selector: 'img', format: 'skip' }, { selector: 'a', options: { hideLinkHrefIfSameAsText: true } }] }) };
    this.tickets = new Tickets(ctx.state, () => this.ownDomain());
    this.acks = new AckLimiter(ctx.state);
    const s = this.settings();
    const tls = s.tls_key && s.tls_cert ? { key: readFileSync(s.tls_key), cert: readFileSync(s.tls_cert) } : undefined;
    const server = new SMTPServer({
      logger: false, banner: 'kefu', size: s.max_bytes, authOptional: true, closeTimeout: 2000,
      // Without the operator's own certificate, no STARTTLS at all: smtp-server's built-in one has expired.
      disabledCommands: tls ? ['AUTH'] : ['AUTH', 'STARTTLS'], hideSTARTTLS: !tls, ...(tls ?? {}),
      onRcptTo: (addr, _session, cb) => (this.accepts(addr.address) ? cb() : cb(smtpError(550, '5.1.1 No such mailbox here'))),
      onData: (stream, session, cb) => this.onData(stream, session.envelope.rcptTo.map((r) => r.address), cb),
    });
    server.on('error', (err) => ctx.logger.error({ err }, 'e-mail: SMTP listener error'));
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(s.smtp_port, s.smtp_host, () => { server.server.off('error', reject); resolve(); });
    });
    if (s.imap) {
      // The poller owns health from here on: a dead IMAP login must show in /readyz, not "connected".
      this.poller = new ImapPoller(ctx, () => this.settings().imap, (raw) => this.receive(raw), () => this.settings().max_bytes,
        (id, reason) => this.kept.add({ id, reason }));
      void this.poller.run(await import('imapflow'));
    } else {
      ctx.reportHealth('connected', `SMTP listener on port ${this.smtpPort}`);
    }
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.poller?.stop();
    this.poller = undefined;
    // Not awaited: the port is released at once, and mails in flight finish (or get 421) on their own;
    // awaiting the last connections would keep the registry's stop (and its health) waiting.
    if (server?.server.listening) server.close(() => undefined);
    this.ctx = undefined;
  }

  /** The support address, its plus-addresses, and the configured mailboxes and domains. */
  private accepts(address: string): boolean {
    const s = this.settings();
    const a = address.toLowerCase();
    const [local, domain] = s.address.toLowerCase().split('@');
    if (a === `${local}@${domain}` || (a.startsWith(`${local}+`) && a.endsWith(`@${domain}`))) return true;
    return s.mailboxes.some((m) => (m.startsWith('@') ? a.endsWith(m.toLowerCase()) : a === m.toLowerCase()));
  }

  private onData(stream: SMTPServerDataStream, rcpts: string[], cb: (err?: Error | null) => void): void {
    const chunks: Buffer[] = [];
    let bytes = 0;
    const max = this.settings().max_bytes;
    stream.on('data', (c: Buffer) => { bytes += c.length; if (bytes <= max) chunks.push(c); });
    stream.on('error', (err) => cb(err));
    stream.on('end', () => {
      if (stream.sizeExceeded || bytes > max) return cb(smtpError(552, '5.3.4 Message too big'));
      // 250 only once the mail is durable (or kept as unprocessable); otherwise 451 and the sender tries again.
      this.receive(Buffer.concat(chunks), rcpts).then(() => cb(), (err: Error & { responseCode?: number }) => {
        this.ctx?.logger.error({ err }, 'e-mail: could not take a mail; asked the sender to retry');
        cb(err.responseCode ? err : smtpError(451, '4.3.0 Temporary failure, try again later'));
      });
    });
  }

  /** One raw RFC 822 mail: a ticket message, a bounce of ours, noise, or kept as unprocessable. */
  async receive(raw: Buffer, envelopeTo: string[] = []): Promise<void> {
    const ctx = this.ctx;
    if (!ctx || !this.libs || !this.tickets) throw smtpError(421, '4.3.2 Service not available');
    const s = this.settings();
    let mail: MailInput;
    try {
      mail = (await this.libs.simpleParser(raw, { skipHtmlToText: true, skipTextToHtml: true, skipTextLinks: true })) as unknown as MailInput;
    } catch (err) {
      return this.unprocessable(raw, `MIME: ${(err as Error).message}`);
    }
    const p = parseMail(mail, { ownDomain: this.ownDomain(s), ownAddresses: [s.address, ...s.mailboxes.filter((m) => !m.startsWith('@'))], htmlToText: this.libs.htmlToText });
    if (p.kind === 'bounce') {
      for (const id of p.ids) if (p.failed) await ctx.deliveryStatus(id, 'failed', { code: p.code, message: p.message });
      ctx.logger.info({ ids: p.ids, failed: p.failed }, 'e-mail: delivery report');
      return;
    }
    if (p.kind === 'unsupported') { ctx.logger.info({ reason: p.reason, messageId: mail.messageId }, 'e-mail: automatic mail ignored'); return; }
    if (p.kind === 'invalid') return this.unprocessable(raw, p.reason);
    await this.ingest(p.mail, raw, envelopeTo, s);
  }

  private async ingest(m: InboundMail, raw: Buffer, envelopeTo: string[], s: EmailConfig): Promise<void> {
    const ctx = this.ctx!;
    const tickets = this.tickets!;
    const messageId = m.messageId ?? `sha256.${createHash('sha256').update(raw).digest('hex').slice(0, 40)}@${this.ownDomain(s)}.invalid`;
    // A mail taken before (an SMTP redelivery, an IMAP poll after a crash) goes back to its own
    // ticket, where the sourceId dedupes it; threading it afresh would open a second ticket.
    const known = await tickets.ticketOf(messageId);
    let found = known ?? (await tickets.find(m, s.address, envelopeTo));
    let follows: string | undefined;
    const old = found ? await ctx.store.findConversationByRef(refOf(found)) : undefined;
    if (!known && found && old?.status === 'resolved' && Date.now() - old.updatedAt.getTime() > s.reopen_days * DAY_MS) {
      follows = found; // too late to reopen: a new ticket that points back at it
      found = undefined;
    }
    const ticket = found ?? Tickets.newId();
    // The ticket and this mail's id are known before ingest: a redelivery after a failure finds the same ticket.
    const info = await tickets.update(ticket, (t) => ({ email: m.from, name: m.name, subject: m.subject, follows, ...t, references: [...(t?.references ?? []), messageId],
      lastInbound: messageId, lastText: m.text.slice(0, 2000) }));
    await tickets.remember(messageId, ticket);
    // New is "no conversation yet", not "not threaded": a first mail retried after a 451 still leads with its subject.
    const fresh = !(found && old) && !(await ctx.store.findConversationByRef(refOf(ticket)));
    const content = await this.contentOf(m, fresh ? m.subject : undefined, fresh ? info.follows : undefined);
    try {
      const r = await ctx.ingest({ ref: refOf(ticket), customer: { externalId: m.from, name: m.name },
        sourceId: messageId, content, sentAt: m.date && !Number.isNaN(m.date.getTime()) ? m.date : undefined, meta: metaOf(m, info, s) });
      if (fresh && r.status === 'accepted') await this.welcome(ticket, r.conversation, info, s);
    } catch (err) {
      if (err instanceof KefuError && err.code === 'rate_limited') throw smtpError(451, '4.7.1 Too many mails, try again later');
      if (err instanceof KefuError && err.status < 500) return this.unprocessable(raw, `refused: ${err.code} ${err.message}`);
      throw err;
    }
  }

  /** The new text as the message (the subject leads a new ticket's first one); attachments and the quote as files. */
  /**
   * A new ticket's extras, best effort (the mail is already durable and must not be refused for
   * them): the `follows:` tag, then the acknowledgement, once per ticket and within the sender's
   * hourly quota. The acknowledgement goes through the bus like a reply, so the agent sees it in
   * the conversation and the outbox delivers (and retries) it.
   */
  private async welcome(ticket: string, conv: Conversation, info: TicketInfo, s: EmailConfig): Promise<void> {
    const ctx = this.ctx!;
    try {
      if (info.follows && !conv.tags.includes(`follows:${info.follows}`)) await ctx.update(conv, { tags: [...conv.tags, `follows:${info.follows}`] }, 'updated');
      if (!s.ack || info.acked) return;
      const allowed = await this.acks!.take(info.email, s.ack_per_sender_hour);
      // Marked before sending: at most once, even if this process dies halfway.
      await this.tickets!.update(ticket, (t) => ({ ...(t ?? info), acked: true }));
      if (!allowed) { ctx.logger.info({ ticket, sender: info.email }, 'e-mail: acknowledgement skipped, sender over the hourly limit'); return; }
      await ctx.send({ conversationId: conv.id, clientId: `ack:${ticket}`, from: SYSTEM, content: { kind: 'text', text: ackText(s.ack_text, ticket, info.subject) } });
    } catch (err) {
      ctx.logger.error({ err, ticket }, 'e-mail: new-ticket extras (follows tag, acknowledgement) failed');
    }
  }

  private async contentOf(m: InboundMail, subject?: string, follows?: string): Promise<Content> {
    const ctx = this.ctx!;
    const max = ctx.config().server.max_text_chars;
    const notes: string[] = [];
    const attachments: Attachment[] = [];
    for (const [i, part] of m.parts.entries()) {
      const name = part.filename ?? `${part.inline ? 'inline' : 'attachment'}-${i + 1}.${part.contentType.split('/')[1]?.replace(/[^a-z0-9]/gi, '') || 'bin'}`;
      if (attachments.length >= MAX_PARTS) { notes.push(`[${name} not kept: at most ${MAX_PARTS} attachments per mail]`); continue; }
      try { attachments.push(await ctx.media.storeBuffer(part.content, name, 'channel:email')); } catch (err) { notes.push(`[${name} not kept: ${(err as Error).message}]`); }
    }
    // The quoted earlier conversation is folded out of the text but kept, as a file the agent can open.
    if (m.quoted) attachments.push(await ctx.media.storeBuffer(Buffer.from(m.quoted, 'utf8'), 'quoted-reply.txt', 'channel:email'));
    const note = follows ? `(Follows the resolved ticket [#${follows}])\n` : '';
    let text = [subject ? `${subject}\n` : '', note, m.text, ...notes].filter(Boolean).join('\n').trim();
    if (text.length > max) text = `${text.slice(0, max - 40)}\n[… cut: the full mail was longer]`;
    if (attachments.length) return { kind: 'media', attachments, caption: text || undefined };
    return { kind: 'text', text: text || '(empty e-mail)' };
  }

  /** Never dropped silently: the raw mail is kept as a .eml file, listed under `unprocessable`, and logged. */
  private async unprocessable(raw: Buffer, reason: string): Promise<void> {
    const ctx = this.ctx!;
    const name = `unprocessable-${Date.now()}.eml`;
    const file = await ctx.media.storeBuffer(raw, name, `${ADMIN_ONLY}email`);
    await this.kept.add({ id: file.mediaId, reason, mediaId: file.mediaId, name });
    ctx.logger.error({ reason, mediaId: file.mediaId }, 'e-mail: unprocessable mail kept as a .eml file');
  }

  /**
   * A ticket an agent opens to write to the address first. Its id comes from the start's key,
   * so a retried start finds the same ticket (and conversation) instead of mailing twice.
   */
  async outboundTarget(t: OutboundStart): Promise<OutboundTarget> {
    const email = emailKey(t.value)?.slice('email:'.length);
    if (!email) throw new KefuError('validation_failed', `${t.value} is not an e-mail address.`);
    const s = this.settings();
    if (this.accepts(email)) throw new KefuError('validation_failed', 'That is one of our own support addresses.');
    const ticket = Tickets.idFor(t.key);
    const subject = (t.subject ?? '').replace(/[\r\n]+/g, ' ').trim().slice(0, 200) || s.from_name;
    // acked: an acknowledgement answers a customer's first mail; this ticket began with ours.
    await this.tickets!.update(ticket, (old) => old ?? { email, name: t.name, subject, references: [], acked: true });
    return { ref: refOf(ticket), externalId: email, meta: { subject, email } };
  }

  /** The kept mails (and mails left in the IMAP mailbox), newest first, for the admins' "Needs attention" list. */
  problems(): Promise<ChannelProblem[]> { return this.kept.list(); }

  /** The agent's files as real attachments; one gone from the media store fails the send visibly. */
  private async filesOf(list: Attachment[]): Promise<{ filename: string; content: Buffer; contentType: string }[]> {
    return Promise.all(list.map(async (a, i) => {
      const f = await this.ctx!.media.read(a.mediaId);
      if (!f) throw new ChannelError('email', `attachment ${a.name ?? a.mediaId} is no longer stored`, { retryable: false, code: 'media_missing' });
      return { filename: a.name ?? f.name ?? `attachment-${i + 1}`, content: f.data, contentType: f.mime };
    }));
  }

  dismissProblem(id: string): Promise<boolean> { return this.kept.dismiss(id); }

  async send(msg: Message, conv: Conversation, _opts: SendOptions): Promise<SendResult> {
    // Events (notices, joins) are not mailed: an automatic mail per customer mail is how loops start
    // (the satisfaction survey is, once per ticket, after it was resolved).
    const survey = msg.content.kind === 'event' && msg.content.event === 'csat' ? msg.content.survey : undefined;
    if (msg.content.kind === 'event' && !survey) return { sourceId: '', skipped: true };
    const files = msg.content.kind === 'media' ? await this.filesOf(msg.content.attachments) : [];
    const text = msg.content.kind === 'media' ? msg.content.caption ?? '' : textOf(msg.content);
    if (!text.trim() && files.length === 0) return { sourceId: '', skipped: true };
    const s = this.settings();
    const tickets = this.tickets!;
    const ticket = conv.ref.thread;
    const info = await tickets.info(ticket);
    if (!info) throw new ChannelError('email', `no ticket ${ticket} to answer`, { retryable: false, code: 'unknown_ticket' });
    const ours = tickets.ourMessageId(msg.id, ticket);
    await tickets.remember(ours, ticket); // before sending: a fast bounce must find it
    const [local, domain] = s.address.split('@');
    const body = survey ? surveyMail(survey.question, survey.url) : { text: quoteText(text, info), html: quoteHtml(text, info) };
    await sendMail(this.libs!.nodemailer, s.relay, {
      from: `"${s.from_name.replace(/["\\]/g, '')}" <${s.address}>`, replyTo: `${local}+${ticket.toLowerCase()}@${domain}`, to: info.email,
      // The first mail of a ticket an agent started is no reply: no "Re:".
      subject: replySubject(info.subject, ticket, !info.lastInbound && info.references.length === 0), messageId: ours, inReplyTo: info.lastInbound ?? info.references.at(-1), references: info.references,
      text: body.text, html: body.html, attachments: files,
      headers: { 'X-Kefu-Ticket': ticket, 'X-Auto-Response-Suppress': 'OOF, AutoReply',
        // RFC 3834: our acknowledgement is automatic, so well-behaved auto-responders leave it unanswered.
        ...(msg.sourceId === `ack:${ticket}` ? { 'Auto-Submitted': 'auto-replied' } : survey ? { 'Auto-Submitted': 'auto-generated' } : {}) },
    });
    await tickets.update(ticket, (t) => ({ ...(t ?? info), references: [...(t ?? info).references, ours] }));
    return { sourceId: ours };
  }
}

/**
 * What the workspace shows of a ticket: its subject (the first mail's, not this reply's "Re: …"),
 * who wrote, and whom this latest mail copied ('' clears a cc the previous mail had). Our own
 * address in Cc is left out: it is where the mail came in, not someone to tell the agent about.
 */
function metaOf(m: InboundMail, info: TicketInfo, s: EmailConfig): Record<string, string> {
  const own = s.address.toLowerCase();
  const [local, domain] = own.split('@');
  const cc = (m.cc ?? []).map((a) => a.toLowerCase()).filter((a) => a !== own && !(a.startsWith(`${local}+`) && a.endsWith(`@${domain}`)));
  return { subject: info.subject || m.subject, email: m.from, cc: [...new Set(cc)].join(', ') };
}
