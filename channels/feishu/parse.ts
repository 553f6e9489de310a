import type { CardValue, EventEnvelope, WireMention, WireMessage, WireSender } from './types.js';

export interface FeishuMessage {
  kind: 'message';
  eventId: string; appId?: string; token?: string;
  messageId: string; chatId: string; chatType: 'p2p' | 'group'; openId: string;
  /** The text as the customer wrote it, mentions as @name (the bot's own removed). */
  text: string;
  imageKeys: string[];
  /** True in a p2p chat, or when the bot (any bot, when its open_id is unknown) is @-mentioned. */
  addressed: boolean;
  sentAt?: Date;
}

export type Parsed =
  | FeishuMessage
  | { kind: 'challenge'; challenge: string; token?: string }
  | { kind: 'card_action'; eventId: string; appId?: string; token?: string; openId: string; action: string; conversationId: string; chatId?: string }
  | { kind: 'unsupported'; reason: string; eventId?: string; token?: string }
  | { kind: 'invalid'; reason: string };

const ID = /^[A-Za-z0-9_-]{1,128}$/;
const MAX_TEXT = 100_000;
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const id = (v: unknown): string | undefined => { const s = str(v); return s && ID.test(s) ? s : undefined; };

/** Pure: a plaintext event (webhook body after decryption, or a long-connection payload) → what it means. Never throws. */
export function parse(raw: string, o: { botOpenId?: string } = {}): Parsed {
  let v: unknown;
  try { v = JSON.parse(raw); } catch { return { kind: 'invalid', reason: 'not JSON' }; }
  return parseEvent(v, o);
}

export function parseEvent(v: unknown, o: { botOpenId?: string } = {}): Parsed {
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { kind: 'invalid', reason: 'not an object' };
  const e = v as EventEnvelope;
  if (e.type === 'url_verification') {
    const challenge = str(e.challenge);
    return challenge && challenge.length <= 512 ? { kind: 'challenge', challenge, token: str(e.token) } : { kind: 'invalid', reason: 'challenge' };
  }
  if (e.schema !== '2.0' || !e.header || typeof e.header !== 'object') return { kind: 'unsupported', reason: 'not an event v2 (schema 2.0)' };
  const h = e.header;
  const eventId = str(h.event_id);
  if (!eventId || eventId.length > 128) return { kind: 'invalid', reason: 'header.event_id' };
  const base = { eventId, appId: str(h.app_id), token: str(h.token) };
  const body = e.event && typeof e.event === 'object' ? e.event : {};
  if (h.event_type === 'im.message.receive_v1') return messageOf(body, base, o.botOpenId);
  if (h.event_type === 'card.action.trigger') return cardActionOf(body, base);
  return { kind: 'unsupported', reason: `event ${String(h.event_type).slice(0, 60)}`, eventId, token: base.token };
}

function messageOf(ev: Record<string, unknown>, base: { eventId: string; appId?: string; token?: string }, botOpenId?: string): Parsed {
  const sender = (ev.sender ?? {}) as WireSender;
  const m = (ev.message ?? {}) as WireMessage;
  // The bot's own messages come back as events too: taking them would make a loop.
  if (sender.sender_type && sender.sender_type !== 'user') return { kind: 'unsupported', reason: `sender ${String(sender.sender_type).slice(0, 20)}`, ...base };
  const messageId = id(m.message_id);
  const chatId = id(m.chat_id);
  const openId = id(sender.sender_id?.open_id);
  if (!messageId || !chatId || !openId) return { kind: 'invalid', reason: 'message_id/chat_id/sender open_id' };
  if (m.chat_type !== 'p2p' && m.chat_type !== 'group') return { kind: 'unsupported', reason: `chat type ${String(m.chat_type).slice(0, 20)}`, ...base };
  let content: Record<string, unknown> = {};
  try { const c = JSON.parse(str(m.content) ?? '{}'); if (c && typeof c === 'object') content = c; } catch { return { kind: 'invalid', reason: 'message.content' }; }
  const mentions = Array.isArray(m.mentions) ? m.mentions.slice(0, 100) as WireMention[] : [];
  const named = (key: string) => {
    const who = mentions.find((x) => x && x.key === key);
    if (!who) return key;
    return botOpenId && who.id?.open_id === botOpenId ? '' : `@${String(who.name ?? '').slice(0, 100)}`;
  };
  const imageKeys: string[] = [];
  let text: string;
  switch (m.message_type) {
    case 'text': text = withMentions(str(content.text) ?? '', mentions, named); break;
    case 'post': text = postText(content, imageKeys, named); break;
    case 'image': { const k = id(content.image_key); if (!k) return { kind: 'invalid', reason: 'image_key' }; imageKeys.push(k); text = ''; break; }
    // Kinds an agent cannot see here still reach them, as what they were (nothing is dropped silently).
    default: text = `[${String(m.message_type).slice(0, 20)}${typeof content.file_name === 'string' ? `: ${content.file_name.slice(0, 200)}` : ''}]`;
  }
  text = text.replace(/[ \t]{2,}/g, ' ').trim().slice(0, MAX_TEXT);
  if (!text && imageKeys.length === 0) return { kind: 'unsupported', reason: 'empty message', ...base };
  const addressed = m.chat_type === 'p2p' || (botOpenId ? mentions.some((x) => x?.id?.open_id === botOpenId) : mentions.length > 0);
  const ms = Number(m.create_time);
  return { kind: 'message', ...base, messageId, chatId, chatType: m.chat_type, openId, text, imageKeys: imageKeys.slice(0, 10), addressed,
    sentAt: Number.isFinite(ms) && ms > 0 ? new Date(ms) : undefined };
}

function withMentions(text: string, mentions: WireMention[], named: (key: string) => string): string {
  let out = text;
  for (const m of mentions) if (m && typeof m.key === 'string' && m.key) out = out.split(m.key).join(named(m.key));
  return out;
}

/** A rich-text (post) message: its title and lines as text, its images' keys collected. Locale-wrapped bodies too. */
function postText(content: Record<string, unknown>, images: string[], named: (key: string) => string): string {
  const body = (Array.isArray(content.content) ? content
    : Object.values(content).find((x) => x && typeof x === 'object' && Array.isArray((x as { content?: unknown }).content))) as
    { title?: unknown; content?: unknown[] } | undefined;
  if (!body) return '';
  const lines: string[] = typeof body.title === 'string' && body.title ? [body.title] : [];
  for (const line of (body.content ?? []).slice(0, 1000)) {
    if (!Array.isArray(line)) continue;
    let s = '';
    for (const el of line.slice(0, 1000) as Record<string, unknown>[]) {
      if (!el || typeof el !== 'object') continue;
      if (el.tag === 'text' || el.tag === 'md' || el.tag === 'code_block') s += str(el.text) ?? '';
      else if (el.tag === 'a') s += `${str(el.text) ?? ''}${typeof el.href === 'string' ? ` (${el.href})` : ''}`;
      else if (el.tag === 'at') s += typeof el.user_id === 'string' && el.user_id.startsWith('@_') ? named(el.user_id) : `@${str(el.user_name) ?? ''}`;
      else if (el.tag === 'img') { const k = id(el.image_key); if (k) images.push(k); }
      else if (el.tag === 'emotion') s += `:${str(el.emoji_type) ?? ''}:`;
    }
    lines.push(s);
  }
  return lines.join('\n');
}

function cardActionOf(ev: Record<string, unknown>, base: { eventId: string; appId?: string; token?: string }): Parsed {
  const operator = (ev.operator ?? {}) as { open_id?: unknown };
  const action = (ev.action ?? {}) as { value?: unknown };
  const context = (ev.context ?? {}) as { open_chat_id?: unknown };
  const openId = id(operator.open_id);
  if (!openId) return { kind: 'invalid', reason: 'operator.open_id' };
  let value = action.value as CardValue | string | undefined;
  if (typeof value === 'string') { try { value = JSON.parse(value) as CardValue; } catch { value = undefined; } }
  const conversationId = value && typeof value === 'object' ? id(value.conversation) : undefined;
  const what = value && typeof value === 'object' ? str(value.kefu) : undefined;
  if (!what || !conversationId) return { kind: 'unsupported', reason: 'not a kefu card button', ...base };
  return { kind: 'card_action', ...base, openId, action: what.slice(0, 40), conversationId, chatId: id(context.open_chat_id) };
}

/** The SDK's EventDispatcher hands handlers header and event merged into one object: back to the envelope parse reads. */
export function fromDispatched(eventType: string, flat: unknown): EventEnvelope {
  const f = (flat && typeof flat === 'object' ? flat : {}) as Record<string, unknown>;
  return { schema: '2.0', header: { event_id: str(f.event_id), event_type: eventType, app_id: str(f.app_id), create_time: str(f.create_time) }, event: f };
}
