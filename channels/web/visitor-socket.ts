import type { WebSocket } from 'ws';
import { KefuError, toKefuError } from '../../core/errors.js';
import type { Content, ConversationRef } from '../../core/model/message.js';
import type { VisitorTokens } from '../../core/auth/visitor-token.js';
import type { ChannelContext } from '../contract.js';
import { Coalescer } from '../../core/bus/coalescer.js';
import { sendAll, sendBounded } from '../../core/http/socket-send.js';
import { parseVisitorFrame, textContent } from './parse.js';
import { toVisitorMessage, type ServerFrame } from './types.js';
import type { VisitorLimits } from './visitor-limits.js';
import { deliverToWidgets } from './api.js';
import { markSent, trackSocket } from './visitor-resync.js';

const HELLO_TIMEOUT_MS = 10_000;
const MAX_FRAME_BYTES = 64 * 1024;
/** Messages per replay page; the next page is read only once this one has left for the kernel. */
const REPLAY_PAGE = 100;
/** Typing/read frames of one socket reach the bus at most once a second each (cheap drop before any lookup). */
const SIGNAL_INTERVAL_MS = 1000;

export interface VisitorConnection {
  ctx: ChannelContext; tokens: VisitorTokens; sockets: Map<string, Set<WebSocket>>; limits: VisitorLimits;
  agentsOnline: () => number; address: string;
  /** Which channel the visitor's conversation belongs to; the web widget's by default. */
  scope?: VisitorScope;
}

/**
 * What makes a visitor protocol client one channel's customer: the same frames, tokens and
 * resume serve the web widget and the WeChat mini-program component, their conversations are
 * kept apart by the ref.
 */
export interface VisitorScope {
  ref(visitorId: string): ConversationRef;
  /** The customer's name agents see. */
  name(visitorId: string): string;
  /** Facts merged into the conversation's meta with each message (e.g. a WeChat unionid). */
  meta?(visitorId: string): Promise<Record<string, string> | undefined>;
}

export function webRef(visitorId: string): ConversationRef {
  return { channel: 'web', account: 'default', thread: visitorId };
}

export const webScope: VisitorScope = { ref: webRef, name: visitorName };

/**
 * The one way a visitor's message enters the bus (socket, HTTP send, upload-and-send): ingest,
 * then show it on the visitor's other open widgets. `except` is the socket that sent it (it gets
 * an ack instead).
 */
export async function ingestFromVisitor(
  ctx: ChannelContext, sockets: Map<string, Set<WebSocket>>, visitorId: string,
  m: { clientId: string; content: Content; queue?: string; address: string }, limits: VisitorLimits, except?: WebSocket,
  scope: VisitorScope = webScope,
) {
  const limited = limits.message(m.address);
  if (limited) await limited;
  const meta = scope.meta ? await scope.meta(visitorId) : undefined;
  const res = await ctx.ingest({ ref: scope.ref(visitorId), customer: { externalId: visitorId, name: scope.name(visitorId) },
    sourceId: m.clientId, content: m.content, hints: { queue: m.queue }, ...(meta ? { meta } : {}) });
  if (res.status === 'accepted') deliverToWidgets(sockets.get(visitorId), res.message, except);
  return res;
}

export function sendFrame(ws: WebSocket, frame: ServerFrame): void {
  if (ws.readyState === 1) sendBounded(ws, JSON.stringify(frame));
}

/**
 * One visitor connection: authenticate with `hello`, replay what the visitor missed
 * (seq > after), then relay sends/typing/read. Every bad frame gets an error frame;
 * the connection stays open and nothing else is affected.
 */
export function handleVisitorSocket(ws: WebSocket, c: VisitorConnection): void {
  const { ctx, tokens, sockets, limits } = c;
  const scope = c.scope ?? webScope;
  // Before anything else: one address holding thousands of sockets (with or without hello) is refused.
  if (!limits.openSocket(c.address)) {
    sendFrame(ws, { type: 'error', code: 'too_many_connections', message: 'Too many open chat connections from your network.' });
    ws.close(4029, 'too many connections');
    return;
  }
  let visitorId: string | undefined;
  let queue: string | undefined;
  const helloTimer = setTimeout(() => ws.close(4001, 'hello expected'), HELLO_TIMEOUT_MS);
  const signals = new Coalescer<{ event: 'typing' | 'read'; seq?: number }>(SIGNAL_INTERVAL_MS, (_k, s) => {
    if (visitorId) void ctx.signalEvent(scope.ref(visitorId), s.event, s.seq).catch(() => {});
  });

  let pendingHello = false;
  const early: Buffer[] = [];
  const greet = (id: string, f: { queue?: string; after?: number }, wait: number) => {
    if (ws.readyState !== 1) return;
    if (wait > 0) {
      sendFrame(ws, { type: 'error', code: 'rate_limited', message: `Too many reconnects; retry in ${wait}s.`, retryAfter: wait });
      return ws.close(4029, 'rate limited');
    }
    let set = sockets.get(id);
    if (set && limits.socketsFull(set.size)) {
      sendFrame(ws, { type: 'error', code: 'too_many_connections', message: 'This visitor has too many open chat windows; close one.' });
      return ws.close(4029, 'too many connections');
    }
    clearTimeout(helloTimer);
    visitorId = id;
    queue = f.queue;
    if (!set) sockets.set(id, (set = new Set()));
    set.add(ws);
    trackSocket(ws, f.after ?? 0);
    void welcome(ws, ctx, id, f.after ?? 0, c.agentsOnline(), scope);
  };

  ws.on('message', (data, isBinary) => {
    if (isBinary) return sendFrame(ws, { type: 'error', code: 'unsupported_media_type', message: 'Text frames only.' });
    if (pendingHello && early.length < 20) return void early.push(data as Buffer);
    const parsed = parseVisitorFrame(data.toString(), MAX_FRAME_BYTES);
    if (parsed.kind === 'invalid') {
      return sendFrame(ws, { type: 'error', code: parsed.code, message: parsed.message, clientId: parsed.clientId });
    }
    const f = parsed.frame;
    if (f.type === 'ping') return sendFrame(ws, { type: 'pong' });
    if (f.type === 'hello') {
      if (visitorId || pendingHello) return sendFrame(ws, { type: 'error', code: 'bad_request', message: 'Already said hello.' });
      const id = tokens.verify(f.token);
      if (!id) {
        sendFrame(ws, { type: 'error', code: 'invalid_token', message: 'The visitor token is invalid or expired.' });
        return ws.close(4003, 'invalid token');
      }
      // Every hello replays history: bounded per visitor, like the sockets one visitor may hold.
      const wait = limits.hello(id);
      if (typeof wait !== 'number') {
        // A shared limiter answers later: frames that arrive meanwhile are handled after the hello, in order.
        pendingHello = true;
        const answered = (w: number) => {
          pendingHello = false;
          greet(id, f, w);
          for (const d of early.splice(0)) ws.emit('message', d, false);
        };
        void wait.then(answered, () => answered(0));
        return;
      }
      greet(id, f, wait);
      return;
    }
    if (!visitorId) return sendFrame(ws, { type: 'error', code: 'unauthorized', message: 'Say hello with your token first.' });
    if (f.type === 'typing') return signals.push('typing', { event: 'typing' });
    if (f.type === 'read') return signals.push('read', { event: 'read', seq: f.seq });
    void (async () => {
      try {
        const content: Content = f.text !== undefined
          ? textContent(f.text)
          : { kind: 'media', attachments: await ctx.media.resolveAttachments(f.attachments), caption: f.caption };
        const res = await ingestFromVisitor(ctx, sockets, visitorId!, { clientId: f.clientId, content, queue, address: c.address }, limits, ws, scope);
        markSent(ws, res.message.seq);
        sendFrame(ws, { type: 'ack', clientId: f.clientId, id: res.message.id, seq: res.message.seq, sentAt: res.message.sentAt.toISOString(),
          duplicate: res.status === 'duplicate' || undefined });
      } catch (err) {
        const e = err instanceof KefuError ? err : toKefuError(err);
        if (!(err instanceof KefuError)) ctx.logger.error({ err }, 'visitor send failed');
        sendFrame(ws, { type: 'error', code: e.code, message: e.toJSON().message, clientId: f.clientId,
          retryAfter: typeof e.details?.retryAfter === 'number' ? e.details.retryAfter : undefined });
      }
    })();
  });

  ws.on('close', () => {
    limits.closeSocket(c.address);
    clearTimeout(helloTimer);
    signals.close();
    if (!visitorId) return;
    const set = sockets.get(visitorId);
    set?.delete(ws);
    if (set?.size === 0) sockets.delete(visitorId);
  });
  ws.on('error', () => ws.terminate());
}

async function welcome(ws: WebSocket, ctx: ChannelContext, visitorId: string, after: number, agentsOnline: number, scope: VisitorScope): Promise<void> {
  try {
    let cursor = after;
    const ref = scope.ref(visitorId);
    const first = await ctx.history(ref, cursor, REPLAY_PAGE);
    sendFrame(ws, { type: 'welcome', visitorId, conversationId: first.conversation?.id, lastSeq: first.conversation?.lastSeq ?? 0, agentsOnline });
    // Replay in pages, each read only once the last one has left: a visitor that does not read
    // holds one page of memory, not the whole history.
    for (let page = first.messages; page.length > 0 && ws.readyState === 1; page = (await ctx.history(ref, cursor, REPLAY_PAGE)).messages) {
      for (const m of page) markSent(ws, m.seq);
      await sendAll(ws, page.map((m) => JSON.stringify({ type: 'message', message: toVisitorMessage(m) })));
      cursor = page[page.length - 1].seq;
      if (page.length < REPLAY_PAGE) break;
    }
  } catch (err) {
    ctx.logger.error({ err }, 'visitor resume failed');
    ws.close(1011, 'resume failed');
  }
}

export function visitorName(visitorId: string): string {
  return `Visitor ${visitorId.slice(-4).toUpperCase()}`;
}
