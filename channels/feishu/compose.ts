import type { CardValue } from './types.js';

/** What one kefu message becomes on Feishu: a msg_type and its content (a JSON string, as the API wants it). */
export interface Composed { msgType: 'text' | 'post' | 'image' | 'interactive'; content: string }

export const textMessage = (text: string): Composed => ({ msgType: 'text', content: JSON.stringify({ text }) });

/** Images alone go as an image message; with a caption or several, as one rich-text post (one vendor message per kefu message). */
export function imageMessage(imageKeys: string[], caption: string): Composed {
  if (imageKeys.length === 1 && !caption) return { msgType: 'image', content: JSON.stringify({ image_key: imageKeys[0] }) };
  const lines: unknown[][] = caption ? caption.split('\n').map((l) => [{ tag: 'text', text: l }]) : [];
  for (const k of imageKeys) lines.push([{ tag: 'img', image_key: k }]);
  return { msgType: 'post', content: JSON.stringify({ zh_cn: { title: '', content: lines } }) };
}

/**
 * A bot's answer as an interactive card with a hand-off button. The text is plain_text, not
 * lark_md: a bot quoting the customer must not be able to inject links or mentions.
 */
export function botCard(text: string, conversationId: string, buttonLabel: string): Composed {
  const value: CardValue = { kefu: 'handoff', conversation: conversationId };
  return { msgType: 'interactive', content: JSON.stringify({
    config: { wide_screen_mode: true, update_multi: false },
    elements: [
      { tag: 'div', text: { tag: 'plain_text', content: text } },
      { tag: 'action', actions: [{ tag: 'button', type: 'primary', text: { tag: 'plain_text', content: buttonLabel }, value }] },
    ],
  }) };
}

/**
 * The satisfaction survey as an interactive card: the question and one button per rating. A click
 * comes back as card.action.trigger (`csat:<n>`), like the 转人工 button's.
 */
export function surveyCard(question: string, conversationId: string): Composed {
  const labels = ['', '1 很差', '2 较差', '3 一般', '4 满意', '5 非常满意'];
  const button = (n: number) => ({ tag: 'button', type: n >= 4 ? 'primary' : 'default', text: { tag: 'plain_text', content: labels[n] },
    value: { kefu: `csat:${n}`, conversation: conversationId } satisfies CardValue });
  return { msgType: 'interactive', content: JSON.stringify({
    config: { wide_screen_mode: true, update_multi: false },
    elements: [
      { tag: 'div', text: { tag: 'plain_text', content: question } },
      { tag: 'action', actions: [5, 4, 3, 2, 1].map(button) },
    ],
  }) };
}

/** Feishu keeps a `uuid` for an hour and takes at most 50 characters; kefu's message ids are shorter. */
export const uuidOf = (idempotencyKey: string) => idempotencyKey.slice(0, 50);
