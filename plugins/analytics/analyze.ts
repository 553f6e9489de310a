import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse as csvStream } from 'csv-parse';
import type { Predicate, Row } from './filter.js';
import { terms } from './segment.js';
import { csatOf, CsatTally, type CsatSummary } from './csat.js';

/** A bounded counter: past `cap` keys it drops the rarest half (frequent items survive: lossy counting). */
export class TopCounter<V = undefined> {
  readonly map = new Map<string, { n: number; v?: V }>();
  constructor(private cap: number) {}
  add(key: string, by = 1, v?: V): { n: number; v?: V } {
    let e = this.map.get(key);
    if (!e) {
      if (this.map.size >= this.cap) this.prune();
      e = { n: 0, v };
      this.map.set(key, e);
    }
    e.n += by;
    return e;
  }
  private prune(): void {
    const counts = [...this.map.values()].map((e) => e.n).sort((a, b) => a - b);
    const cut = counts[Math.floor(counts.length / 2)];
    for (const [k, e] of this.map) if (e.n <= cut) this.map.delete(k);
  }
  top(n: number): [string, { n: number; v?: V }][] {
    return [...this.map].sort((a, b) => b[1].n - a[1].n).slice(0, n);
  }
}

export interface Report {
  rows: number;
  matched: number;
  messages: { customer: number; agent: number; bot: number; system: number };
  conversations: number;
  handedOff: number;
  intents: [string, number][];
  words: { term: string; n: number; intent: string }[];
  byHour: number[];
  byWeekday: number[];
  durations: { label: string; n: number }[];
  medianDurationS: number;
  handoffByIntent: { intent: string; conversations: number; handedOff: number }[];
  unanswered: { text: string; n: number }[];
  channels: { channel: string; messages: number; conversations: number; handedOff: number }[];
  /** Satisfaction of the conversations with a rating (the export's csat column), overall and by queue, channel, agent, intent. */
  csat: CsatSummary;
  range: { from?: string; to?: string };
}

const DURATION_BUCKETS: [string, number][] = [['<30s', 30], ['30s–1m', 60], ['1–2m', 120], ['2–5m', 300], ['5–10m', 600], ['10–30m', 1800], ['30m–1h', 3600], ['>1h', Infinity]];

export interface AnalyzeOptions {
  filter: Predicate;
  /** Labels rows without an intent (kefu analyze --model). */
  label?: (texts: string[]) => Promise<string[]>;
  onProgress?: (rows: number) => void;
}

/** Rows of a CSV or JSONL file, streamed (constant memory whatever the file size). */
async function* readRows(file: string): AsyncGenerator<Row> {
  if (file.endsWith('.jsonl') || file.endsWith('.ndjson')) {
    const rl = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
    let line = 0;
    for await (const l of rl) {
      line++;
      if (!l.trim()) continue;
      try { yield JSON.parse(l); } catch { throw new Error(`${file}:${line}: not valid JSON`); }
    }
    return;
  }
  yield* createReadStream(file).pipe(csvStream({ columns: true, skip_empty_lines: true, bom: true, relax_column_count: true }));
}

/**
 * One pass over the log. Memory is bounded: word and question counters are capped (lossy
 * counting), conversation state is one small record per conversation id.
 */
export async function analyze(file: string, o: AnalyzeOptions): Promise<Report> {
  const r = { rows: 0, matched: 0, messages: { customer: 0, agent: 0, bot: 0, system: 0 } as Record<string, number> };
  const intents = new Map<string, number>();
  const words = new TopCounter<Map<string, number>>(50_000);
  const unanswered = new TopCounter(20_000);
  const byHour = new Array(24).fill(0), byWeekday = new Array(7).fill(0);
  const convs = new Map<string, { intent: string; handedOff: boolean; duration: number; channel: string; askedFirst: boolean;
    queue: string; agent: string; csat?: number }>();
  const channels = new Map<string, { messages: number }>();
  let from: string | undefined, to: string | undefined;
  let pending: Row[] = [];

  const consume = (row: Row) => {
    r.matched++;
    const role = String(row.role ?? 'customer');
    r.messages[role] = (r.messages[role] ?? 0) + 1;
    const id = String(row.conversation_id ?? '');
    const intent = String(row.intent ?? '') || '(none)';
    const handedOff = row.handed_off === true || row.handed_off === 'true';
    const channel = String(row.channel ?? '') || '(unknown)';
    let c = convs.get(id);
    if (!c) convs.set(id, (c = { intent: '', handedOff, duration: Number(row.session_duration_s) || 0, channel, askedFirst: false, queue: '', agent: '' }));
    c.csat ??= csatOf(row.csat);
    c.queue ||= String(row.queue ?? '');
    c.agent ||= String(row.agent ?? '');
    const ch = channels.get(channel) ?? { messages: 0 };
    ch.messages++;
    channels.set(channel, ch);
    const time = String(row.time ?? '');
    if (time) {
      if (!from || time < from) from = time;
      if (!to || time > to) to = time;
      const d = new Date(time);
      if (!Number.isNaN(d.getTime())) { byHour[d.getHours()]++; byWeekday[d.getDay()]++; }
    }
    if (role !== 'customer') return;
    intents.set(intent, (intents.get(intent) ?? 0) + 1);
    if (!c.intent && intent !== '(none)') c.intent = intent;
    const text = String(row.text ?? '');
    for (const t of terms(text)) {
      const e = words.add(t, 1, new Map());
      e.v!.set(intent, (e.v!.get(intent) ?? 0) + 1);
    }
    // The first thing a customer asked in a conversation that ended with a human: what the bot could not answer.
    if (handedOff && !c.askedFirst && text.trim()) { c.askedFirst = true; unanswered.add(text.trim().slice(0, 120)); }
  };

  const flush = async () => {
    if (!pending.length) return;
    const missing = pending.filter((p) => !p.intent && p.role === 'customer' && p.text);
    if (o.label && missing.length) {
      const labels = await o.label(missing.map((m) => String(m.text)));
      missing.forEach((m, i) => { m.intent = labels[i]; });
    }
    for (const p of pending) consume(p);
    pending = [];
  };

  for await (const row of readRows(file)) {
    r.rows++;
    if (r.rows % 100_000 === 0) o.onProgress?.(r.rows);
    if (!o.filter(row)) continue;
    if (o.label) { pending.push(row); if (pending.length >= 256) await flush(); } else consume(row);
  }
  await flush();

  const durations = DURATION_BUCKETS.map(([label]) => ({ label, n: 0 }));
  const all = [...convs.values()];
  const ds = all.map((c) => c.duration).sort((a, b) => a - b);
  for (const d of ds) durations[DURATION_BUCKETS.findIndex(([, max]) => d < max)].n++;
  const hb = new Map<string, { conversations: number; handedOff: number }>();
  const chConv = new Map<string, { conversations: number; handedOff: number }>();
  const csat = new CsatTally();
  for (const c of all) {
    if (c.csat) csat.add(c.csat, { queue: c.queue, channel: c.channel, agent: c.agent, intent: c.intent });
    const k = c.intent || '(none)';
    const e = hb.get(k) ?? { conversations: 0, handedOff: 0 };
    e.conversations++; if (c.handedOff) e.handedOff++;
    hb.set(k, e);
    const x = chConv.get(c.channel) ?? { conversations: 0, handedOff: 0 };
    x.conversations++; if (c.handedOff) x.handedOff++;
    chConv.set(c.channel, x);
  }
  return {
    rows: r.rows, matched: r.matched, messages: r.messages as Report['messages'], conversations: convs.size,
    handedOff: all.filter((c) => c.handedOff).length,
    intents: [...intents].sort((a, b) => b[1] - a[1]),
    words: words.top(120).map(([term, e]) => ({ term, n: e.n, intent: [...e.v!].sort((a, b) => b[1] - a[1])[0]?.[0] ?? '(none)' })),
    byHour, byWeekday, durations, medianDurationS: ds.length ? ds[Math.floor(ds.length / 2)] : 0,
    handoffByIntent: [...hb].map(([intent, e]) => ({ intent, ...e })).sort((a, b) => b.conversations - a.conversations),
    unanswered: unanswered.top(15).map(([text, e]) => ({ text, n: e.n })),
    channels: [...channels].map(([channel, e]) => ({ channel, messages: e.messages, ...(chConv.get(channel) ?? { conversations: 0, handedOff: 0 }) }))
      .sort((a, b) => b.messages - a.messages),
    csat: csat.summary(),
    range: { from, to },
  };
}
