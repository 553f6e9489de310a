import type { Attachment, Content, Message } from '../../core/model/message.js';

/** Frames a visitor's widget sends over /ws/visitor. */
export type VisitorFrame =
  | { type: 'hello'; token: string; after?: number; queue?: string; page?: string }
  | { type: 'send'; clientId: string; text?: string; attachments?: { mediaId: string }[]; caption?: string }
  | { type: 'typing' }
  | { type: 'read'; seq: number }
  | { type: 'ping' };

/** What a visitor may see of a message: no internal ids of agents, no private notes. */
export interface VisitorMessage {
  id: string;
  seq: number;
  clientId?: string;
  direction: 'inbound' | 'outbound';
  from: { role: string; name?: string };
  content: Content;
  sentAt: string;
}

export type ServerFrame =
  | { type: 'welcome'; visitorId: string; conversationId?: string; lastSeq: number; agentsOnline: number }
  | { type: 'message'; message: VisitorMessage }
  | { type: 'ack'; clientId: string; id: string; seq: number; sentAt?: string; duplicate?: boolean }
  | { type: 'error'; code: string; message: string; clientId?: string; retryAfter?: number }
  | { type: 'typing'; from: { role: string; name?: string } }
  | { type: 'presence'; agentsOnline: number }
  | { type: 'queue'; position: number; etaSeconds: number; open: boolean }
  | { type: 'pong' };

export function toVisitorMessage(m: Message): VisitorMessage {
  return {
    id: m.id, seq: m.seq, clientId: m.direction === 'inbound' ? m.sourceId : undefined, direction: m.direction,
    from: { role: m.from.role, name: m.from.name }, content: m.content, sentAt: m.sentAt.toISOString(),
  };
}

export type { Attachment };
