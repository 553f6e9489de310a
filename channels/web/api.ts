import type { WebSocket } from 'ws';
import type { Message } from '../../core/model/message.js';
import type { QueueStatus } from '../../core/routing/assigner.js';
import { sendBounded } from '../../core/http/socket-send.js';
import { toVisitorMessage, type ServerFrame } from './types.js';
import { markSent } from './visitor-resync.js';

/**
 * The web channel's outbound "vendor call": a message frame to each open widget of the visitor.
 * Live only: a widget that is closed, slow or gone gets the message when it resumes from the
 * store, so nothing here retries (and the web channel does not push through the outbox).
 */
export function deliverToWidgets(sockets: Iterable<WebSocket> | undefined, msg: Message, except?: WebSocket): void {
  if (!sockets) return;
  let frame: string | undefined;
  for (const ws of sockets) {
    if (ws === except) continue;
    markSent(ws, msg.seq);
    sendBounded(ws, (frame ??= JSON.stringify({ type: 'message', message: toVisitorMessage(msg) })));
  }
}

/** Live-only frames for a visitor's open widgets (web and mini-program alike): queue position, agent typing. */
export function queueToWidgets(sockets: Iterable<WebSocket> | undefined, s: QueueStatus): void {
  frameTo(sockets, { type: 'queue', position: s.position, etaSeconds: s.etaSeconds, open: s.open });
}

export function typingToWidgets(sockets: Iterable<WebSocket> | undefined, from: { role: string; name?: string }): void {
  frameTo(sockets, { type: 'typing', from: { role: from.role, name: from.name } });
}

/** Whether anyone is there to answer, to every open widget. */
export function presenceToWidgets(all: Map<string, Set<WebSocket>>, agentsOnline: number): void {
  const frame = JSON.stringify({ type: 'presence', agentsOnline });
  for (const set of all.values()) for (const ws of set) sendBounded(ws, frame);
}

function frameTo(sockets: Iterable<WebSocket> | undefined, frame: ServerFrame): void {
  let text: string | undefined;
  for (const ws of sockets ?? []) if (ws.readyState === 1) sendBounded(ws, (text ??= JSON.stringify(frame)));
}
