import { MessageType, ScanStatus, type MessageSnapshot, type Peer } from './types.js';

export type Parsed =
  | { kind: 'message'; sourceId: string; thread: string; peer: Peer; customer: { externalId: string; name?: string }; text: string; image: boolean }
  | { kind: 'ignored'; reason: string }
  | { kind: 'invalid'; reason: string };

export interface ParseOptions { groupMode: 'mentions' | 'all'; maxChars: number }

const ID = /^[\x21-\x7e]{1,200}$/;

/**
 * What agents see instead of a kind WeChat shows only in its own app: nothing a customer sends is
 * dropped without a trace, and the agent knows to look on the phone.
 */
const PLACEHOLDER: Record<number, string> = {
  [MessageType.Audio]: '[voice message — open WeChat to listen]',
  [MessageType.Video]: '[video — open WeChat to watch it]',
  [MessageType.Attachment]: '[file — open WeChat to download it]',
  [MessageType.Emoticon]: '[sticker]',
  [MessageType.Contact]: '[contact card — open WeChat to see it]',
  [MessageType.ChatHistory]: '[forwarded chat history — open WeChat to read it]',
  [MessageType.Location]: '[location — open WeChat to see it]',
  [MessageType.MiniProgram]: '[mini program — open WeChat to open it]',
  [MessageType.GroupNote]: '[group note — open WeChat to read it]',
  [MessageType.Transfer]: '[money transfer — open WeChat to see it]',
  [MessageType.RedEnvelope]: '[red envelope — open WeChat to see it]',
  [MessageType.Recalled]: '[the sender recalled a message]',
  [MessageType.Url]: '[link — open WeChat to open it]',
  [MessageType.Post]: '[Moments post — open WeChat to see it]',
};

const CUT = ' …[truncated]';
const bounded = (s: string, max: number) => (s.length > max ? s.slice(0, Math.max(0, max - CUT.length)) + CUT : s);
const str = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : '');

/**
 * Pure: one message as the puppet gave it (a snapshot, or its JSON) → what kefu stores. Never
 * throws. A group is one conversation (its customer is the group, each line says who wrote it);
 * in `mentions` mode only lines that @mention the account count. The account's own messages
 * (its replies echo back as events) are ignored; every other kind becomes text, a placeholder
 * for what WeChat alone can show.
 */
export function parse(raw: unknown, o: ParseOptions = { groupMode: 'mentions', maxChars: 4000 }): Parsed {
  let v: Partial<MessageSnapshot> | undefined;
  if (typeof raw === 'string') {
    try { v = JSON.parse(raw); } catch { return { kind: 'invalid', reason: 'not JSON' }; }
  } else v = raw as Partial<MessageSnapshot>;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return { kind: 'invalid', reason: 'not an object' };
  if (typeof v.id !== 'string' || !ID.test(v.id)) return { kind: 'invalid', reason: 'id' };
  if (typeof v.type !== 'number' || !Number.isInteger(v.type)) return { kind: 'invalid', reason: 'type' };
  const talker = v.talker as Partial<MessageSnapshot['talker']> | undefined;
  if (!talker || typeof talker !== 'object' || typeof talker.id !== 'string' || !ID.test(talker.id)) return { kind: 'invalid', reason: 'talker' };
  if (v.self === true) return { kind: 'ignored', reason: 'sent by this account' };
  const name = str(talker.name, 100) || undefined;
  const text = str(v.text, 100_000);
  const room = v.room as Partial<NonNullable<MessageSnapshot['room']>> | undefined;

  let body: string;
  const image = v.type === MessageType.Image;
  if (v.type === MessageType.Text) {
    if (!text.trim()) return { kind: 'ignored', reason: 'empty text' };
    body = text;
  }
  else if (image) body = '';
  else if (PLACEHOLDER[v.type]) body = PLACEHOLDER[v.type];
  // Unknown covers WeChat's own notices ("… joined the group"): their text when it is prose, not the XML some puppets pass.
  else body = v.type === MessageType.Unknown && text && !text.trimStart().startsWith('<') ? `[WeChat notice: ${text.slice(0, 300)}]` : '[a message kind kefu cannot show — open WeChat]';

  if (room !== undefined) {
    if (!room || typeof room !== 'object' || typeof room.id !== 'string' || !ID.test(room.id)) return { kind: 'invalid', reason: 'room' };
    const mentioned = room.mentionSelf === true;
    if (o.groupMode === 'mentions' && !mentioned) return { kind: 'ignored', reason: 'group message without a mention' };
    if (v.type === MessageType.Text && mentioned) body = str(room.mentionText, 100_000) || text;
    const topic = str(room.topic, 100) || undefined;
    const who = name ?? talker.id;
    return { kind: 'message', sourceId: v.id, thread: `r:${room.id}`, peer: { type: 'room', id: room.id, name: topic ?? '' },
      customer: { externalId: `r:${room.id}`, name: topic }, image, text: bounded(image ? `${who} sent an image` : `${who}: ${body}`, o.maxChars) };
  }
  return { kind: 'message', sourceId: v.id, thread: `c:${talker.id}`, peer: { type: 'contact', id: talker.id, name: name ?? '' },
    customer: { externalId: `c:${talker.id}`, name }, image, text: bounded(body, o.maxChars) };
}

/** The login QR code's state as admins read it. */
export function scanText(status: number): string {
  switch (status) {
    case ScanStatus.Waiting: return 'waiting for a scan';
    case ScanStatus.Scanned: return 'scanned: confirm the login on the phone';
    case ScanStatus.Confirmed: return 'confirmed: logging in';
    case ScanStatus.Timeout: return 'expired: a new code follows';
    case ScanStatus.Cancel: return 'cancelled on the phone: a new code follows';
    default: return 'waiting';
  }
}

/** A thread (`c:<contact id>` or `r:<room id>`) → whom to send to; undefined when it is neither. */
export function peerOfThread(thread: string): Pick<Peer, 'type' | 'id'> | undefined {
  const m = /^([cr]):(.+)$/.exec(thread);
  if (!m || !ID.test(m[2])) return undefined;
  return { type: m[1] === 'r' ? 'room' : 'contact', id: m[2] };
}
