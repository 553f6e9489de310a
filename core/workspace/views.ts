import type { Conversation } from '../model/message.js';
import type { SlaView } from '../sla/clock.js';

/** What the workspace sees of a conversation; `sla` when its queue has targets (core/sla). */
export function publicConversation(c: Conversation, sla?: SlaView) {
  return {
    id: c.id, channel: c.ref.channel, customer: c.customer, status: c.status, queue: c.queue, priority: c.priority,
    intent: c.intent, assigneeId: c.assigneeId, createdAt: c.createdAt, updatedAt: c.updatedAt, queuedAt: c.queuedAt,
    lastSeq: c.lastSeq, lastMessageAt: c.lastMessageAt, waitingOn: c.waitingOn, tags: c.tags, meta: c.meta ?? {}, sla,
    csat: c.csat,
  };
}

export const SESSION_COOKIE = 'kefu_session';

/** The session token from the HttpOnly cookie (browser) or a Bearer header (scripts, CLI). */
export function sessionToken(cookie: string | undefined, authorization: string | undefined): string | undefined {
  if (authorization?.startsWith('Bearer ')) return authorization.slice(7);
  if (!cookie) return undefined;
  for (const part of cookie.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === SESSION_COOKIE) return decodeURIComponent(v.join('='));
  }
  return undefined;
}
