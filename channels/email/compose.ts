import type { TicketInfo } from './types.js';

/** "Re: <the ticket's subject> [#T…]": one Re:, one tag, however many rounds the thread had; no Re: on the first mail of a ticket we started. */
export function replySubject(subject: string, ticket: string, first = false): string {
  let base = subject.replace(/\[#T[A-Z0-9]+\]/gi, ' ');
  while (/^\s*(re|aw|sv|回复|答复)\s*[:：]/i.test(base)) base = base.replace(/^\s*(re|aw|sv|回复|答复)\s*[:：]/i, '');
  base = base.replace(/\s+/g, ' ').trim() || 'Your request';
  return `${first ? '' : 'Re: '}${base} [#${ticket}]`;
}

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** The reply, then the customer's last message quoted the way mail clients do. */
export function quoteText(text: string, t: TicketInfo): string {
  if (!t.lastText) return text;
  return `${text}\n\n${t.name ?? t.email} wrote:\n${t.lastText.split('\n').map((l) => `> ${l}`).join('\n')}\n`;
}

/** Simple HTML: the reply's lines, then the quote in a blockquote (escaped: agents' text is not markup). */
export function quoteHtml(text: string, t: TicketInfo): string {
  const lines = (s: string) => escapeHtml(s).replace(/\r?\n/g, '<br>\n');
  const quote = t.lastText ? `<p>${escapeHtml(t.name ?? t.email)} wrote:</p>\n<blockquote type="cite" style="margin:0 0 0 .8ex;border-left:1px solid #ccc;padding-left:1ex">${lines(t.lastText)}</blockquote>` : '';
  return `<!doctype html><html><body><div>${lines(text)}</div>\n${quote}</body></html>`;
}

/**
 * The satisfaction survey as a mail: the question and one link per rating to the rating page
 * (which only shows the choice; the customer confirms there, so a mail scanner following links
 * rates nothing). Plain text carries the question and the page's link.
 */
export function surveyMail(question: string, url: string | undefined): { text: string; html: string } {
  if (!url) return { text: question, html: `<!doctype html><html><body><p>${escapeHtml(question)}</p></body></html>` };
  const labels = ['', '1 · Very poor', '2 · Poor', '3 · OK', '4 · Good', '5 · Excellent'];
  const links = [5, 4, 3, 2, 1].map((n) => `<a href="${escapeHtml(`${url}?rating=${n}`)}" style="display:inline-block;margin:4px;padding:8px 12px;border:1px solid #c8cdd5;border-radius:6px;text-decoration:none">${labels[n]}</a>`).join('');
  return { text: `${question}\n\nRate us here: ${url}\n`, html: `<!doctype html><html><body><p>${escapeHtml(question)}</p><p>${links}</p><p><a href="${escapeHtml(url)}">${escapeHtml(url)}</a></p></body></html>` };
}
