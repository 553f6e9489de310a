import Router from '@koa/router';
import type { Context } from 'koa';
import type { Readable } from 'node:stream';
import getRawBody from 'raw-body';
import { KefuError } from '../errors.js';
import type { Conversation } from '../model/message.js';
import type { Store } from '../store/store.js';
import type { CsatService } from './csat-service.js';
import { cleanComment, MAX_COMMENT, ratingValue } from './rating.js';
import type { SurveyTokens } from './survey-token.js';

const MAX_FORM_BYTES = 8 * 1024;
const LABELS = ['', '1 · Very poor 很差', '2 · Poor 较差', '3 · OK 一般', '4 · Good 满意', '5 · Excellent 非常满意'];
// Text only: nothing loads from anywhere, no script runs, the form posts back here only, no page may frame it.
// On a phone (test/e2e/csat-page.test.ts, 375 px): no sideways scroll, every choice and the button at least 48 px tall (a finger).
const CSP = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

const esc = (s: unknown) => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/**
 * The public rating page, `GET/POST /csat/<token>` on the public port: the e-mail survey's link and
 * every channel's fallback. The token in the path is the only credential (an HMAC of the
 * conversation id), so there is no session a forged cross-site post could ride on; posts from
 * another site are refused all the same. GET never changes anything (mail scanners follow links).
 */
export function ratingPageRoutes(d: { csat: CsatService; tokens: SurveyTokens; store: Store }): Router {
  const router = new Router();

  const load = async (koa: Context): Promise<Conversation | undefined> => {
    const id = d.tokens.verify(koa.params.token);
    const conv = id ? await d.store.getConversation(id) : undefined;
    return conv?.csat && conv.csat.state !== 'scheduled' ? conv : undefined;
  };

  router.get('/csat/:token', async (koa) => {
    const conv = await load(koa);
    if (!conv) return page(koa, 404, 'Survey not found', '<p>This survey link is not valid (or the survey is not open yet).</p>');
    const c = conv.csat!;
    if (c.state === 'answered') return answered(koa, conv, d.csat.commentOpen(conv));
    const pre = ratingValue(koa.query.rating);
    page(koa, 200, 'How did we do?', `<p class="q">${esc(d.csat.spec(conv.queue)?.question ?? 'How would you rate the help you got?')}</p>${form(pre)}`);
  });

  router.post('/csat/:token', async (koa) => {
    if (crossSite(koa)) return page(koa, 403, 'Not accepted', '<p>Ratings are accepted from this page only.</p>');
    const conv = await load(koa);
    if (!conv) return page(koa, 404, 'Survey not found', '<p>This survey link is not valid.</p>');
    if (!/^application\/x-www-form-urlencoded\s*(;|$)/i.test(koa.get('content-type'))) return page(koa, 415, 'Not accepted', '<p>Send the form from the rating page.</p>');
    let raw: string;
    try {
      raw = await readForm(koa.req, koa.get('content-length') || undefined);
    } catch (err) {
      const e = err as KefuError;
      if (e.code === 'payload_too_large') return page(koa, 413, 'Too long', `<p>The comment is limited to ${MAX_COMMENT} characters.</p>`);
      return page(koa, e.status, 'Not accepted', `<p>The form could not be read (<code>${esc(e.code)}</code>). Send it again from the rating page.</p>`);
    }
    const f = new URLSearchParams(raw);
    const rating = ratingValue(f.get('rating') ?? (conv.csat!.state === 'answered' ? String(conv.csat!.rating) : undefined));
    if (!rating) return page(koa, 422, 'Choose a rating', `<p>Choose a rating from 1 to 5.</p>${form(undefined, f.get('comment') ?? '')}`);
    const result = await d.csat.answer(conv.id, { rating, comment: cleanComment(f.get('comment')) }, 'page');
    const now = await d.store.getConversation(conv.id);
    answered(koa, now ?? conv, result !== 'closed' && d.csat.commentOpen(now ?? conv), result === 'closed' ? 409 : 200);
  });

  return router;
}

/**
 * The form body, within MAX_FORM_BYTES. Only a body over the limit is `payload_too_large`; one
 * that cannot be read (the client went away mid-body, fewer bytes than Content-Length said) is
 * `bad_request`, so a broken connection is not reported to anyone as a long comment.
 */
export async function readForm(req: Readable, length: string | undefined): Promise<string> {
  try {
    return await getRawBody(req, { limit: MAX_FORM_BYTES, encoding: 'utf8', length });
  } catch (err) {
    if ((err as { type?: string }).type === 'entity.too.large') throw new KefuError('payload_too_large', `The form is limited to ${MAX_FORM_BYTES} bytes.`);
    throw new KefuError('bad_request', 'Could not read the form.');
  }
}

/** A browser says where a post comes from (Sec-Fetch-Site, Origin): anything but this site is refused. */
function crossSite(koa: Context): boolean {
  const site = koa.get('sec-fetch-site');
  if (site && site !== 'same-origin' && site !== 'none') return true;
  const origin = koa.get('origin');
  return !!origin && origin !== 'null' && origin !== `${koa.protocol}://${koa.host}`;
}

function answered(koa: Context, conv: Conversation, commentOpen: boolean, status = 200): void {
  const c = conv.csat!;
  const again = commentOpen
    ? `<form method="post"><label for="comment">Your comment (you can still change it)</label><textarea id="comment" name="comment" maxlength="${MAX_COMMENT}">${esc(c.comment ?? '')}</textarea><button type="submit">Save comment</button></form>`
    : '';
  page(koa, status, 'Thank you', `<p class="q">Thank you! You rated us <b>${c.rating} of 5</b>.</p>${c.comment ? `<blockquote>${esc(c.comment)}</blockquote>` : ''}${again}`);
}

function form(pre?: number, comment = ''): string {
  const options = [5, 4, 3, 2, 1].map((n) => `<label class="r"><input type="radio" name="rating" value="${n}"${n === pre ? ' checked' : ''} required> ${esc(LABELS[n])}</label>`).join('');
  return `<form method="post"><fieldset><legend>Your rating</legend>${options}</fieldset>`
    + `<label for="comment">A comment (optional)</label><textarea id="comment" name="comment" maxlength="${MAX_COMMENT}">${esc(comment)}</textarea>`
    + '<button type="submit">Send</button></form>';
}

function page(koa: Context, status: number, title: string, body: string): void {
  koa.status = status;
  koa.set({ 'Content-Security-Policy': CSP, 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Robots-Tag': 'noindex', 'X-Frame-Options': 'DENY' });
  koa.type = 'text/html; charset=utf-8';
  koa.body = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:32rem;margin:2rem auto;padding:0 1rem;color:#1d2433}h1{font-size:1.3rem}
fieldset{border:0;padding:0;margin:0 0 1rem}.r{display:flex;align-items:center;gap:.6rem;min-height:48px;box-sizing:border-box;padding:.5rem .8rem;margin:.35rem 0;border:1px solid #d4d8df;border-radius:8px;cursor:pointer}
.r input{width:1.25rem;height:1.25rem;margin:0;flex:none}.r:has(input:checked){border-color:#2f6fed;background:#eef4ff}
textarea{display:block;width:100%;min-height:5rem;box-sizing:border-box;margin:.3rem 0 1rem;font:inherit}
button{font:inherit;min-height:48px;padding:.6rem 1.6rem;border:0;border-radius:8px;background:#2f6fed;color:#fff;cursor:pointer}blockquote{color:#4a5261;border-left:3px solid #d4d8df;margin:0;padding-left:.8rem}</style>
</head><body><h1>${esc(title)}</h1>${body}</body></html>`;
}
