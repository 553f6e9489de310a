import type { Attachment, Message } from '../../core/model/message.js';
import { textOf } from '../../core/model/message.js';
import type { Reply } from './types.js';

/** One piece of an outbound message: text goes as it is; an attachment is uploaded first. */
export type Part = { kind: 'reply'; reply: Reply } | { kind: 'upload'; attachment: Attachment };

const MARKDOWN = /(^|\n)(#{1,6} |[-*+] |\d+\. |> )|\*\*[^*\n]+\*\*|\[[^\]\n]+\]\([^)\s]+\)|`[^`\n]+`/;

/**
 * What a message becomes on DingTalk: a bot's formatted answer goes as markdown (agents' text
 * stays plain, so a stray `*` is not eaten), attachments as robot media (images as pictures,
 * the rest as files), the caption after them. Empty: nothing to show (skipped).
 */
export function partsOf(msg: Message): Part[] {
  if (msg.content.kind === 'event' && msg.content.event === 'csat' && msg.content.survey?.url) {
    return [{ kind: 'reply', reply: surveyReply(msg.content.survey.question, msg.content.survey.url) }];
  }
  if (msg.content.kind === 'media') {
    const parts: Part[] = msg.content.attachments.map((a) => ({ kind: 'upload', attachment: a }));
    const caption = msg.content.caption?.trim();
    if (caption) parts.push({ kind: 'reply', reply: textReply(caption, msg) });
    return parts;
  }
  const text = textOf(msg.content).trim();
  return text ? [{ kind: 'reply', reply: textReply(text, msg) }] : [];
}

/**
 * The satisfaction survey as markdown: one link per rating to the signed rating page, where the
 * choice is confirmed. Used when no card template is configured (`csat_card_template_id`, see
 * card.ts), for HTTP-mode apps and for customers without a staffId. Replying with the digit works too.
 */
export function surveyReply(question: string, url: string): Reply {
  const labels = ['', '1 很差', '2 较差', '3 一般', '4 满意', '5 非常满意'];
  const plain = question.replace(/[[\]()*_`#>]/g, ' ');
  const links = [5, 4, 3, 2, 1].map((n) => `[${labels[n]}](${url}?rating=${n})`).join('  ');
  return { kind: 'markdown', title: '服务评价 · How did we do?', text: `${plain}\n\n${links}` };
}

function textReply(text: string, msg: Message): Reply {
  if (msg.from.role === 'bot' && MARKDOWN.test(text)) return { kind: 'markdown', title: titleOf(text), text };
  return { kind: 'text', text };
}

/** The markdown message's title (the notification line): its first line without markup. */
export function titleOf(text: string): string {
  const first = text.split('\n').map((l) => l.replace(/[#*>`_[\]()-]/g, '').trim()).find(Boolean) ?? '';
  return first.length > 30 ? `${first.slice(0, 29)}…` : first || 'Reply';
}

/** The file's extension as DingTalk's sampleFile wants it (fileType). */
export function fileTypeOf(a: Attachment): string {
  const ext = (a.name ?? '').split('.').pop()?.toLowerCase() ?? '';
  return /^[a-z0-9]{1,8}$/.test(ext) && ext !== (a.name ?? '').toLowerCase() ? ext : (a.mime.split('/')[1] ?? 'file').replace(/[^a-z0-9]/g, '').slice(0, 8) || 'file';
}
