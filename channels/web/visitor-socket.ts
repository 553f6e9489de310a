import type { WebSocket } from 'ws';
import { KefuError, toKefuError } from '../../core/errors.js';
import type { Content, ConversationRef } from '../../core/model/message.js';
import type { VisitorTokens } from '../../core/auth/visitor-token.js';
import type { ChannelContext } from '../contract.js';
import { parseVisitorFrame, textContent } from './parse.js';
import { toVisitorMessage, type ServerFrame } from './types.js';

const HELLO_TIMEOUT_MS = 10_000;
const MAX_FRAME_BYTES = 64 * 1024;

export function webRef(visitorId: string): ConversationRef {
  return { channel: 'web', account: 'default', thread: visitorId };
}

/**
 * The one way a visitor's message enters the bus (socket, HTTP send, upload-and-send): ingest,
 * then show it on the visitor's other open widgets. `except` is the socket that sent it (it gets
 * an ack instead).
 */
export async function ingestFromVisitor(
  ctx: ChannelContext, sockets: Map<string, Set<WebSocket>>, visitorId: string,
  m: { clientId: string; content: Content; queue?: string }, except?: WebSocket,
) {
  const res = await ctx.ingest({ ref: webRef(visitorId), customer: { externalId: visitorId, name: visitorName(visitorId) },
    sourceId: m.clientId, content: m.content, hints: { queue: m.queue } });
  const set = sockets.get(visitorId);
  if (res.status === 'accepted' && set && set.size > (except ? 1 : 0)) {
    const frame = JSON.stringify({ type: 'message', message: toVisitorMessage(res.message) });
    for (const ws of set) if (ws !== except && ws.readyState === 1) ws.send(frame);
  }
  return res;
}

export function sendFrame(ws: WebSocket, frame: ServerFrame): void {
  if (ws.readyState === 1) ws.send(JSON.stringify(frame));
}

/**
 * One visitor connection: authenticate with `hello`, replay what the visitor missed
 * (seq > after), then relay sends/typing/read. Every bad frame gets an error frame;
 * the connection stays open and nothing else is affected.
 */
export function handleVisitorSocket(
  ws: WebSocket,
  ctx: ChannelContext,
  tokens: VisitorTokens,
  sockets: Map<string, Set<WebSocket>>,
  agentsOnline: () => number,
): void {
  let visitorId: string | undefined;
  let queue: string | undefined;
  const helloTimer = setTimeout(() => ws.close(4001, 'hello expected'), HELLO_TIMEOUT_MS);

  ws.on('message', (data, isBinary) => {
    if (isBinary) return sendFrame(ws, { type: 'error', code: 'unsupported_media_type', message: 'Text frames only.' });
    const parsed = parseVisitorFrame(data.toString(), MAX_FRAME_BYTES);
    if (parsed.kind === 'invalid') {
      return sendFrame(ws, { type: 'error', code: parsed.code, message: parsed.message, clientId: parsed.clientId });
    }
    const f = parsed.frame;
    if (f.type === 'ping') return sendFrame(ws, { type: 'pong' });
    if (f.type === 'hello') {
      if (visitorId) return sendFrame(ws, { type: 'error', code: 'bad_request', message: 'Already said hello.' });
      const id = tokens.verify(f.token);
      if (!id) {
        sendFrame(ws, { type: 'error', code: 'invalid_token', message: 'The visitor token is invalid or expired.' });
        return ws.close(4003, 'invalid token');
      }
      clearTimeout(helloTimer);
      visitorId = id;
      queue = f.queue;
      let set = sockets.get(id);
      if (!set) sockets.set(id, (set = new Set()));
      set.add(ws);
      void welcome(ws, ctx, id, f.after ?? 0, agentsOnline());
      return;
    }
    if (!visitorId) return sendFrame(ws, { type: 'error', code: 'unauthorized', message: 'Say hello with your token first.' });
    const ref = webRef(visitorId);
    if (f.type === 'typing') return void ctx.signalEvent(ref, 'typing').catch(() => {});
    if (f.type === 'read') return void ctx.signalEvent(ref, 'read', f.seq).catch(() => {});
    void (async () => {
      try {
        const content: Content = f.text !== undefined
          ? textContent(f.text)
          : { kind: 'media', attachments: await ctx.media.resolveAttachments(f.attachments), caption: f.caption };
        const res = await ingestFromVisitor(ctx, sockets, visitorId!, { clientId: f.clientId, content, queue }, ws);
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
    clearTimeout(helloTimer);
    if (!visitorId) return;
    const set = sockets.get(visitorId);
    set?.delete(ws);
    if (set?.size === 0) sockets.delete(visitorId);
  });
  ws.on('error', () => ws.terminate());
}

async function welcome(ws: WebSocket, ctx: ChannelContext, visitorId: string, after: number, agentsOnline: number): Promise<void> {
  try {
    let cursor = after;
    const first = await ctx.history(webRef(visitorId), cursor, 500);
    sendFrame(ws, { type: 'welcome', visitorId, conversationId: first.conversation?.id, lastSeq: first.conversation?.lastSeq ?? 0, agentsOnline });
    // Replay in pages so a long-absent visitor gets everything without one huge frame.
    for (let page = first.messages; page.length > 0; page = (await ctx.history(webRef(visitorId), cursor, 500)).messages) {
      for (const m of page) sendFrame(ws, { type: 'message', message: toVisitorMessage(m) });
      cursor = page[page.length - 1].seq;
      if (page.length < 500) break;
    }
  } catch (err) {
    ctx.logger.error({ err }, 'visitor resume failed');
    ws.close(1011, 'resume failed');
  }
}

export function visitorName(visitorId: string): string {
  return `Visitor ${visitorId.slice(-4).toUpperCase()}`;
}
