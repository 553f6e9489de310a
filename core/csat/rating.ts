/** The longest comment kept with a rating; longer ones are cut (the customer's words are not refused). */
export const MAX_COMMENT = 1000;

export interface Rating { rating: number; comment?: string }

const CHINESE: Record<string, number> = { 一: 1, 二: 2, 两: 2, 三: 3, 四: 4, 五: 5 };

/**
 * A reply that answers an open survey: a digit 1–5 first (full-width and 一…五 too, "4分", "5星",
 * "3/5"), then optionally a comment ("4 slow but fine", "5，谢谢"). Anything else is undefined:
 * "10", "45 minutes late" and "hello" are messages, not ratings. Pure; never throws.
 */
export function parseRatingReply(text: unknown): Rating | undefined {
  if (typeof text !== 'string' || text.length > 20_000) return undefined;
  const t = text.normalize('NFKC').trim();
  if (/^\d[.,]\d/.test(t)) return undefined; // 4.5 is no answer on a 1–5 scale
  const m = /^([1-5一二两三四五])\s*(?:\/\s*5|分|星|stars?)?(?:$|[\s,.:;!?、，。：；！？~\-–—]+([\s\S]*)$)/u.exec(t);
  if (!m) return undefined;
  const rating = /\d/.test(m[1]) ? Number(m[1]) : CHINESE[m[1]];
  const comment = cleanComment(m[2]);
  return comment ? { rating, comment } : { rating };
}

/** A comment as stored: trimmed, bounded, control characters out; empty is none. */
export function cleanComment(raw: unknown): string | undefined {
  if (typeof raw !== 'string') return undefined;
  // eslint-disable-next-line no-control-regex
  const c = raw.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, '').trim().slice(0, MAX_COMMENT);
  return c || undefined;
}

/** A rating from a form or button value: an integer 1–5, or undefined. */
export function ratingValue(raw: unknown): number | undefined {
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && /^[1-5]$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 5 ? n : undefined;
}
