import { createRequire } from 'node:module';
import { textOf, type Message } from '../model/message.js';

/**
 * Words for the search index. Chinese has no spaces, so a run of Han characters is cut with jieba
 * (@node-rs/jieba, already used by the analytics plugin); other scripts split on anything that is
 * not a letter or digit. NFKC folds full-width forms (ＡＢＣ１２３) to the ASCII a customer types in the
 * search box. The same function cuts the query, so a message and a search agree on the words.
 */
const require = createRequire(import.meta.url);
type Jieba = { cut(text: string, hmm?: boolean): string[]; cutForSearch(text: string, hmm?: boolean): string[] };
let jieba: Jieba | undefined;

/** Loaded on first use (~0.3 s for the dictionary): a gateway nobody searches never pays for it. */
function cutter(): Jieba {
  if (!jieba) {
    const { Jieba } = require('@node-rs/jieba');
    const { dict } = require('@node-rs/jieba/dict');
    jieba = Jieba.withDict(dict) as Jieba;
  }
  return jieba;
}

const HAN = /\p{Script=Han}/u;
const RUNS = /[\p{Script=Han}]+|[\p{L}\p{N}]+/gu;
const WORD = /^[\p{L}\p{N}]+$/u;
/** A message longer than this is indexed by its start: the words an agent remembers are rarely past it. */
const MAX_CHARS = 8000;
const MAX_TOKEN = 64;

/**
 * `index`: jieba's search mode, which also emits the shorter words inside a long one (中华人民共和国
 * gives 中华 and 共和国 too), so a query of either finds it, and every Han character on its own: a
 * one-character query (货, 退) is a word to nobody but the agent typing it, and jieba keeps it inside
 * 发货, 退款. A query is cut in precise mode: fewer, longer words, each of which the index mode also
 * produced (a one-character query stays that character, which the index now holds).
 * Changing what is indexed means bumping INDEX_FORMAT: the next start re-indexes the history.
 */
export function tokens(text: string, mode: 'index' | 'query'): string[] {
  const out = new Set<string>();
  for (const run of text.slice(0, MAX_CHARS).normalize('NFKC').toLowerCase().match(RUNS) ?? []) {
    if (!HAN.test(run)) { if (run.length <= MAX_TOKEN) out.add(run); continue; }
    const words = mode === 'index' ? cutter().cutForSearch(run, true) : cutter().cut(run, true);
    for (const w of words) if (WORD.test(w) && w.length <= MAX_TOKEN) out.add(w);
    if (mode === 'index') for (const ch of run) out.add(ch);
  }
  return [...out];
}

/** What `tokens(…, 'index')` produces, as a version: 2 added single Han characters. */
export const INDEX_FORMAT = '2';

/** What of a message is searchable: text and captions, never events (joins, assignments) or deleted content. */
export function searchableText(m: Message): string {
  if (m.deleted || m.content.kind === 'event') return '';
  // A media message's placeholder ("[image]") is not something anyone searches for: its caption and file names are.
  if (m.content.kind === 'media') return [m.content.caption ?? '', ...m.content.attachments.map((a) => a.name ?? '')].join(' ').trim();
  return textOf(m.content);
}
