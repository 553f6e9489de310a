/**
 * Text → hashed feature ids, shared by the trainer and the gateway (the model file stores
 * these parameters, so a model alone reproduces its predictions).
 *
 * 1. NFKC + lowercase. 2. Tokens: every Han/kana/hangul character is its own token (so word
 *    n-grams over them are CJK character n-grams: no segmenter needed); Latin letters/digits
 *    form words. 3. Features: word n-grams 1..wordNgrams over `<s> tokens </s>`, plus character
 *    n-grams minChar..maxChar of every non-CJK word wrapped as `<word>`.
 * 4. Each feature string is hashed with FNV-1a 32-bit; the model's vocabulary maps seen hashes
 *    to rows, unseen ones are dropped.
 */
export interface FeatureConfig {
  wordNgrams: number;
  minChar: number;
  maxChar: number;
}

export const DEFAULT_FEATURES: FeatureConfig = { wordNgrams: 3, minChar: 3, maxChar: 5 };

const TOKEN = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]|[\p{L}\p{N}]+/gu;

export function tokenize(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(TOKEN) ?? [];
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a over UTF-16 code units: fast, stable across platforms, no dependencies. */
export function fnv1a(s: string): number {
  return feed(FNV_OFFSET, s, 0, s.length) >>> 0;
}

/** Continues an FNV-1a state over s[from, to): hashing a concatenation without building it. */
function feed(h: number, s: string, from: number, to: number): number {
  for (let i = from; i < to; i++) h = Math.imul(h ^ s.charCodeAt(i), FNV_PRIME);
  return h;
}

const SPACE = 32, LT = 60, GT = 62;
const WORD_PREFIX = [0, 1, 2, 3, 4, 5, 6].map((n) => feed(FNV_OFFSET, `w${n}:`, 0, `w${n}:`.length));
const CHAR_PREFIX = feed(FNV_OFFSET, 'c:', 0, 2);
const BOS = '<s>', EOS = '</s>';

const isCjk = (c: number) => (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x4dbf) || (c >= 0x4e00 && c <= 0x9fff)
  || (c >= 0xf900 && c <= 0xfaff) || (c >= 0xac00 && c <= 0xd7af);
const LETTER_OR_NUMBER = /[\p{L}\p{N}]/uy;

/** Code units of the letter/number code point at s[i] (2 for an astral one), 0 if it is neither. */
function letterOrNumber(s: string, i: number, c: number): number {
  if (c < 0x80) return (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) ? 1 : 0;
  LETTER_OR_NUMBER.lastIndex = i;
  return LETTER_OR_NUMBER.test(s) ? LETTER_OR_NUMBER.lastIndex - i : 0;
}

// Scratch buffers of the hot path, reused by every call (all synchronous, so never shared).
let spanFrom = new Int32Array(64), spanTo = new Int32Array(64), spanCjk = new Uint8Array(64);
let hashes = new Uint32Array(512);

/**
 * `tokenize` as spans of the normalized text, without a string per token: the same tokens as
 * the TOKEN regex (a CJK character at a token start is a token; anything else that starts with
 * a letter or number runs on through letters and numbers, CJK ones included). Returns the count.
 */
function scan(t: string): number {
  let n = 0;
  for (let i = 0; i < t.length;) {
    const c = t.charCodeAt(i);
    let end = i, cjk = 0;
    if (isCjk(c)) { end = i + 1; cjk = 1; } else {
      for (let k = letterOrNumber(t, i, c); k > 0; k = end < t.length ? letterOrNumber(t, end, t.charCodeAt(end)) : 0) {
        if (isCjk(t.charCodeAt(end))) cjk = 1;
        end += k;
      }
    }
    if (end === i) { i += c >= 0xd800 && c <= 0xdbff && i + 1 < t.length ? 2 : 1; continue; } // whole code points
    if (n === spanFrom.length) {
      spanFrom = grow(spanFrom, new Int32Array(2 * n)); spanTo = grow(spanTo, new Int32Array(2 * n)); spanCjk = grow(spanCjk, new Uint8Array(2 * n));
    }
    spanFrom[n] = i; spanTo[n] = end; spanCjk[n] = cjk; n++;
    i = end;
  }
  return n;
}

/** Stores hash `h` at position `at` of the scratch buffer (growing it); returns the next position. No closure per call: this runs on every message. */
function emit(h: number, at: number): number {
  if (at === hashes.length) hashes = grow(hashes, new Uint32Array(2 * at));
  hashes[at] = h >>> 0;
  return at + 1;
}

function grow<T extends Int32Array | Uint8Array | Uint32Array>(old: T, bigger: T): T { bigger.set(old); return bigger; }

/**
 * Feature hashes of one text (with repeats: a repeated n-gram counts twice in the average).
 * Word n-gram n over tokens t_i..t_{i+n-1} hashes the string `w{n}:t_i t_i+1 …` (with `<s>` and
 * `</s>` at the ends); character n-grams hash `c:` + a slice of `<word>`. The strings are never
 * built: the hash runs over their parts (this is on every message's path; the straightforward
 * version allocated ~150 strings per message).
 *
 * `owners`, when given, receives for each hash a bit mask of the tokens it is made of (token i
 * → bit i mod 31): training uses it to drop whole words with every n-gram they are part of.
 */
export function featureHashes(text: string, cfg: FeatureConfig, owners?: number[]): number[] {
  return Array.from(hashes.subarray(0, hashInto(text, cfg, owners)));
}

/**
 * The vocabulary rows of a text's features: the gateway's path, which never builds the hash list
 * (a hash above 2^31 is a heap number in a JS array: ~90 allocations per message).
 */
export function featureRows(text: string, cfg: FeatureConfig, vocab: Vocabulary): number[] {
  const n = hashInto(text, cfg);
  const out: number[] = [];
  for (let i = 0; i < n; i++) { const r = vocab.row(hashes[i]); if (r >= 0) out.push(r); }
  return out;
}

/** Writes the text's feature hashes into `hashes`; returns how many. */
function hashInto(text: string, cfg: FeatureConfig, owners?: number[]): number {
  const t = text.normalize('NFKC').toLowerCase();
  const count = scan(t);
  const len = count + 2; // with <s> and </s>
  let out = 0;
  for (let n = 1; n <= cfg.wordNgrams; n++) {
    const prefix = n < WORD_PREFIX.length ? WORD_PREFIX[n] : feed(FNV_OFFSET, `w${n}:`, 0, `w${n}:`.length);
    for (let i = 0; i + n <= len; i++) {
      if (n === 1 && (i === 0 || i === len - 1)) continue; // bare <s>/</s> carry nothing
      let h = prefix;
      for (let j = 0; j < n; j++) {
        if (j > 0) h = Math.imul(h ^ SPACE, FNV_PRIME);
        const k = i + j;
        h = k === 0 ? feed(h, BOS, 0, 3) : k === len - 1 ? feed(h, EOS, 0, 4) : feed(h, t, spanFrom[k - 1], spanTo[k - 1]);
      }
      out = emit(h, out);
      if (owners) {
        let m = 0;
        for (let k = i; k < i + n; k++) if (k >= 1 && k <= len - 2) m |= 1 << ((k - 1) % 31);
        owners.push(m);
      }
    }
  }
  for (let ti = 0; ti < count; ti++) {
    if (spanCjk[ti]) continue;
    const from = spanFrom[ti], wl = spanTo[ti] - from + 2; // `<token>`
    for (let n = cfg.minChar; n <= cfg.maxChar; n++) {
      for (let i = 0; i + n <= wl; i++) {
        let h = CHAR_PREFIX;
        for (let p = i; p < i + n; p++) h = Math.imul(h ^ (p === 0 ? LT : p === wl - 1 ? GT : t.charCodeAt(from + p - 1)), FNV_PRIME);
        out = emit(h, out);
        owners?.push(1 << (ti % 31));
      }
    }
  }
  return out;
}

/** Maps hashes to vocabulary rows (the model stores them sorted); unknown hashes are dropped. */
export class Vocabulary {
  constructor(readonly hashes: Uint32Array) {}

  static build(docs: number[][], minCount: number): Vocabulary {
    const counts = new Map<number, number>();
    for (const d of docs) for (const h of d) counts.set(h, (counts.get(h) ?? 0) + 1);
    const kept = [...counts].filter(([, c]) => c >= minCount).map(([h]) => h).sort((a, b) => a - b);
    return new Vocabulary(Uint32Array.from(kept));
  }

  get size(): number { return this.hashes.length; }

  /** Open-addressing table (hash → row), built on first lookup: one probe instead of a ~17-step binary search. */
  private keys?: Uint32Array;
  private rows?: Int32Array;

  row(h: number): number {
    if (!this.rows) this.index();
    const keys = this.keys!, rows = this.rows!, mask = rows.length - 1;
    for (let s = Math.imul(h, 0x9e3779b1) >>> 0 & mask; ; s = (s + 1) & mask) {
      const r = rows[s];
      if (r < 0 || keys[s] === h >>> 0) return r;
    }
  }

  private index(): void {
    let size = 16;
    while (size < 2 * this.hashes.length) size *= 2;
    const keys = new Uint32Array(size), rows = new Int32Array(size).fill(-1), mask = size - 1;
    this.hashes.forEach((h, r) => {
      let s = Math.imul(h, 0x9e3779b1) >>> 0 & mask;
      while (rows[s] >= 0) s = (s + 1) & mask;
      keys[s] = h; rows[s] = r;
    });
    this.keys = keys; this.rows = rows;
  }

  ids(hashes: number[]): number[] {
    const out: number[] = [];
    for (const h of hashes) { const r = this.row(h); if (r >= 0) out.push(r); }
    return out;
  }
}
