import type { Attachment, Conversation, Message } from '../../core/model/message.js';

/**
 * Slack Web API shapes kefu speaks, and how kefu's model maps onto them:
 * - a Slack *channel* is a kefu conversation; its id is the conversation id (`C01…`);
 * - a *user* is a participant: customer (`web:v…`, `sms:+86…`), agent (`A01…`), bot, system;
 * - `ts` is `<seconds>.<micro>` from the message's sentAt, unique within its conversation
 *   (milliseconds × 1000 + seq mod 1000), stable and time-sortable.
 */
export interface SlackMessage {
  type: 'message';
  subtype?: string;
  ts: string;
  thread_ts?: string;
  user: string;
  bot_id?: string;
  username?: string;
  text: string;
  blocks?: unknown[];
  files?: SlackFile[];
  edited?: { user: string; ts: string };
  /** kefu's own fields; `delivery`: where a message to a vendor-pushed channel stands (queued, sent, delivered, read, failed). */
  kefu?: { id: string; seq: number; role: string; intent?: { label: string; score: number }; delivery?: import('../../core/model/delivery.js').Delivery };
}

export interface SlackFile { id: string; name?: string; title?: string; mimetype: string; filetype: string; size: number; url_private: string; permalink: string }

/** Slack's error names used by the methods (clients branch on these). */
export type SlackError =
  | 'not_authed' | 'invalid_auth' | 'token_revoked' | 'missing_scope' | 'channel_not_found' | 'message_not_found' | 'thread_not_found'
  | 'user_not_found' | 'no_text' | 'msg_too_long' | 'invalid_arguments' | 'invalid_cursor' | 'unknown_method' | 'cant_update_message'
  | 'cant_delete_message' | 'file_not_found' | 'request_too_large' | 'invalid_form_data' | 'internal_error' | 'is_archived' | 'ratelimited';

export class ApiError extends Error {
  constructor(readonly error: SlackError, readonly extra: Record<string, unknown> = {}) { super(error); }
}

export function tsOf(m: Pick<Message, 'sentAt' | 'seq'>): string {
  const ms = m.sentAt.getTime();
  return `${Math.floor(ms / 1000)}.${String((ms % 1000) * 1000 + (m.seq % 1000)).padStart(6, '0')}`;
}

/** Parses a ts back into its millisecond and seq residue; undefined when malformed. */
export function parseTs(ts: unknown): { ms: number; seqMod: number } | undefined {
  if (typeof ts !== 'string' || !/^\d{1,12}\.\d{6}$/.test(ts)) return undefined;
  const [s, micro] = ts.split('.');
  return { ms: Number(s) * 1000 + Math.floor(Number(micro) / 1000), seqMod: Number(micro) % 1000 };
}

export function fileOf(a: Attachment, base: string): SlackFile {
  const url = `${base}/media/${a.mediaId}`;
  return { id: `F${a.mediaId}`, name: a.name, title: a.name, mimetype: a.mime, filetype: a.mime.split('/')[1] ?? 'binary', size: a.size, url_private: url, permalink: url };
}

export function toSlackMessage(m: Message, base: string, threadTs?: string): SlackMessage {
  const c = m.content;
  const text = c.kind === 'text' ? c.text : c.kind === 'media' ? c.caption ?? '' : c.text ?? '';
  return {
    type: 'message',
    subtype: m.deleted ? 'tombstone' : m.from.role === 'bot' ? 'bot_message' : c.kind === 'event' ? 'kefu_event' : c.kind === 'media' ? 'file_share' : undefined,
    ts: tsOf(m),
    thread_ts: threadTs,
    user: m.from.id,
    bot_id: m.from.role === 'bot' ? m.from.id : undefined,
    username: m.from.name,
    text,
    blocks: c.kind === 'text' ? c.blocks : undefined,
    files: c.kind === 'media' ? c.attachments.map((a) => fileOf(a, base)) : undefined,
    edited: m.editedAt ? { user: m.from.id, ts: `${Math.floor(m.editedAt.getTime() / 1000)}.000000` } : undefined,
    kefu: { id: m.id, seq: m.seq, role: m.from.role, intent: m.intent, delivery: m.delivery },
  };
}

export function toSlackChannel(c: Conversation) {
  return {
    id: c.id, name: c.customer.name ?? c.customer.id, is_channel: false, is_group: false, is_im: true, is_mpim: false, is_private: true,
    is_archived: c.status === 'resolved', is_member: true, created: Math.floor(c.createdAt.getTime() / 1000), user: c.customer.id,
    topic: { value: c.tags.join(' '), creator: '', last_set: 0 }, purpose: { value: c.queue, creator: '', last_set: 0 },
    kefu: { channel: c.ref.channel, status: c.status, queue: c.queue, intent: c.intent, assignee: c.assigneeId, tags: c.tags, last_seq: c.lastSeq },
  };
}
