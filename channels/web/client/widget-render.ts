/**
 * Message bubbles. Everything a person wrote (text, captions, file names) goes in through
 * textContent; the only markup is our own constant icons.
 */
import type { Strings } from './widget-i18n';
import { surveyCard, type SurveyContext } from './widget-survey';

export type Msg = { id: string; seq: number; clientId?: string; direction: 'inbound' | 'outbound'; from: { role: string; name?: string };
  content: any; sentAt: string; pending?: 'sending' | 'failed' };

export interface RenderContext extends SurveyContext { origin: string; t: Strings; onImageLoad(): void }

const FILE_ICON = '<svg viewBox="0 0 24 24" width="22" height="22" aria-hidden="true"><path fill="currentColor" d="M6 2h8l6 6v12a2 2 0 0 1-2 2H6a2 2 0 0 1-2-2V4a2 2 0 0 1 2-2zm7 1.5V9h5.5L13 3.5z"/></svg>';
const DOWNLOAD_ICON = '<svg viewBox="0 0 24 24" width="18" height="18" aria-hidden="true"><path fill="currentColor" d="M11 4h2v8.2l3.3-3.3 1.4 1.4L12 16l-5.7-5.7 1.4-1.4 3.3 3.3zM5 18h14v2H5z"/></svg>';
// Bubble width for images: wide enough to read a screenshot, narrow enough for a phone.
const IMAGE_MAX_W = 240;
const IMAGE_MAX_H = 220;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, cls: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

/** 1536 → "1.5 KB", 24000 → "23.4 KB": what people read on a download button (1024-based, as file managers on phones). */
export function humanSize(bytes: number): string {
  if (!(bytes >= 0)) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return `${v < 100 ? v.toFixed(1).replace(/\.0$/, '') : Math.round(v)} ${units[i]}`;
}

export function line(text: string): HTMLElement {
  return el('div', 'event', text);
}

/** The welcome text as the first bubble of an empty conversation: local, never sent or stored. */
export function greeting(text: string, name: string): HTMLElement {
  const m = el('div', 'msg them greeting');
  m.append(el('div', 'who', name), el('div', 'body', text));
  return m;
}

function image(a: any, ctx: RenderContext): HTMLElement {
  const url = `${ctx.origin}/media/${encodeURIComponent(a.mediaId)}`;
  const link = el('a', 'image');
  link.href = url;
  link.target = '_blank';
  link.rel = 'noopener';
  const img = el('img', '');
  img.src = url;
  img.alt = a.name ?? 'image';
  img.loading = 'lazy';
  if (a.width > 0 && a.height > 0) {
    // The box has its final size before the bytes arrive: the log does not jump while images load.
    const w = Math.min(a.width, IMAGE_MAX_W, (IMAGE_MAX_H * a.width) / a.height);
    img.style.width = `${Math.max(1, Math.round(w))}px`;
    img.style.aspectRatio = `${a.width} / ${a.height}`;
  }
  img.addEventListener('load', ctx.onImageLoad);
  link.append(img);
  return link;
}

function file(a: any, ctx: RenderContext): HTMLElement {
  const name = a.name || ctx.t.file;
  const chip = el('a', 'file');
  chip.href = `${ctx.origin}/media/${encodeURIComponent(a.mediaId)}`;
  // `download` only works on the gateway's own origin; elsewhere the server's
  // Content-Disposition: attachment makes it a download all the same.
  chip.download = name;
  chip.target = '_blank';
  chip.rel = 'noopener';
  chip.title = `${ctx.t.download} ${name}`;
  const icon = el('span', 'icon');
  icon.innerHTML = FILE_ICON;
  const ext = /\.([a-z0-9]{1,5})$/i.exec(name)?.[1]?.toUpperCase();
  const info = el('span', 'info');
  info.append(el('span', 'name', name), el('span', 'size', [humanSize(a.size), ext].filter(Boolean).join(' · ')));
  const dl = el('span', 'dl');
  dl.innerHTML = DOWNLOAD_ICON;
  chip.append(icon, info, dl);
  return chip;
}

export function bubble(m: Msg, ctx: RenderContext): HTMLElement {
  const { t } = ctx;
  if (m.content.kind === 'event' && m.content.event === 'csat' && m.content.survey) return surveyCard(m, ctx);
  if (m.content.kind === 'event') return line(m.content.event === 'deleted' ? t.deleted : m.content.text ?? '');
  const box = el('div', `msg ${m.direction === 'inbound' ? 'me' : 'them'}${m.pending ? ' ' + m.pending : ''}`);
  if (m.direction === 'outbound' && m.from.name) box.append(el('div', 'who', m.from.name));
  const body = el('div', 'body');
  if (m.content.kind === 'text') body.textContent = m.content.text;
  else if (m.content.kind === 'media') {
    body.classList.add('media');
    for (const a of m.content.attachments ?? []) body.append(a.kind === 'image' ? image(a, ctx) : file(a, ctx));
    if (m.content.caption) body.append(el('div', 'caption', m.content.caption));
  }
  const meta = el('div', 'meta', m.pending === 'failed' ? t.failed : m.pending ? t.sending
    : new Date(m.sentAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  box.append(body, meta);
  return box;
}
