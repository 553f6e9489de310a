import { KefuError } from '../../core/errors.js';
import { GcraRateLimiter } from '../../core/ratelimit/rate-limiter.js';
import type { JsonHandler } from '../../core/http/json-routes.js';
import type { Prediction } from './classifier.js';

export const INTENT_SCOPE = 'intent:read';
/** Texts one request may carry: a shop's backend scoring a page of tickets, not a bulk export (use `kefu classify`). */
export const MAX_TEXTS = 100;
export const MAX_TOP = 20;
const DEFAULT_TOP = 3;

export interface IntentRouteDeps {
  caller(authorization: string | undefined): Promise<{ id: string; scopes: readonly string[] }>;
  /** The Web API's allowance per token ([channels.api] rate_per_min, burst). */
  rate(): { perMin: number; burst: number };
  maxChars(): number;
  /** The plugin's scorer: through the bus's batcher, after synonyms; undefined when no model is loaded. */
  top(text: string, k: number): Promise<Prediction[] | undefined>;
}

/**
 * POST /v1/intent `{text}` or `{texts: […]}` (optional `top`, 1–20, default 3) with a token
 * holding `intent:read` → `{ok, results}`: for `text` the top intents `[{label, score}]`, for
 * `texts` one such list per text, in order. Every text of every request goes through the same
 * batcher as the bus's messages, so concurrent requests share model runs.
 */
export function intentRoute(d: IntentRouteDeps): { handler: JsonHandler; close(): void } {
  // An allowance of the Web API's size, kept apart from it: scoring cannot starve a bot's sends.
  const limiter = new GcraRateLimiter(0, 0);
  let limits = [-1, -1];
  const handler: JsonHandler = async ({ headers, body }) => {
    const caller = await d.caller(headers.authorization);
    const { perMin, burst } = d.rate();
    if (perMin !== limits[0] || burst !== limits[1]) { limits = [perMin, burst]; limiter.configure(perMin, burst); }
    const wait = limiter.take(caller.id);
    if (wait > 0) throw new KefuError('rate_limited', 'Too many requests for this token; retry later.', { retryAfter: wait });
    if (!caller.scopes.includes(INTENT_SCOPE)) throw new KefuError('forbidden', `The token lacks the ${INTENT_SCOPE} scope.`);
    const { texts, single } = readTexts(body, d.maxChars());
    const k = readTop(body.top);
    const scored = await Promise.all(texts.map((t) => d.top(t, k)));
    if (scored.some((s) => !s)) throw new KefuError('unavailable', 'No intent model is loaded (see [ai] enabled and model_path).');
    const results = scored.map((s) => s!.map((p) => ({ label: p.label, score: Math.round(p.score * 1e4) / 1e4 })));
    return { status: 200, body: { ok: true, results: single ? results[0] : results } };
  };
  return { handler, close: () => limiter.close() };
}

function readTexts(body: Record<string, unknown>, maxChars: number): { texts: string[]; single: boolean } {
  const has = (k: string) => body[k] !== undefined && body[k] !== null;
  if (has('text') === has('texts')) throw new KefuError('validation_failed', 'Send either text (a string) or texts (an array of strings).');
  const single = has('text');
  const list = single ? [body.text] : body.texts;
  if (!Array.isArray(list) || list.length === 0 || list.length > MAX_TEXTS) throw new KefuError('validation_failed', `texts must be an array of 1 to ${MAX_TEXTS} strings`);
  list.forEach((t, i) => {
    const name = single ? 'text' : `texts[${i}]`;
    if (typeof t !== 'string' || !t.trim()) throw new KefuError('validation_failed', `${name} must be a non-empty string`);
    if (t.length > maxChars) throw new KefuError('validation_failed', `${name} is longer than ${maxChars} characters`);
  });
  return { texts: list as string[], single };
}

function readTop(v: unknown): number {
  if (v === undefined || v === null) return DEFAULT_TOP;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_TOP) throw new KefuError('validation_failed', `top must be an integer from 1 to ${MAX_TOP}`);
  return v;
}
