import { readFileSync } from 'node:fs';
import { parse as parseCsv } from 'csv-parse/sync';

/**
 * Training/evaluation data. Formats (by file extension):
 * - CSV with a header: a text column (`text`, `utterance`, `query`, `文本`) and a label column
 *   (`label`, `intent`, `category`, `意图`). BANKING77's train.csv reads as is.
 * - JSONL: one `{"text": …, "label": …}` (or `"intent"`) per line.
 * - Conversation logs (`kefu export` JSONL/CSV: rows with `conversation_id`, `role`, `text`,
 *   `intent`): customer messages with an intent are examples; when a bot answer for intent X
 *   is followed by the customer asking for a human, that customer message becomes a NEGATIVE
 *   example for X with `negativeWeight` (the strongest signal that the bot got it wrong).
 */
export interface LabelledText { text: string; label: string; weight?: number; negative?: boolean }

const TEXT_COLS = ['text', 'utterance', 'query', 'message', '文本'];
const LABEL_COLS = ['label', 'intent', 'category', '意图'];

export function readDataset(file: string, opts: { negativeWeight?: number; isHandoffRequest?: (text: string) => boolean } = {}): LabelledText[] {
  const raw = readFileSync(file, 'utf8');
  const rows: Record<string, string>[] = file.endsWith('.jsonl') || file.endsWith('.ndjson')
    ? raw.split('\n').filter((l) => l.trim()).map((l, i) => {
      try { return JSON.parse(l); } catch { throw new Error(`${file}:${i + 1}: not valid JSON`); }
    })
    : parseCsv(raw, { columns: true, skip_empty_lines: true, bom: true, relax_column_count: true });
  if (rows.length === 0) throw new Error(`${file}: no rows`);
  if ('conversation_id' in rows[0] && 'role' in rows[0]) return fromLogs(rows, opts);
  const textKey = TEXT_COLS.find((k) => k in rows[0]);
  const labelKey = LABEL_COLS.find((k) => k in rows[0]);
  if (!textKey || !labelKey) throw new Error(`${file}: needs a text column (${TEXT_COLS.join('/')}) and a label column (${LABEL_COLS.join('/')})`);
  return rows.filter((r) => r[textKey] && r[labelKey]).map((r) => ({ text: String(r[textKey]), label: String(r[labelKey]) }));
}

function fromLogs(rows: Record<string, string>[], opts: { negativeWeight?: number; isHandoffRequest?: (text: string) => boolean }): LabelledText[] {
  const out: LabelledText[] = [];
  const lastBotIntent = new Map<string, string>();
  const lastCustomer = new Map<string, LabelledText | undefined>();
  for (const r of rows) {
    const conv = String(r.conversation_id);
    const text = String(r.text ?? '');
    const intent = r.intent ? String(r.intent) : '';
    if (r.role === 'customer') {
      const botIntent = lastBotIntent.get(conv);
      if (botIntent && opts.isHandoffRequest?.(text)) {
        // The bot answered `botIntent` to the previous customer message, and the customer asked
        // for a human: that previous message was not `botIntent`.
        const prev = lastCustomer.get(conv);
        if (prev) out.push({ text: prev.text, label: botIntent, negative: true, weight: opts.negativeWeight ?? 3 });
        lastBotIntent.delete(conv);
      }
      const ex = intent ? { text, label: intent } : undefined;
      if (ex) out.push(ex);
      lastCustomer.set(conv, ex ?? { text, label: '' });
    } else if (r.role === 'bot' && intent) {
      lastBotIntent.set(conv, intent);
    }
  }
  return out.filter((e) => e.text && e.label);
}
