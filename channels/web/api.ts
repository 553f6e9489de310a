import type { WebSocket } from 'ws';
import type { Message } from '../../core/model/message.js';
import { sendBounded } from '../../core/http/socket-send.js';
import { toVisitorMessage } from './types.js';

/**
 * The web channel's outbound "vendor call": a message frame to each open widget of the visitor.
 * Live only: a widget that is closed, slow or gone gets the message when it resumes from the
 * store, so nothing here retries (and the web channel does not push through the outbox).
 */
export function deliverToWidgets(sockets: Iterable<WebSocket> | undefined, msg: Message, except?: WebSocket): void {
  if (!sockets) return;
  let frame: string | undefined;
  for (const ws of sockets) if (ws !== except) sendBounded(ws, (frame ??= JSON.stringify({ type: 'message', message: toVisitorMessage(msg) })));
}
