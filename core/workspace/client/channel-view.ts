import { segmentsOf } from '../../../channels/sms/segments';
import { h } from './dom';
import { api, invalidate, type Attachment, type Conv, type Msg } from './state';
import { t } from './i18n';

/**
 * What the workspace shows differently per channel: the SMS segment counter and opt-out state,
 * the e-mail subject, address and folded quote. Everything from users goes in as text.
 */

/** channels/sms/index.ts OPTED_OUT_TAG (kept in step by hand: the server module is not bundled). */
export const OPTED_OUT_TAG = 'sms-opted-out';

export const isSms = (c: Conv) => c.channel === 'sms' || c.channel === 'sms_gateway';
export const isEmail = (c: Conv) => c.channel === 'email';
export const optedOut = (c: Conv) => isSms(c) && c.tags.includes(OPTED_OUT_TAG);

/** The customer's address: ids are `<channel>:<external id>` (an e-mail address, a phone number). */
export function customerAddress(c: Conv): string | undefined {
  const prefix = `${c.channel}:`;
  return c.customer.id.startsWith(prefix) ? c.customer.id.slice(prefix.length) : undefined;
}

/**
 * An e-mail ticket's state as a help desk names it: solved once resolved, pending while the last
 * word was ours (waiting on the customer), open while the customer waits for an answer.
 */
export function ticketState(c: Conv): 'open' | 'pending' | 'solved' | undefined {
  if (!isEmail(c)) return undefined;
  if (c.status === 'resolved') return 'solved';
  return c.waitingOn === 'customer' ? 'pending' : 'open';
}

export function optOutBadge(): HTMLElement {
  return h('span', { class: 'chip opted-out', title: t.optedOutTitle }, t.optedOut);
}

/** "2 segments · GSM-7 · 187/306": what the draft costs as an SMS; empty for an empty draft. */
export function segmentText(text: string): string {
  const s = segmentsOf(text);
  if (s.segments === 0) return '';
  return t.segments(s.segments, s.encoding, `${s.units}/${s.units + s.remaining}`);
}

/**
 * The e-mail subject, from the ticket's first inbound message ("Subject\n\nbody", see
 * channels/email/index.ts contentOf). Read once per conversation over HTTP: the live frames only
 * carry later messages. `null` once known to have none.
 */
const subjects = new Map<string, string | null>();

export function subjectFrom(m: Msg): string | null {
  const text: unknown = m.content.kind === 'text' ? m.content.text : m.content.caption;
  const match = typeof text === 'string' ? /^([^\n]+)\n\n/.exec(text) : null;
  return match ? match[1].trim() || null : null;
}

/**
 * The subject if known: the channel's meta first (kept by the server, no request), else read from
 * the first message for tickets from before meta existed (the list and header repaint when it arrives).
 */
export function subjectOf(c: Conv): string | undefined {
  if (!isEmail(c)) return undefined;
  if (c.meta?.subject) return c.meta.subject;
  if (!subjects.has(c.id)) {
    subjects.set(c.id, null);
    api(`/api/conversations/${encodeURIComponent(c.id)}/messages?after=0&limit=5`).then((r) => {
      const first = (r.messages as Msg[]).filter((m) => m.direction === 'inbound' && m.content.kind !== 'event').sort((a, b) => a.seq - b.seq)[0];
      const subject = first ? subjectFrom(first) : null;
      if (subject) { subjects.set(c.id, subject); invalidate('list', 'head'); }
    }, () => subjects.delete(c.id)); // read again on a later paint
  }
  return subjects.get(c.id) ?? undefined;
}

export const QUOTED_NAME = 'quoted-reply.txt';
export const isQuoted = (a: Attachment) => a.kind === 'file' && a.name === QUOTED_NAME;

/** The quoted earlier conversation of a mail, folded: fetched and shown as text when expanded. */
export function quotedToggle(a: Attachment, onResize: () => void): HTMLElement {
  const text = h('pre', { class: 'quoted-text', hidden: true });
  let loaded = false;
  const button = h('button', { class: 'quoted-toggle', 'aria-expanded': 'false' }, t.showQuoted) as HTMLButtonElement;
  button.addEventListener('click', async () => {
    const open = text.hidden;
    text.hidden = !open;
    button.textContent = open ? t.hideQuoted : t.showQuoted;
    button.setAttribute('aria-expanded', String(open));
    if (open && !loaded) {
      loaded = true;
      text.textContent = t.loading;
      try {
        const res = await fetch(`/media/${encodeURIComponent(a.mediaId)}`, { credentials: 'same-origin' });
        if (!res.ok) throw new Error(res.statusText || String(res.status));
        text.textContent = await res.text();
        text.dataset.loaded = '1';
      } catch (ex) {
        loaded = false;
        text.textContent = t.quotedFailed((ex as Error).message);
      }
    }
    onResize();
  });
  return h('div', { class: 'quoted' }, button, text);
}
