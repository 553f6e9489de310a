import type { TicketInfo } from './types.js';

/** "Re: <the ticket's subject> [#T…]": one Re:, one tag, however many rounds the thread had. */
export function replySubject(subject: string, ticket: string): string {
  let base = subject.replace(/\[#T[A-Z0-9]+\]/gi, ' ');
  while (/^\s*(re|aw|sv|回复|答复)\s*[:：]/i.test(base)) base = base.replace(/^\s*(re|aw|sv|回复|答复)\s*[:：]/i, '');
  base = base.replace(/\s+/g, ' ').trim() || 'Your request';
  return `Re: ${base} [#${ticket}]`;
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
