import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import type { ChannelAdapter } from '../../channels/contract.js';

/**
 * The one suite every channel adapter passes. A channel folder provides:
 *  - index.ts   the adapter (ChannelAdapter)
 *  - parse.ts   pure raw → normalized parsing that never throws
 *  - types.ts   the vendor/wire types
 * and a test file that calls `channelConformance` with a factory and sample raw payloads.
 */
export interface ConformanceSubject {
  folder: string;
  create: () => ChannelAdapter;
  /** The channel's pure parser applied to one raw payload. */
  parse: (raw: string) => { kind: string };
  /** Raw payloads the channel must accept. */
  valid: string[];
}

const REQUIRED_FILES = ['index.ts', 'parse.ts', 'types.ts'];

export function channelConformance(s: ConformanceSubject): void {
  describe(`channel conformance: ${s.folder}`, () => {
    it('has the standard files', () => {
      const files = readdirSync(s.folder);
      for (const f of REQUIRED_FILES) assert.ok(files.includes(f), `${s.folder}/${f}`);
    });

    it('implements the adapter contract (no silent no-op capabilities)', () => {
      const a = s.create();
      assert.equal(typeof a.name, 'string');
      assert.ok(a.name.length > 0);
      for (const m of ['start', 'stop', 'send'] as const) assert.equal(typeof a[m], 'function', m);
      if (a.typing) assert.ok(a.typing.toString().replace(/\s/g, '').length > 'async typing(){}'.length, 'typing must do something');
    });

    it('parses every valid sample', () => {
      for (const raw of s.valid) assert.notEqual(s.parse(raw).kind, 'invalid', raw);
    });

    it('parse never throws on garbage (fuzz, seeded)', () => {
      let seed = 42;
      const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
      const pieces = ['{', '}', '"type"', ':', '"send"', ',', '[', ']', 'null', '1e309', '"\\u0000"', '-1', 'true', '"text"', '"x"'];
      for (let i = 0; i < 2000; i++) {
        const sample = s.valid[i % s.valid.length];
        const cut = sample.slice(0, Math.floor(rnd() * sample.length));
        const noise = Array.from({ length: Math.floor(rnd() * 8) }, () => pieces[Math.floor(rnd() * pieces.length)]).join('');
        const raw = rnd() < 0.5 ? cut + noise : noise;
        const r = s.parse(raw);
        assert.equal(typeof r.kind, 'string');
      }
    });
  });
}
