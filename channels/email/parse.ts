import type { MailInput, MailPart } from './types.js';

/** A customer's mail, normalized: who, threading headers, the new text and the quoted rest. */
export interface InboundMail {
  from: string;
  name?: string;
  recipients: string[];
  /** The Cc addresses alone (recipients holds To and Cc together, for threading). */
  cc?: string[];
  subject: string;
  /** Without angle brackets; synthesized by the caller when the mail has none. */
  messageId?: string;
  /** In-Reply-To first, then References newest first: the order threading tries them. */
  parents: string[];
  /** What the customer wrote this time. */
  text: string;
  /** The earlier conversation their mail client quoted under it (folded away, kept). */
  quoted?: string;
  parts: MailPart[];
  date?: Date;
}

export type Parsed =
  | { kind: 'message'; mail: InboundMail }
  | { kind: 'bounce'; ids: string[]; failed: boolean; code: string; message: string }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'invalid'; reason: string };

export interface ParseOptions {
  /** Our Message-ID domain: mail carrying it is our own coming back (a loop). */
  ownDomain?: string;
  /** Our own addresses: mail from them is a loop too. */
  ownAddresses?: string[];
  /** HTML → plain text (html-to-text, injected so this module loads nothing heavy). */
  htmlToText?: (html: string) => string;
}

type Headers = Map<string, string[]>;

/** "Key: value" header lines (mailparser's headerLines, or split from raw) → lower-case key → values, unfolded. */
export function headerMap(lines: { key: string; line: string }[]): Headers {
  const out: Headers = new Map();
  for (const { key, line } of lines) {
    const value = line.slice(line.indexOf(':') + 1).replace(/\r?\n[ \t]+/g, ' ').trim();
    const k = key.toLowerCase();
    out.set(k, [...(out.get(k) ?? []), value]);
  }
  return out;
}

const first = (h: Headers, k: string) => h.get(k)?.[0];
const NOISE_SENDER = /^(mailer-daemon|postmaster|abuse|no-?reply|do-?not-?reply|bounces?)([+\-.].*)?$/i;
const bare = (id: string) => id.trim().replace(/^<|>$/g, '');

/** Why this mail must never become a ticket nor be answered (auto-replies, lists, loops), or undefined. */
export function noiseReason(h: Headers, from: string | undefined, o: ParseOptions): string | undefined {
  const auto = first(h, 'auto-submitted');
  if (auto && auto.toLowerCase().split(';')[0].trim() !== 'no') return `Auto-Submitted: ${auto}`;
  if (h.has('x-autoreply') || h.has('x-autorespond')) return 'X-Autoreply';
  if (h.has('x-auto-response-suppress')) return 'X-Auto-Response-Suppress';
  const prec = first(h, 'precedence')?.toLowerCase();
  if (prec && /^(bulk|list|junk|auto_reply)$/.test(prec)) return `Precedence: ${prec}`;
  if (h.has('list-id') || h.has('list-unsubscribe')) return 'mailing list';
  const own = (o.ownAddresses ?? []).map((a) => a.toLowerCase());
  if (h.get('x-loop')?.some((v) => own.some((a) => v.toLowerCase().includes(a)))) return 'X-Loop';
  if (from) {
    if (NOISE_SENDER.test(from.split('@')[0])) return `automatic sender ${from}`;
    if (own.includes(from.toLowerCase())) return 'from our own address';
  }
  const mid = first(h, 'message-id');
  if (o.ownDomain && mid && bare(mid).toLowerCase().endsWith(`@${o.ownDomain.toLowerCase()}`)) return 'our own Message-ID';
  return undefined;
}

/** A delivery report (RFC 3464), or mail from a mailer daemon: a bounce, maybe of ours. */
function isBounce(h: Headers, from: string | undefined): boolean {
  const ct = first(h, 'content-type')?.toLowerCase() ?? '';
  return (ct.includes('multipart/report') && ct.includes('delivery-status')) || (!!from && /^(mailer-daemon|postmaster)$/i.test(from.split('@')[0]));
}

function bounceOf(mail: MailInput, o: ParseOptions): Parsed {
  const texts = [mail.text ?? '', ...mail.attachments.map((a) => a.content.toString('utf8'))].join('\n');
  const ids = o.ownDomain
    ? [...new Set([...texts.matchAll(/^Message-ID:\s*<([^<>\s@]+@[^<>\s]+)>/gim)].map((m) => m[1]).filter((id) => id.toLowerCase().endsWith(`@${o.ownDomain!.toLowerCase()}`)))]
    : [];
  const action = /^Action:\s*(\w+)/im.exec(texts)?.[1]?.toLowerCase();
  const status = /^Status:\s*(\d\.\d{1,3}\.\d{1,3})/im.exec(texts)?.[1];
  const diagnostic = /^Diagnostic-Code:\s*(?:smtp;\s*)?(.+)$/im.exec(texts)?.[1]?.trim();
  // "delayed" and "relayed" reports say the mail is still on its way: not a failure.
  const failed = action ? action === 'failed' : !status || status.startsWith('5');
  return { kind: 'bounce', ids, failed, code: 'bounced', message: (diagnostic ?? (status ? `status ${status}` : 'the mail bounced')).slice(0, 300) };
}

/** Lines where a mail client starts the quoted earlier message (Gmail, Apple Mail, Outlook, QQ Mail, Foxmail). */
const QUOTE_START = [
  /^On .{1,200}(wrote|schrieb|a écrit)\s*:\s*$/,
  /^在\s?.{1,200}写道\s*[:：]\s*$/,
  /^-{2,}\s*(Original Message|原始邮件|Forwarded message)\s*-{2,}\s*$/i,
  /^_{8,}\s*$/,
  /^(From|发件人)\s*[:：].{1,300}$/,
];

/** Splits a plain-text body into what is new and the quoted earlier conversation (kept, not lost). */
export function splitQuote(text: string): { fresh: string; quoted?: string } {
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let at = lines.findIndex((l, i) => {
    const t = l.trim();
    if (QUOTE_START.some((re) => re.test(t))) return true;
    // A block of "> " lines running to the end (or to a signature) is a quote too.
    return t.startsWith('>') && lines.slice(i).every((r) => r.trim() === '' || r.trim().startsWith('>') || r.trim() === '--');
  });
  // "On … wrote:" wraps over two lines in some clients: take the wrapped start along.
  if (at > 0 && /^On\s/.test(lines[at - 1].trim()) && !/wrote:\s*$/.test(lines[at - 1])) at -= 1;
  if (at <= 0) return { fresh: text.trim() };
  const fresh = lines.slice(0, at).join('\n').trim();
  const quoted = lines.slice(at).join('\n').trim();
  return fresh ? { fresh, quoted: quoted || undefined } : { fresh: text.trim() };
}

const addresses = (f: MailInput['to']) => (Array.isArray(f) ? f : f ? [f] : []).flatMap((x) => x.value.map((v) => v.address?.toLowerCase() ?? '')).filter(Boolean);

/** mailparser's ParsedMail → what it means for the helpdesk. Pure (the HTML converter is passed in); never throws. */
export function parseMail(mail: MailInput, o: ParseOptions = {}): Parsed {
  try {
    const h = headerMap(mail.headerLines ?? []);
    const sender = mail.from?.value?.[0];
    const from = sender?.address?.toLowerCase();
    if (isBounce(h, from)) return bounceOf(mail, o);
    const noise = noiseReason(h, from, o);
    if (noise) return { kind: 'unsupported', reason: noise };
    if (!from || !/^[^@\s<>]+@[^@\s<>]+$/.test(from) || from.length > 254) return { kind: 'invalid', reason: 'no usable From address' };
    let body = mail.text?.trim() ? mail.text : '';
    if (!body && mail.html && o.htmlToText) body = o.htmlToText(mail.html);
    const { fresh, quoted } = splitQuote(body ?? '');
    const refs = typeof mail.references === 'string' ? mail.references.split(/\s+/) : mail.references ?? [];
    const parents = [...new Set([mail.inReplyTo, ...refs.slice().reverse()].filter((x): x is string => !!x).map(bare).filter(Boolean))];
    const parts: MailPart[] = mail.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: a.content,
      cid: a.cid ?? undefined, inline: a.contentDisposition === 'inline' || !!a.related }));
    return { kind: 'message', mail: {
      from, name: sender?.name?.slice(0, 100) || undefined, recipients: [...addresses(mail.to), ...addresses(mail.cc)],
      cc: addresses(mail.cc),
      subject: (mail.subject ?? '').slice(0, 300), messageId: mail.messageId ? bare(mail.messageId) : undefined,
      parents, text: fresh, quoted, parts, date: mail.date } };
  } catch (err) {
    return { kind: 'invalid', reason: `unreadable: ${(err as Error).message}` };
  }
}

/** Headers only, synchronously, from raw RFC 822 text: what the conformance suite and quick checks use. */
export function classifyRaw(raw: string, o: ParseOptions = {}): Parsed {
  const end = raw.search(/\r?\n\r?\n/);
  const head = end < 0 ? raw : raw.slice(0, end);
  const lines: { key: string; line: string }[] = [];
  for (const l of head.split(/\r?\n/)) {
    if (/^[ \t]/.test(l) && lines.length) lines[lines.length - 1].line += `\n${l}`;
    else if (/^[!-9;-~]+:/.test(l)) lines.push({ key: l.slice(0, l.indexOf(':')), line: l });
  }
  const h = headerMap(lines);
  const from = /<?([^<>\s"]+@[^<>\s"]+)>?\s*$/.exec(first(h, 'from') ?? '')?.[1]?.toLowerCase();
  if (!lines.length) return { kind: 'invalid', reason: 'no headers' };
  if (isBounce(h, from)) return { kind: 'bounce', ids: [], failed: true, code: 'bounced', message: '' };
  const noise = noiseReason(h, from, o);
  if (noise) return { kind: 'unsupported', reason: noise };
  if (!from) return { kind: 'invalid', reason: 'no usable From address' };
  return { kind: 'message', mail: { from, recipients: [], subject: first(h, 'subject') ?? '', parents: [], text: '', parts: [] } };
}
