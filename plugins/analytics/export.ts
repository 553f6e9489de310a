import { createWriteStream } from 'node:fs';
import type { Conversation, Message } from '../../core/model/message.js';
import { textOf } from '../../core/model/message.js';
import type { Store } from '../../core/store/store.js';

/**
 * `kefu export` format, one row per message (CSV with this header, or JSONL with these keys):
 * conversation_id, channel, queue, intent, intent_score, role, text, time (ISO 8601, server time),
 * session_duration_s (first to last message of the conversation), message_count, handed_off
 * (the conversation reached a human), csat (the conversation's satisfaction rating 1–5 once answered;
 * empty otherwise), csat_comment (the comment given with it), agent (the login of the agent the
 * conversation was last assigned to), contact_id (the contact the customer is, after links: the
 * same id for one person on every channel; empty for a customer no contact was made for yet, i.e.
 * only seen before contacts existed). The conversation-level columns repeat on each of its rows.
 */
export const EXPORT_COLUMNS = ['conversation_id', 'channel', 'queue', 'intent', 'intent_score', 'role', 'text', 'time',
  'session_duration_s', 'message_count', 'handed_off', 'csat', 'csat_comment', 'agent', 'contact_id'] as const;

interface ConvInfo { conv?: Conversation; duration: number; count: number; handedOff: boolean; agent: string; contactId: string }

/** The customer's contact, following links (read only: an export never creates one). */
async function contactOf(store: Store, customerId: string | undefined): Promise<string> {
  let id = customerId ? (await store.contacts.addressOwner(customerId))?.contactId : undefined;
  for (let i = 0; id && i < 32; i++) {
    const next: string | undefined = (await store.contacts.get(id))?.mergedInto;
    if (!next) break;
    id = next;
  }
  return id ?? '';
}

function csvCell(v: unknown): string {
  const s = v === undefined || v === null ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export async function exportLogs(store: Store, from: Date, to: Date, output: string, onProgress?: (n: number) => void): Promise<number> {
  const jsonl = output.endsWith('.jsonl') || output.endsWith('.ndjson');
  const out = createWriteStream(output);
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  if (!jsonl) await write(EXPORT_COLUMNS.join(',') + '\n');
  const infos = new Map<string, ConvInfo>();
  const logins = new Map<string, string>();
  const loginOf = async (id: string | undefined): Promise<string> => {
    if (!id) return '';
    if (!logins.has(id)) logins.set(id, (await store.getAgent(id))?.login ?? id);
    return logins.get(id)!;
  };
  const info = async (id: string): Promise<ConvInfo> => {
    let i = infos.get(id);
    if (!i) {
      const conv = await store.getConversation(id);
      const all = await store.listMessages(id, { afterSeq: 0, limit: 1000 });
      const times = all.map((m) => m.sentAt.getTime());
      i = { conv, duration: times.length ? Math.round((Math.max(...times) - Math.min(...times)) / 1000) : 0,
        count: all.filter((m) => m.content.kind !== 'event').length,
        handedOff: !!conv?.assigneeId || conv?.status === 'queued' || conv?.status === 'assigned', agent: await loginOf(conv?.assigneeId),
        contactId: await contactOf(store, conv?.customer.id) };
      if (infos.size > 50_000) infos.clear(); // bounded: rows come in time order, conversations cluster
      infos.set(id, i);
    }
    return i;
  };
  let after = '';
  let n = 0;
  for (;;) {
    const page: Message[] = await store.listMessagesBetween(from, to, after, 1000);
    if (page.length === 0) break;
    for (const m of page) {
      if (m.private) continue;
      const i = await info(m.conversationId);
      const row = {
        conversation_id: m.conversationId, channel: i.conv?.ref.channel ?? '', queue: i.conv?.queue ?? '', intent: m.intent?.label ?? '',
        intent_score: m.intent?.score ?? '', role: m.from.role, text: textOf(m.content), time: m.sentAt.toISOString(),
        session_duration_s: i.duration, message_count: i.count, handed_off: i.handedOff,
        csat: i.conv?.csat?.state === 'answered' ? i.conv.csat.rating ?? '' : '', csat_comment: i.conv?.csat?.comment ?? '', agent: i.agent, contact_id: i.contactId,
      };
      await write(jsonl ? JSON.stringify(row) + '\n' : EXPORT_COLUMNS.map((c) => csvCell(row[c])).join(',') + '\n');
      n++;
    }
    after = page[page.length - 1].id;
    onProgress?.(n);
  }
  await new Promise<void>((r, j) => out.end((err?: Error | null) => (err ? j(err) : r())));
  return n;
}
