import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';

/**
 * Product-term synonyms, applied to a message before it is scored (the stored text is
 * unchanged). File format (TOML): canonical = ["variant", …], e.g. "退货" = ["退掉", "退了"].
 * Longest variants are replaced first so "苹果15pro" wins over "苹果15".
 */
export class Synonyms {
  private pairs: [string, string][] = [];
  private pattern?: RegExp;
  private canonical = new Map<string, string>();

  static fromFile(file: string): Synonyms {
    const s = new Synonyms();
    const raw = parseToml(readFileSync(file, 'utf8')) as Record<string, unknown>;
    for (const [canonical, variants] of Object.entries(raw)) {
      if (!Array.isArray(variants) || !variants.every((v) => typeof v === 'string')) {
        throw new Error(`${file}: "${canonical}" must map to an array of strings`);
      }
      for (const v of variants as string[]) if (v) s.pairs.push([v.normalize('NFKC').toLowerCase(), canonical]);
    }
    s.pairs.sort((a, b) => b[0].length - a[0].length);
    // One pass with an alternation (longest first): a canonical form is never re-matched.
    s.canonical = new Map(s.pairs);
    if (s.pairs.length) s.pattern = new RegExp(s.pairs.map(([v]) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'g');
    return s;
  }

  get size(): number { return this.pairs.length; }

  apply(text: string): string {
    if (!this.pattern) return text;
    return text.normalize('NFKC').toLowerCase().replace(this.pattern, (m) => this.canonical.get(m) ?? m);
  }
}
