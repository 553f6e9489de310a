import { fmtSize, h } from './dom';
import { patchDelivery } from './delivery-view';
import type { Attachment, Msg } from './state';
import { isQuoted, quotedToggle } from './channel-view';
import { audioPlayer, isPlayable, isVoice, transcript } from './audio-view';
import { locale, t } from './i18n';

const mediaUrl = (a: Attachment) => `/media/${encodeURIComponent(a.mediaId)}`;

function image(a: Attachment, onLoad: () => void): HTMLElement {
  // Known dimensions reserve the box before the bytes arrive: the log does not jump on load.
  const sized = a.width && a.height ? { width: a.width, height: a.height } : {};
  return h('a', { class: 'image', href: mediaUrl(a), target: '_blank', rel: 'noopener' },
    h('img', { src: mediaUrl(a), alt: a.name ?? t.imageAlt, ...sized, onload: onLoad }));
}

function fileChip(a: Attachment): HTMLElement {
  const name = a.name || t.file;
  return h('a', { class: 'file', href: mediaUrl(a), download: name, title: t.downloadName(name) },
    h('span', { class: 'ficon', 'aria-hidden': 'true' }, (name.split('.').pop() ?? '').slice(0, 4).toUpperCase() || 'FILE'),
    h('span', { class: 'finfo' }, h('span', { class: 'fname' }, name),
      h('span', { class: 'fsize' }, [fmtSize(a.size), t.download].filter(Boolean).join(' · '))));
}

type EventContent = { event: string; text?: string; survey?: { question?: string } };
const after = (text: string | undefined, suffix: string) => (text?.endsWith(suffix) ? text.slice(0, -suffix.length) : undefined);

/**
 * System events the server writes in English (core/routing/assigner.ts, channels/wechat), shown in
 * the workspace's language by their type; the server's own text is the fallback. Notices and
 * hand-off messages stay as written: they are what the customer was sent, in the operator's words.
 */
export function eventText(c: EventContent): string {
  switch (c.event) {
    case 'deleted': return t.messageDeleted;
    case 'csat': return t.evCsat(c.survey?.question ?? '');
    case 'assigned': { const n = after(c.text, ' joined the conversation'); return n ? t.evAssigned(n) : c.text ?? ''; }
    case 'resolved': { const n = after(c.text, ' closed the conversation'); return n ? t.evResolved(n === 'The agent' ? t.evTheAgent : n) : c.text ?? ''; }
    case 'join': {
      if (c.text === 'Opened the chat') return t.evJoin;
      const from = /^Opened the chat from "(.*)"$/s.exec(c.text ?? '')?.[1];
      return from !== undefined ? t.evJoinFrom(from) : c.text ?? '';
    }
    default: return c.text ?? c.event;
  }
}

/** One message. Everything from users goes in as text nodes (h never parses HTML). */
export function bubble(m: Msg, onLoad: () => void): HTMLElement {
  // The survey's link is the customer's to use: agents see that it was sent, not the link.
  if (m.content.kind === 'event') return h('div', { class: 'event' }, eventText(m.content));
  const body = h('div', { class: 'body' });
  if (m.content.kind === 'text') body.textContent = m.content.text;
  else {
    const all: Attachment[] = m.content.attachments ?? [];
    // A mail's quoted earlier conversation is folded under the text, not offered as a file.
    const atts = all.filter((a) => !isQuoted(a));
    if (atts.length) body.append(h('div', { class: 'atts' }, ...atts.map((a) => (a.kind === 'image' ? image(a, onLoad) : isPlayable(a) ? audioPlayer(a, mediaUrl(a)) : fileChip(a)))));
    if (m.content.caption) body.append(atts.some(isVoice) ? transcript(m.content.caption) : h('div', { class: 'caption' }, m.content.caption));
    for (const a of all.filter(isQuoted)) body.append(quotedToggle(a, onLoad));
    body.classList.add('media');
  }
  const when = m.pending ? t.sendingMeta : new Date(m.sentAt).toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
  const el = h('div', { class: `msg ${m.from.role}${m.private ? ' private' : ''}`, 'data-id': m.id }, body,
    h('div', { class: 'meta' }, h('span', {}, `${m.from.role === 'customer' ? '' : (m.from.name ?? '') + ' · '}${when}${m.private ? t.privateMeta : ''}`),
      // Only outbound messages to push channels ever fill it (see delivery-view).
      m.direction === 'outbound' && !m.private ? h('span', { class: 'dlv-slot' }) : null));
  patchDelivery(el, m.id);
  return el;
}
