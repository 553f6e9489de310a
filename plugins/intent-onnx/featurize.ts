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

const CJK = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uac00-\ud7af]/u;
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
  const tokens = tokenize(text);
  const len = tokens.length + 2;
  const tok = (k: number) => (k === 0 ? '<s>' : k === len - 1 ? '</s>' : tokens[k - 1]);
  const out: number[] = [];
  for (let n = 1; n <= cfg.wordNgrams; n++) {
    const prefix = n < WORD_PREFIX.length ? WORD_PREFIX[n] : feed(FNV_OFFSET, `w${n}:`, 0, `w${n}:`.length);
    for (let i = 0; i + n <= len; i++) {
      if (n === 1 && (i === 0 || i === len - 1)) continue; // bare <s>/</s> carry nothing
      let h = prefix;
      for (let j = 0; j < n; j++) {
        if (j > 0) h = Math.imul(h ^ SPACE, FNV_PRIME);
        const t = tok(i + j);
        h = feed(h, t, 0, t.length);
      }
      out.push(h >>> 0);
      if (owners) {
        let m = 0;
        for (let k = i; k < i + n; k++) if (k >= 1 && k <= len - 2) m |= 1 << ((k - 1) % 31);
        owners.push(m);
      }
    }
  }
  for (let ti = 0; ti < tokens.length; ti++) {
    const t = tokens[ti];
    if (CJK.test(t)) continue;
    const wl = t.length + 2; // `<t>`
    for (let n = cfg.minChar; n <= cfg.maxChar; n++) {
      for (let i = 0; i + n <= wl; i++) {
        let h = CHAR_PREFIX;
        for (let p = i; p < i + n; p++) h = Math.imul(h ^ (p === 0 ? LT : p === wl - 1 ? GT : t.charCodeAt(p - 1)), FNV_PRIME);
        out.push(h >>> 0);
        owners?.push(1 << (ti % 31));
      }
    }
  }
  return out;
}

/** Maps hashes to vocabulary rows (sorted hash array → binary search); unknown hashes are dropped. */
export class Vocabulary {
  constructor(readonly hashes: Uint32Array) {}

  static build(docs: number[][], minCount: number): Vocabulary {
    const counts = new Map<number, number>();
    for (const d of docs) for (const h of d) counts.set(h, (counts.get(h) ?? 0) + 1);
    const kept = [...counts].filter(([, c]) => c >= minCount).map(([h]) => h).sort((a, b) => a - b);
    return new Vocabulary(Uint32Array.from(kept));
  }

  get size(): number { return this.hashes.length; }

  row(h: number): number {
    const a = this.hashes;
    let lo = 0, hi = a.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = a[mid];
      if (v === h) return mid;
      if (v < h) lo = mid + 1; else hi = mid - 1;
    }
    return -1;
  }

  ids(hashes: number[]): number[] {
    const out: number[] = [];
    for (const h of hashes) { const r = this.row(h); if (r >= 0) out.push(r); }
    return out;
  }
}
