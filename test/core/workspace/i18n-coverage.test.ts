import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The product's name, drawn in two colours ("ke" + "fu"): the same in every language. */
const BRAND = new Set(['ke', 'fu']);
const CLIENT = fileURLToPath(new URL('../../../../core/workspace/client/', import.meta.url));

/**
 * Words a person reads, written straight into the workspace's UI code instead of the catalogue
 * (core/workspace/client/i18n.ts): text children of h(), the attributes people read (title,
 * placeholder, aria-label, alt), and toast()/confirm()/prompt() messages. A literal "counts" when
 * it holds a word of two letters or more; symbols (‹ × ⓘ —), CSS and ids do not.
 */
export function untranslated(file: string, src: string): string[] {
  const found: string[] = [];
  const literal = String.raw`'((?:[^'\\\n]|\\.)*)'|\x60((?:[^\x60\\]|\\.)*)\x60`;
  const patterns = [
    // h('tag', { … }, 'Text') and h('tag', {}, 'a', 'b'): a string literal right after the props or another child.
    new RegExp(String.raw`h\('[a-z0-9]+',\s*(?:\{[^{}]*(?:\{[^{}]*\}[^{}]*)*\}|null|undefined)\s*,\s*(?:${literal})`, 'g'),
    new RegExp(String.raw`(?:title|placeholder|'aria-label'|alt|label)\s*:\s*(?:${literal})`, 'g'),
    new RegExp(String.raw`\b(?:toast|confirm|prompt|alert)\(\s*(?:${literal})`, 'g'),
  ];
  for (const re of patterns) {
    for (const m of src.matchAll(re)) {
      // Code inside ${…} is not text (an unclosed one is a nested template the literal pattern cut short).
      const text = (m[1] ?? m[2] ?? '').replace(/\$\{[^}]*(\}|$)/g, ' ');
      if (/[A-Za-z]{2,}/.test(text) && !BRAND.has(text)) found.push(`${file}: ${m[0].slice(0, 120)}`);
    }
  }
  return found;
}

describe('workspace catalogue: every string a person reads is in both languages', () => {
  it('no UI file writes English past the catalogue', () => {
    const files = readdirSync(CLIENT).filter((f) => f.endsWith('.ts') && f !== 'i18n.ts');
    assert.ok(files.length > 10, 'the client sources are where this test looks');
    const found = files.flatMap((f) => untranslated(f, readFileSync(`${CLIENT}${f}`, 'utf8')));
    assert.deepEqual(found, []);
  });

  it('the scanner finds what it should (so the test above can fail)', () => {
    const hits = untranslated('x.ts', [
      "h('h3', {}, 'Contact')", "h('button', { class: 'a', onclick: () => go({ x: 1 }) }, 'Save')", "h('span', { title: 'Open it' }, x)",
      "toast(`Search: ${e}`)", "h('b', {}, t.ctName)", "h('span', {}, '—')", "h('div', { class: 'dim' }, '×')",
    ].join('\n'));
    assert.equal(hits.length, 4, hits.join('\n'));
  });

  it('both catalogues hold the same keys with the same kind of value', async () => {
    const src = readFileSync(`${CLIENT}i18n.ts`, 'utf8');
    const keys = (part: string) => [...part.matchAll(/^\s+(?:([a-zA-Z_]\w*): |.*?, ([a-zA-Z_]\w*): )/gm)].length;
    const en = src.slice(src.indexOf('const en = {'), src.indexOf('const zh'));
    const zh = src.slice(src.indexOf('const zh'), src.indexOf('export type Strings'));
    // The compiler holds zh to typeof en; this guards the other direction (a key only zh has is a type error too) and that zh is not English.
    assert.ok(keys(en) > 0 && keys(zh) > 0);
    const zhStrings = [...zh.matchAll(/:\s*'([^']*)'/g)].map((m) => m[1]).filter((v) => /[a-z]{4,}/.test(v) && !/[\u4e00-\u9fff]/.test(v));
    // Left in Latin letters on purpose: product names, placeholders of variables, a romanized shortcut.
    const allowed = new Set(['tuikuan']);
    assert.deepEqual(zhStrings.filter((v) => !allowed.has(v)), [], 'zh strings that are still English');
  });
});
