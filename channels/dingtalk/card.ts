/**
 * The satisfaction survey as a DingTalk interactive card (卡片平台 "高级版" card, sent with
 * card/instances/createAndDeliver, clicks coming back over the stream on CARD_TOPIC). DingTalk
 * draws cards only from a template made in its card platform, so the operator makes one (see the
 * README) and names it in `csat_card_template_id`; kefu fills its variables and reads the button's
 * callback. Pure functions only: the calls are in api.ts, the wiring in index.ts.
 */

export const CARD_TOPIC = '/v1.0/card/instances/callback';

/** Template variables kefu fills (cardParamMap takes strings only). */
export function surveyCardParams(question: string): Record<string, string> {
  return { question, title: '服务评价 · How did we do?', rated: '', labels: JSON.stringify(['1 很差', '2 较差', '3 一般', '4 满意', '5 非常满意']) };
}

/** One card per survey message: the id the callback names it by (outTrackId, ≤ 64 characters). */
export function outTrackIdOf(messageId: string): string { return `kefu-csat-${messageId}`.slice(0, 64); }

export type CardClick = { kind: 'rating'; outTrackId: string; userId: string; rating: number } | { kind: 'ignored'; reason: string };

/**
 * A card callback's `data`: `{ outTrackId, userId, content: "<json>" }` where content holds
 * `cardPrivateData: { actionIds: [...], params: {...} }`. The rating is the button's `params.rating`
 * (1–5), or an action id `rate_<n>` for a template that sets no params. Never throws.
 */
export function parseCardClick(raw: string): CardClick {
  let v: { outTrackId?: unknown; userId?: unknown; content?: unknown; value?: unknown };
  try { v = JSON.parse(raw); } catch { return { kind: 'ignored', reason: 'not JSON' }; }
  if (!v || typeof v !== 'object') return { kind: 'ignored', reason: 'not an object' };
  const outTrackId = typeof v.outTrackId === 'string' && /^[\w.-]{1,64}$/.test(v.outTrackId) ? v.outTrackId : undefined;
  const userId = typeof v.userId === 'string' && /^[\w$:.-]{1,160}$/.test(v.userId) ? v.userId : undefined;
  if (!outTrackId || !userId) return { kind: 'ignored', reason: 'outTrackId or userId' };
  let content: { cardPrivateData?: { actionIds?: unknown; params?: Record<string, unknown> } } = {};
  const rawContent = typeof v.content === 'string' ? v.content : typeof v.value === 'string' ? v.value : undefined;
  try { content = rawContent ? JSON.parse(rawContent) : {}; } catch { return { kind: 'ignored', reason: 'content not JSON' }; }
  const data = content?.cardPrivateData ?? {};
  const fromParams = String(data.params?.rating ?? '');
  const action = Array.isArray(data.actionIds) ? String(data.actionIds[0] ?? '') : '';
  const digit = /^[1-5]$/.test(fromParams) ? fromParams : /^rate_?([1-5])$/.exec(action)?.[1];
  if (!digit) return { kind: 'ignored', reason: 'no rating in the click' };
  return { kind: 'rating', outTrackId, userId, rating: Number(digit) };
}
