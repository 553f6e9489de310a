import type { Message } from '../model/message.js';
import type { Store } from '../store/store.js';
import type { Turn, TurnKind } from './clock.js';

/**
 * A conversation's SLA timeline, kept from its messages: nothing is stored apart (as
 * Conversation.waitingOn is derived from the messages at load).
 */

/** Which clock a message moves: the same public, non-event messages as waitingOn, plus the resolution event. System notices move nothing. */
export function turnOf(m: Message): TurnKind | undefined {
  if (m.private) return undefined;
  if (m.content.kind === 'event') return m.content.event === 'resolved' ? 'resolved' : undefined;
  if (m.direction === 'inbound') return 'customer';
  return m.from.role === 'agent' || m.from.role === 'bot' ? 'reply' : undefined;
}

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/**
 * When the gateway received a message: the time part of its id (core/model/ids.ts). A vendor's
 * own sentAt (an e-mail's Date header) may be anything, and must not start a clock in the past.
 */
export function receivedAt(m: Message): number {
  const time = m.id.slice(-22, -12);
  let ms = 0;
  for (const ch of time) {
    const v = ALPHABET.indexOf(ch);
    if (v < 0) return m.sentAt.getTime();
    ms = ms * 32 + v;
  }
  return ms;
}

/**
 * Events of one conversation arrive slightly out of seq order (a bot's reply is announced before
 * the customer message that caused it finished its stages), so turns are kept in seq order and
 * only an older prefix is compacted: a repeat of the same kind there changes no clock.
 */
const SETTLED_SEQS = 20;

export function insertTurn(turns: Turn[], turn: Turn): boolean {
  let i = turns.length;
  while (i > 0 && turns[i - 1].seq > turn.seq) i--;
  if (i > 0 && turns[i - 1].seq === turn.seq) return false;
  turns.splice(i, 0, turn);
  const settled = turns[turns.length - 1].seq - SETTLED_SEQS;
  for (let j = 1; j < turns.length && turns[j].seq < settled;) {
    if (turns[j].kind === turns[j - 1].kind) turns.splice(j, 1); else j++;
  }
  return true;
}

/** The turns of a stored conversation, read page by page (restart, or a resolved conversation written to again). */
export async function loadTurns(store: Store, conversationId: string): Promise<{ turns: Turn[]; lastSeq: number }> {
  const turns: Turn[] = [];
  let after = 0;
  let lastSeq = 0;
  for (;;) {
    const page = await store.listMessages(conversationId, { afterSeq: after, limit: 1000 });
    for (const m of page) {
      lastSeq = Math.max(lastSeq, m.seq);
      const kind = turnOf(m);
      if (kind) insertTurn(turns, { seq: m.seq, at: receivedAt(m), kind });
    }
    if (page.length < 1000) break;
    after = page[page.length - 1].seq;
  }
  return { turns, lastSeq };
}
