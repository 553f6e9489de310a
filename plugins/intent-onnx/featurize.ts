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

/** FNV-1a over UTF-16 code units: fast, stable across platforms, no dependencies. */
export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** Feature hashes of one text (with repeats: a repeated n-gram counts twice in the average). */
export function featureHashes(text: string, cfg: FeatureConfig): number[] {
  const tokens = tokenize(text);
  const seq = ['<s>', ...tokens, '</s>'];
  const out: number[] = [];
  for (let n = 1; n <= cfg.wordNgrams; n++) {
    for (let i = 0; i + n <= seq.length; i++) {
      if (n === 1 && (i === 0 || i === seq.length - 1)) continue; // bare <s>/</s> carry nothing
      out.push(fnv1a(`w${n}:${seq.slice(i, i + n).join(' ')}`));
    }
  }
  for (const t of tokens) {
    if (CJK.test(t)) continue;
    const w = `<${t}>`;
    for (let n = cfg.minChar; n <= cfg.maxChar; n++) {
      for (let i = 0; i + n <= w.length; i++) out.push(fnv1a(`c:${w.slice(i, i + n)}`));
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
