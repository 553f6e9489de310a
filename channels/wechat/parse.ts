import type { PushFields } from './types.js';

export interface InboundImage { picUrl?: string; mediaId?: string }

export type Parsed =
  /** A safe-mode envelope: the Encrypt to check and open, then parse again. */
  | { kind: 'encrypted'; encrypt: string }
  | { kind: 'message'; from: string; to: string; at: number; sourceId: string; text: string; image?: InboundImage }
  /** user_enter_tempsession: the customer opened the chat (from a `contact` button, with its session-from). */
  | { kind: 'enter'; from: string; to: string; at: number; sourceId: string; sessionFrom: string }
  | { kind: 'unsupported'; reason: string }
  | { kind: 'invalid'; reason: string };

const ID = /^[\w-]{1,64}$/;
const MSG_ID = /^\d{1,20}$/;
const TIME = /^\d{1,10}$/;
const MAX_FIELD = 20_000;

/**
 * JSON.parse turns a 64-bit MsgId such as 24412545298723516417 into …6000. Integers too long to
 * be exact are quoted first, outside strings only (a customer's text is never touched).
 */
export function quoteLongIntegers(json: string): string {
  let out = '';
  let i = 0;
  while (i < json.length) {
    const c = json[i];
    if (c === '"') {
      let j = i + 1;
      while (j < json.length && json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      out += json.slice(i, j + 1);
      i = j + 1;
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      let j = i + 1;
      while (j < json.length && /[0-9.eE+-]/.test(json[j])) j++;
      const num = json.slice(i, j);
      out += /^-?\d{16,}$/.test(num) ? `"${num}"` : num;
      i = j;
    } else {
      out += c;
      i++;
    }
  }
  return out;
}

function flatten(v: unknown): PushFields | undefined {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: PushFields = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x === 'string') out[k] = x.slice(0, MAX_FIELD);
    else if (typeof x === 'number' && Number.isSafeInteger(x)) out[k] = String(x);
  }
  return out;
}

/** A JSON push → its top-level text and integer fields. */
export function readJson(raw: string): PushFields | undefined {
  try { return flatten(JSON.parse(quoteLongIntegers(raw))); } catch { return undefined; }
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };
function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-f]{1,6}|#\d{1,7}|lt|gt|amp|quot|apos);/gi, (m, e: string) => {
    if (e[0] !== '#') return ENTITIES[e.toLowerCase()] ?? m;
    const n = e[1] === 'x' || e[1] === 'X' ? Number.parseInt(e.slice(2), 16) : Number.parseInt(e.slice(1), 10);
    return n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : m;
  });
}

/**
 * An XML push (`<xml><Field><![CDATA[…]]></Field>…</xml>`) → its leaf fields. WeChat's pushes
 * are flat; no DTD or entity of the sender's is ever expanded (a DOCTYPE is refused).
 */
export function readXml(raw: string): PushFields | undefined {
  if (/<!DOCTYPE|<!ENTITY/i.test(raw)) return undefined;
  const m = /^\s*(?:<\?xml[^>]*\?>\s*)?<xml>([\s\S]*)<\/xml>\s*$/.exec(raw);
  if (!m) return undefined;
  // A linear scan, not one regex: a lazy CDATA pattern backtracks quadratically on hostile bodies.
  const body = m[1];
  const out: PushFields = {};
  let i = 0;
  for (;;) {
    const open = body.indexOf('<', i);
    const close = open < 0 ? -1 : body.indexOf('>', open);
    if (close < 0) break;
    const name = body.slice(open + 1, close);
    i = close + 1;
    if (!/^[A-Za-z_][\w.-]{0,63}$/.test(name)) continue; // a closing tag, CDATA debris, a comment
    let j = close + 1;
    while (/\s/.test(body[j] ?? '')) j++;
    let value: string;
    if (body.startsWith('<![CDATA[', j)) {
      const end = body.indexOf(']]>', j + 9);
      if (end < 0) break;
      value = body.slice(j + 9, end);
      j = end + 3;
      i = j; // nothing inside a CDATA section is markup
      while (/\s/.test(body[j] ?? '')) j++;
    } else {
      const lt = body.indexOf('<', j);
      if (lt < 0) break;
      value = unescapeXml(body.slice(close + 1, lt).trim());
      j = lt;
    }
    // Not closed right here: a container (its children are read next) or broken markup.
    if (!body.startsWith(`</${name}>`, j)) continue;
    if (!(name in out)) out[name] = value.slice(0, MAX_FIELD);
    i = j + name.length + 3;
  }
  return out;
}

/** Either format, told apart by the first character (the account's configured format is checked by the caller). */
export function readFields(raw: string): PushFields | undefined {
  if (typeof raw !== 'string') return undefined;
  const first = raw.trimStart()[0];
  return first === '<' ? readXml(raw) : first === '{' ? readJson(raw) : undefined;
}

/** What a customer's non-text message reads as to the agent (the push never carries the media of these). */
function textOfOther(f: PushFields): string | undefined {
  switch (f.MsgType) {
    case 'miniprogrampage': return `[Mini-program page] ${f.Title ?? ''} (${f.PagePath ?? ''})`.slice(0, 2000);
    case 'voice': return f.Recognition ? `[Voice] ${f.Recognition}`.slice(0, 4000) : '[Voice message: not playable here]';
    case 'video': case 'shortvideo': return '[Video: not playable here]';
    case 'location': return `[Location] ${f.Label ?? ''} (${f.Location_X ?? '?'}, ${f.Location_Y ?? '?'})`.slice(0, 2000);
    case 'link': return `[Link] ${f.Title ?? ''} ${f.Url ?? ''}`.slice(0, 4000);
    default: return undefined;
  }
}

/** Pure: push fields (already decrypted) → what they mean. Never throws. */
export function parseFields(f: PushFields): Parsed {
  if (typeof f.Encrypt === 'string' && f.MsgType === undefined) {
    return /^[A-Za-z0-9+/=]{1,60000}$/.test(f.Encrypt) ? { kind: 'encrypted', encrypt: f.Encrypt } : { kind: 'invalid', reason: 'Encrypt' };
  }
  const from = f.FromUserName ?? '';
  const to = f.ToUserName ?? '';
  if (!ID.test(from) || !ID.test(to)) return { kind: 'invalid', reason: 'FromUserName/ToUserName' };
  if (!TIME.test(f.CreateTime ?? '')) return { kind: 'invalid', reason: 'CreateTime' };
  const at = Number(f.CreateTime);
  if (f.MsgType === 'event') {
    // Events carry no MsgId: WeChat's own rule is to dedupe them on sender + CreateTime.
    const sourceId = `ev:${from}:${f.CreateTime}`;
    if (f.Event === 'user_enter_tempsession') return { kind: 'enter', from, to, at, sourceId, sessionFrom: (f.SessionFrom ?? '').slice(0, 1000) };
    return { kind: 'unsupported', reason: `event ${String(f.Event).slice(0, 40)}` };
  }
  const msgId = f.MsgId ?? f.MsgID ?? '';
  if (!MSG_ID.test(msgId)) return { kind: 'invalid', reason: 'MsgId' };
  if (f.MsgType === 'text') {
    if (!f.Content?.trim()) return { kind: 'unsupported', reason: 'empty text' };
    return { kind: 'message', from, to, at, sourceId: msgId, text: f.Content };
  }
  if (f.MsgType === 'image') {
    const picUrl = f.PicUrl && /^https?:\/\//.test(f.PicUrl) && f.PicUrl.length <= 2000 ? f.PicUrl : undefined;
    const mediaId = f.MediaId && /^[\w-]{1,200}$/.test(f.MediaId) ? f.MediaId : undefined;
    if (!picUrl && !mediaId) return { kind: 'invalid', reason: 'PicUrl/MediaId' };
    return { kind: 'message', from, to, at, sourceId: msgId, text: '', image: { picUrl, mediaId } };
  }
  // A customer wrote something: a kind kefu cannot show still reaches the agent, as a note.
  return { kind: 'message', from, to, at, sourceId: msgId, text: textOfOther(f) ?? unknownKind(f.MsgType) };
}

function unknownKind(type: string | undefined): string {
  const named = type && /^[A-Za-z_]{1,40}$/.test(type) ? `A "${type}" message` : 'A message of a kind kefu does not know';
  return `[${named}: WeChat does not pass its content on]`;
}

/** Pure: a raw push body (JSON or XML) → what it means. Never throws. */
export function parse(raw: string): Parsed {
  const f = readFields(raw);
  if (!f) return { kind: 'invalid', reason: 'neither a JSON object nor <xml>' };
  return parseFields(f);
}
