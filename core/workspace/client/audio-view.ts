import { h } from './dom';
import type { Attachment } from './state';
import { t } from './i18n';

/** What browsers play in <audio>; a SILK recording (WeChat's own codec) stays a download. */
const PLAYABLE = /^audio\/(mpeg|mp4|aac|wav|ogg|webm)$/;

export const isVoice = (a: Attachment) => a.kind === 'voice' || (a.mime ?? '').startsWith('audio/');
export const isPlayable = (a: Attachment) => isVoice(a) && PLAYABLE.test(a.mime ?? '');

/** A voice message: the browser's own player and a download link (the transcript is the caption). */
export function audioPlayer(a: Attachment, src: string): HTMLElement {
  return h('div', { class: 'voice' }, h('audio', { controls: true, preload: 'metadata', src, style: 'display:block;width:260px;max-width:100%' }),
    h('a', { href: src, download: a.name ?? 'voice', style: 'font-size:12px' }, t.download));
}

/** The transcript under a voice message, labelled so agents know it is machine-made. As text. */
export function transcript(text: string): HTMLElement {
  return h('div', { class: 'caption transcript' }, h('span', { style: 'color:#5b6372' }, t.transcript), text);
}
