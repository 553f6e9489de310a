import type { Attachment, Message } from '../../core/model/message.js';
import { ChannelError } from '../contract.js';
import type { CardBlock } from './types.js';
import { WINDOWS, type Left, type WindowState } from './window.js';

/** One customer-service message: what a kefu message becomes, each counted against the window. */
export type Part =
  | { kind: 'text'; text: string }
  | { kind: 'image'; attachment: Attachment }
  | { kind: 'card'; card: CardBlock };

const isCard = (b: unknown): b is CardBlock => !!b && typeof b === 'object' && (b as CardBlock).type === 'wechat_miniprogrampage'
  && typeof (b as CardBlock).pagepath === 'string';

/**
 * A kefu message → WeChat messages, or none (skipped). Every message spends one of the window's
 * few sends, so system events are not sent except those that tell the customer something
 * (notice, hand-off, the satisfaction survey as its text: reply a digit, or the link); "… joined the
 * conversation" and the like stay in kefu. A text with
 * `wechat_miniprogrampage` blocks is sent as those cards (the text is their fallback title).
 * Images go as image messages, the caption after them; other files cannot be sent as
 * customer-service messages and fail visibly.
 */
export function partsOf(msg: Message): Part[] {
  const c = msg.content;
  if (c.kind === 'event') return (c.event === 'notice' || c.event === 'handoff' || c.event === 'csat') && c.text ? [{ kind: 'text', text: c.text }] : [];
  if (c.kind === 'text') {
    const cards = (c.blocks ?? []).filter(isCard);
    if (cards.length) return cards.slice(0, 5).map((card) => ({ kind: 'card', card: { ...card, title: (card.title || c.text).slice(0, 64) } }));
    return [{ kind: 'text', text: c.text }];
  }
  const others = c.attachments.filter((a) => a.kind !== 'image');
  if (others.length) {
    throw new ChannelError('wechat', `WeChat customer-service messages carry text, images and mini-program cards only; ${others.map((a) => a.name ?? a.kind).join(', ')} cannot be sent.`,
      { retryable: false, code: 'unsupported_media' });
  }
  const parts: Part[] = c.attachments.map((attachment) => ({ kind: 'image', attachment }));
  if (c.caption) parts.push({ kind: 'text', text: c.caption });
  return parts;
}

/** Why a send may not go out now, as the agent reads it (non-retryable: waiting does not reopen a window). */
export function windowError(l: Left, w: WindowState | undefined, needed: number): ChannelError | undefined {
  if (l.problem === 'window_expired') {
    const why = w?.kind === 'enter'
      ? 'The minute after the customer opened the chat has passed'
      : w ? 'More than 48 hours have passed since the customer last wrote' : 'The customer has not written yet';
    return new ChannelError('wechat', `${why}: WeChat allows no message until they write again.`, { retryable: false, code: 'window_expired' });
  }
  if (l.problem === 'quota_exhausted' || needed > l.messages) {
    const max = w ? WINDOWS[w.kind].max : 0;
    const tail = needed > 1 && l.messages > 0 ? ` (this message needs ${needed}, ${l.messages} left)` : '';
    return new ChannelError('wechat', `All ${max} messages WeChat allows since the customer last wrote are used${tail}; they must write again.`,
      { retryable: false, code: 'quota_exhausted' });
  }
  return undefined;
}
