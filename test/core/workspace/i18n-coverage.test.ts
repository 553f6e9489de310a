import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_CATALOGUE } from '../../../core/errors.js';

/** The product's name, drawn in two colours ("ke" + "fu"): the same in every language. */
const BRAND = new Set(['ke', 'fu']);
/** The server's own English, matched to translate it (message-view.ts eventText): not shown as such. */
const ENGLISH_ON_PURPOSE = ['Opened the chat', 'The agent'];
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
  // Anywhere else in code (not comments): a literal that reads as a sentence (three words or more, capitalised).
  const code = src.split('\n').filter((l) => !/^\s*(\/\/|\/?\*)/.test(l)).join('\n');
  for (const m of code.matchAll(new RegExp(literal, 'g'))) {
    const text = (m[1] ?? m[2] ?? '').replace(/\$\{[^}]*(\}|$)/g, ' ');
    if (/^[A-Z][a-z]+(\s+[a-z]+){2,}/.test(text.trim()) && !ENGLISH_ON_PURPOSE.some((x) => text.includes(x))) found.push(`${file}: ${m[0].slice(0, 120)}`);
  }
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
      "x ? `No canned reply matches /${q}` : 'No canned replies yet'", "const cls = on ? 'chip on' : 'chip'",
    ].join('\n'));
    assert.equal(hits.length, 6, hits.join('\n'));
  });

  it('every server error code has its Chinese text (the API\'s errors in a zh workspace)', () => {
    const src = readFileSync(`${CLIENT}i18n.ts`, 'utf8');
    const block = src.slice(src.indexOf('const zhErrors'), src.indexOf('};', src.indexOf('const zhErrors')));
    const zh = new Set([...block.matchAll(/(\w+): '/g)].map((m) => m[1]));
    assert.deepEqual(Object.keys(ERROR_CATALOGUE).filter((c) => !zh.has(c)), []);
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
