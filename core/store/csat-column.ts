import type { Csat } from '../model/message.js';

/**
 * A conversation's survey as both stores keep it: one JSON value (times in ms), NULL when there is
 * none, so conversations without a survey cost nothing and the record can grow without a migration.
 */
export function encodeCsat(c: Csat | undefined): string | null {
  if (!c) return null;
  return JSON.stringify({ state: c.state, dueAt: c.dueAt.getTime(), askedAt: c.askedAt?.getTime(), rating: c.rating,
    comment: c.comment, answeredAt: c.answeredAt?.getTime(), via: c.via });
}

/** The stored value back; anything unreadable counts as no survey rather than breaking the conversation's load. */
export function decodeCsat(raw: unknown): Csat | undefined {
  if (typeof raw !== 'string' || !raw) return undefined;
  let v: Record<string, unknown>;
  try { v = JSON.parse(raw); } catch { return undefined; }
  if (!v || (v.state !== 'scheduled' && v.state !== 'asked' && v.state !== 'answered') || typeof v.dueAt !== 'number') return undefined;
  const date = (x: unknown) => (typeof x === 'number' ? new Date(x) : undefined);
  const c: Csat = { state: v.state, dueAt: new Date(v.dueAt) };
  if (date(v.askedAt)) c.askedAt = date(v.askedAt);
  if (typeof v.rating === 'number') c.rating = v.rating;
  if (typeof v.comment === 'string') c.comment = v.comment;
  if (date(v.answeredAt)) c.answeredAt = date(v.answeredAt);
  if (v.via === 'reply' || v.via === 'page') c.via = v.via;
  return c;
}
