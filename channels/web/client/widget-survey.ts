/**
 * The satisfaction survey in the widget: the question, an optional comment, five rating buttons.
 * A tap sends the rating as the visitor's reply ("4", or "4 <comment>"), the same answer an SMS
 * customer types, so the server has one way to take it (idempotent on the message's clientId).
 * Every text goes in through textContent.
 */
import type { Strings } from './widget-i18n';
import type { Msg } from './widget-render';

export interface SurveyContext {
  t: Strings;
  rate(rating: number, comment: string): void;
  /** The rating the visitor already gave after the survey at `seq`, if any. */
  ratedAfter(seq: number): number | undefined;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** A typed comment survives the re-renders that every incoming frame causes. */
const drafts = new Map<string, string>();

export function surveyCard(m: Msg, ctx: SurveyContext): HTMLElement {
  const { t } = ctx;
  const box = el('div', 'survey');
  box.setAttribute('role', 'group');
  const question = typeof m.content.survey?.question === 'string' ? m.content.survey.question : t.surveyTitle;
  box.setAttribute('aria-label', question);
  box.append(el('div', 'q', question));
  const done = ctx.ratedAfter(m.seq);
  if (done) {
    box.append(el('div', 'done', t.rated(done)));
    return box;
  }
  const comment = el('input', 'comment');
  comment.type = 'text';
  comment.maxLength = 1000;
  comment.placeholder = t.surveyComment;
  comment.value = drafts.get(m.id) ?? '';
  comment.addEventListener('input', () => drafts.set(m.id, comment.value));
  const row = el('div', 'stars');
  for (let n = 1; n <= 5; n++) {
    const b = el('button', 'star', String(n));
    b.type = 'button';
    b.title = t.ratingLabels[n - 1];
    b.setAttribute('aria-label', `${n} · ${t.ratingLabels[n - 1]}`);
    b.addEventListener('click', () => { drafts.delete(m.id); ctx.rate(n, comment.value.trim()); });
    row.append(b);
  }
  const ends = el('div', 'ends');
  ends.append(el('span', '', t.ratingLabels[0]), el('span', '', t.ratingLabels[4]));
  box.append(row, ends, comment);
  return box;
}

/** The digit a visitor's reply starts with, as the server reads a rating (1–5, not 10 or 4.5). */
export function ratingOf(m: Msg): number | undefined {
  if (m.direction !== 'inbound' || m.content?.kind !== 'text') return undefined;
  const d = /^\s*([1-5])(?![\d.,]\d)(?!\d)/.exec(m.content.text);
  return d ? Number(d[1]) : undefined;
}
