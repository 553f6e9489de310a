import { KefuError } from '../../core/errors.js';
import { randomToken } from '../../core/model/ids.js';
import { withDeliveries } from '../../core/model/delivery.js';
import type { Content, Conversation, Message, Participant } from '../../core/model/message.js';
import type { ChannelContext } from '../contract.js';
import type { MediaService } from '../../core/http/media.js';
import type { Caller } from './tokens.js';
import { intArg, jsonArg, nestsDeeper, required, type Args, type UploadedFile } from './parse.js';
import { ApiError, fileOf, parseTs, toSlackChannel, toSlackMessage, tsOf } from './types.js';

export interface MethodContext {
  caller: Caller;
  args: Args;
  file?: UploadedFile;
  /** Public base URL (for upload URLs and file links). */
  base: string;
}

export interface MethodDeps {
  /** The channel's context: store reads, bot sends, edits, conversation updates. */
  ctx: Pick<ChannelContext, 'store' | 'send' | 'edit' | 'update'>;
  media: MediaService;
  maxTextChars: () => number;
  handoff: (conv: Conversation, by: Participant) => Promise<void>;
  botName: (caller: Caller) => string;
  /** Pending external uploads: file id → what was announced. */
  uploads: Map<string, { filename: string; length: number; caller: string; expires: number; attachment?: import('../../core/model/message.js').Attachment }>;
}

type Handler = (c: MethodContext, d: MethodDeps) => Promise<Record<string, unknown>>;
export interface Method { scope?: string; handler: Handler }

/** A channel argument: a conversation id, or an external reference it was tagged with. */
export async function conversationFor(d: MethodDeps, channel: string): Promise<Conversation> {
  const conv = await d.ctx.store.getConversation(channel) ?? (await d.ctx.store.findConversationsByTag(channel))[0];
  if (!conv) throw new ApiError('channel_not_found');
  return conv;
}

async function messageAt(d: MethodDeps, conv: Conversation, ts: string | undefined, notFound: 'message_not_found' | 'thread_not_found'): Promise<Message> {
  const p = parseTs(ts);
  if (!p) throw new ApiError(notFound);
  const m = (await d.ctx.store.findMessagesAt(conv.id, p.ms)).find((x) => x.seq % 1000 === p.seqMod);
  if (!m) throw new ApiError(notFound);
  return m;
}

/** Block Kit → plain text fallback: the text of every text object, in order. */
export function blocksText(blocks: unknown): string {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ((o.type === 'plain_text' || o.type === 'mrkdwn') && typeof o.text === 'string') out.push(o.text);
      else for (const k of ['text', 'fields', 'elements', 'blocks']) if (k in o) walk(o[k]);
    }
  };
  walk(blocks);
  return out.join('\n');
}

/** Slack's own bounds on Block Kit: 50 blocks a message; real layouts nest a handful of levels. */
const MAX_BLOCKS = 50;
const MAX_BLOCK_DEPTH = 12;

function textContent(c: MethodContext, d: MethodDeps): Content {
  const blocks = jsonArg<unknown[]>(c.args, 'blocks');
  if (blocks !== undefined && !Array.isArray(blocks)) throw new ApiError('invalid_arguments', { detail: 'blocks must be an array' });
  if (blocks && blocks.length > MAX_BLOCKS) throw new ApiError('invalid_arguments', { detail: `at most ${MAX_BLOCKS} blocks` });
  if (blocks && nestsDeeper(blocks, MAX_BLOCK_DEPTH)) throw new ApiError('invalid_arguments', { detail: `blocks nest deeper than ${MAX_BLOCK_DEPTH} levels` });
  const text = c.args.text || (blocks ? blocksText(blocks) : '');
  if (!text.trim()) throw new ApiError('no_text');
  if (text.length > d.maxTextChars()) throw new ApiError('msg_too_long');
  return blocks ? { kind: 'text', text, blocks } : { kind: 'text', text };
}

const from = (c: MethodContext, d: MethodDeps): Participant => ({ id: c.caller.id, role: 'bot', name: d.botName(c.caller) });

async function post(c: MethodContext, d: MethodDeps, conv: Conversation, content: Content, threadTs?: string) {
  const root = threadTs ? await messageAt(d, conv, threadTs, 'thread_not_found') : undefined;
  const res = await d.ctx.send({ conversationId: conv.id, from: from(c, d), content, threadId: root ? root.threadId ?? root.id : undefined,
    clientId: c.args.client_msg_id || undefined });
  return { ok: true, channel: conv.id, ts: tsOf(res.message), message: toSlackMessage(res.message, c.base, threadTs) };
}

function ownMessage(c: MethodContext, m: Message, error: 'cant_update_message' | 'cant_delete_message'): void {
  if (m.from.id !== c.caller.id || m.deleted) throw new ApiError(error);
}

function cursorOf(v: string | undefined): string | undefined {
  if (!v) return undefined;
  const s = Buffer.from(v, 'base64url').toString('utf8');
  if (!/^[A-Za-z0-9:_-]{1,80}$/.test(s)) throw new ApiError('invalid_cursor');
  return s;
}
const encodeCursor = (s: string) => Buffer.from(s).toString('base64url');

export const METHODS: Record<string, Method> = {
  'api.test': { handler: async (c) => ({ ok: true, args: c.args }) },
  'auth.test': {
    handler: async (c) => ({ ok: true, url: `${c.base}/`, team: 'kefu', user: c.caller.name, team_id: 'T0KEFU', user_id: c.caller.id, bot_id: c.caller.id, is_enterprise_install: false }),
  },
  'chat.postMessage': {
    scope: 'chat:write',
    handler: async (c, d) => post(c, d, await conversationFor(d, required(c.args, 'channel')), textContent(c, d), c.args.thread_ts || undefined),
  },
  'chat.update': {
    scope: 'chat:write',
    handler: async (c, d) => {
      const conv = await conversationFor(d, required(c.args, 'channel'));
      const m = await messageAt(d, conv, c.args.ts, 'message_not_found');
      ownMessage(c, m, 'cant_update_message');
      const next = await d.ctx.edit(m, { content: textContent(c, d) });
      return { ok: true, channel: conv.id, ts: tsOf(next), text: (next.content as { text: string }).text, message: toSlackMessage(next, c.base) };
    },
  },
  'chat.delete': {
    scope: 'chat:write',
    handler: async (c, d) => {
      const conv = await conversationFor(d, required(c.args, 'channel'));
      const m = await messageAt(d, conv, c.args.ts, 'message_not_found');
      ownMessage(c, m, 'cant_delete_message');
      await d.ctx.edit(m, { deleted: true });
      return { ok: true, channel: conv.id, ts: tsOf(m) };
    },
  },
  'conversations.list': {
    scope: 'channels:read',
    handler: async (c, d) => {
      const limit = intArg(c.args, 'limit', 100, 1, 1000);
      const types = (c.args.types || 'public_channel,private_channel,im,mpim').split(',').map((t) => t.trim());
      // Every kefu conversation is a 1:1 thread with a customer: it is listed for im, public and private channel types.
      if (!types.some((t) => t === 'im' || t === 'public_channel' || t === 'private_channel')) return { ok: true, channels: [], response_metadata: { next_cursor: '' } };
      const status = c.args.exclude_archived === 'true' ? ['bot', 'queued', 'assigned', 'pending'] : undefined;
      const page = await d.ctx.store.pageConversations(cursorOf(c.args.cursor) ?? '', limit + 1, status);
      const more = page.length > limit;
      const items = page.slice(0, limit);
      return { ok: true, channels: items.map(toSlackChannel), response_metadata: { next_cursor: more ? encodeCursor(items[items.length - 1].id) : '' } };
    },
  },
  'conversations.info': {
    scope: 'channels:read',
    handler: async (c, d) => ({ ok: true, channel: toSlackChannel(await conversationFor(d, required(c.args, 'channel'))) }),
  },
  'conversations.history': {
    scope: 'channels:history',
    handler: async (c, d) => {
      const conv = await conversationFor(d, required(c.args, 'channel'));
      const limit = intArg(c.args, 'limit', 100, 1, 1000);
      const inclusive = c.args.inclusive === 'true' || c.args.inclusive === '1';
      const oldest = c.args.oldest ? parseTs(normalizeTs(c.args.oldest)) : undefined;
      const latest = c.args.latest ? parseTs(normalizeTs(c.args.latest)) : undefined;
      if ((c.args.oldest && !oldest) || (c.args.latest && !latest)) throw new ApiError('invalid_arguments', { detail: 'oldest/latest must be timestamps' });
      const cursor = cursorOf(c.args.cursor);
      let before = cursor ? Number(cursor) : conv.lastSeq + 1;
      if (!Number.isInteger(before)) throw new ApiError('invalid_cursor');
      const key = (m: Message) => m.sentAt.getTime() * 1000 + (m.seq % 1000);
      const lo = oldest ? oldest.ms * 1000 + oldest.seqMod : -Infinity, hi = latest ? latest.ms * 1000 + latest.seqMod : Infinity;
      const out: Message[] = [];
      let more = false;
      // Newest first, top-level messages only (thread replies are in conversations.replies), no private notes.
      while (before > 1 && !more) {
        const page = await d.ctx.store.listMessages(conv.id, { beforeSeq: before, limit: 200 });
        if (page.length === 0) break;
        for (const m of page.reverse()) {
          before = m.seq;
          const k = key(m);
          if (k > hi || (k === hi && !inclusive)) continue;
          if (k < lo || (k === lo && !inclusive)) { before = 0; break; }
          if (m.private || m.threadId) continue;
          if (out.length === limit) { more = true; before = m.seq + 1; break; }
          out.push(m);
        }
      }
      return { ok: true, messages: (await withDeliveries(d.ctx.store.outbox, out)).map((m) => toSlackMessage(m, c.base)), has_more: more, pin_count: 0,
        response_metadata: { next_cursor: more ? encodeCursor(String(before)) : '' } };
    },
  },
  'conversations.replies': {
    scope: 'channels:history',
    handler: async (c, d) => {
      const conv = await conversationFor(d, required(c.args, 'channel'));
      const root = await messageAt(d, conv, required(c.args, 'ts'), 'thread_not_found');
      const rootId = root.threadId ?? root.id;
      const top = rootId === root.id ? root : (await d.ctx.store.getMessage(rootId))!;
      const replies = (await d.ctx.store.listThread(conv.id, rootId, intArg(c.args, 'limit', 1000, 1, 1000))).filter((m) => !m.private);
      const threadTs = tsOf(top);
      return { ok: true, messages: (await withDeliveries(d.ctx.store.outbox, [top, ...replies])).map((m) => toSlackMessage(m, c.base, threadTs)), has_more: false, response_metadata: { next_cursor: '' } };
    },
  },
  'users.info': {
    scope: 'users:read',
    handler: async (c, d) => {
      const id = required(c.args, 'user');
      const agent = await d.ctx.store.getAgent(id);
      const customerConv = agent ? undefined : (await d.ctx.store.findConversationsByCustomer(id))[0];
      const self = id === c.caller.id;
      if (!agent && !customerConv && !self) throw new ApiError('user_not_found');
      const name = agent?.name ?? customerConv?.customer.name ?? c.caller.name;
      return { ok: true, user: { id, name: agent?.login ?? name, real_name: name, is_bot: self, deleted: agent?.disabled ?? false,
        profile: { display_name: name, real_name: name }, kefu: { role: agent ? agent.role : self ? 'bot' : 'customer', channel: customerConv?.ref.channel } } };
    },
  },
  'files.getUploadURLExternal': {
    scope: 'files:write',
    handler: async (c, d) => {
      const filename = required(c.args, 'filename');
      const length = intArg(c.args, 'length', -1, -1, Number.MAX_SAFE_INTEGER);
      if (length < 1) throw new ApiError('invalid_arguments', { detail: 'length is required' });
      if (length > d.media.maxBytes()) throw new ApiError('request_too_large');
      const fileId = `F${randomToken(18)}`;
      d.uploads.set(fileId, { filename, length, caller: c.caller.id, expires: Date.now() + 10 * 60_000 });
      return { ok: true, upload_url: `${c.base}/api/files.upload/${fileId}`, file_id: fileId };
    },
  },
  'files.completeUploadExternal': {
    scope: 'files:write',
    handler: async (c, d) => {
      const files = jsonArg<{ id: string; title?: string }[]>(c.args, 'files');
      if (!Array.isArray(files) || files.length === 0 || files.length > 10) throw new ApiError('invalid_arguments', { detail: 'files must list 1 to 10 files' });
      for (const f of files) {
        if (!f || typeof f !== 'object' || typeof f.id !== 'string' || (f.title !== undefined && typeof f.title !== 'string')) {
          throw new ApiError('invalid_arguments', { detail: 'each of files is {"id": "F…", "title"?: "…"}' });
        }
      }
      const attachments = files.map((f) => {
        const u = d.uploads.get(f.id);
        if (!u || !u.attachment || u.caller !== c.caller.id) throw new ApiError('file_not_found');
        return { ...u.attachment, name: f.title || u.attachment.name };
      });
      files.forEach((f) => d.uploads.delete(f.id));
      const channel = c.args.channel_id || c.args.channels?.split(',')[0];
      if (channel) {
        const conv = await conversationFor(d, channel);
        await post(c, d, conv, { kind: 'media', attachments, caption: c.args.initial_comment || undefined }, c.args.thread_ts || undefined);
      }
      return { ok: true, files: attachments.map((a, i) => ({ ...fileOf(a, c.base), id: files[i].id })) };
    },
  },
  'kefu.handoff': {
    scope: 'kefu:handoff',
    handler: async (c, d) => {
      const conv = await conversationFor(d, required(c.args, 'channel'));
      await d.handoff(conv, from(c, d));
      return { ok: true, channel: conv.id, status: conv.status };
    },
  },
  'kefu.tag': {
    scope: 'chat:write',
    handler: async (c, d) => {
      const conv = await conversationFor(d, required(c.args, 'channel'));
      const tags = required(c.args, 'tags').split(',').map((t) => t.trim()).filter((t) => /^[\w.:#-]{1,64}$/.test(t));
      if (tags.length === 0) throw new ApiError('invalid_arguments', { detail: 'tags: comma-separated, 1-64 of [A-Za-z0-9_.:#-]' });
      await d.ctx.update(conv, { tags: [...new Set([...conv.tags, ...tags])] }, 'updated');
      return { ok: true, channel: toSlackChannel(conv) };
    },
  },
};

/** Slack clients send oldest/latest as "1700000000" or "1700000000.123456". */
function normalizeTs(v: string): string {
  return /^\d+$/.test(v) ? `${v}.000000` : /^\d+\.\d{1,6}$/.test(v) ? `${v.split('.')[0]}.${v.split('.')[1].padEnd(6, '0')}` : v;
}

export function kefuToSlackError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof KefuError) {
    const map: Partial<Record<KefuError['code'], ApiError['error']>> = {
      conversation_not_found: 'channel_not_found', payload_too_large: 'msg_too_long', validation_failed: 'invalid_arguments', invalid_state: 'is_archived',
    };
    return new ApiError(map[err.code] ?? 'internal_error', { detail: err.message });
  }
  return new ApiError('internal_error');
}
