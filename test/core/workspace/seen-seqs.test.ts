import assert from 'node:assert/strict';
import { SeenSeqs } from '../../../core/workspace/seen-seqs.js';

describe('SeenSeqs (what an agent socket got of a conversation)', () => {
  it('a seq past a gap is held apart until the gap fills; then the mark moves over both', () => {
    const s = new SeenSeqs();
    for (const seq of [1, 2, 4, 5]) s.add(seq);
    assert.equal(s.upTo, 2, 'seq 3 was lost: a resync starts after 2');
    assert.ok(s.has(4) && s.has(5) && !s.has(3));
    s.add(3);
    assert.equal(s.upTo, 5);
  });

  it('hasUpTo (an open after n) takes what lies below it and joins what follows', () => {
    const s = new SeenSeqs();
    s.add(12);
    s.add(14);
    s.hasUpTo(11);
    assert.equal(s.upTo, 12);
    assert.ok(!s.has(13) && s.has(14));
  });

  it('a gap that never fills (watching began mid-way) is given up past 200 seqs, so the set stays small', () => {
    const s = new SeenSeqs();
    for (let seq = 50; seq <= 250; seq++) s.add(seq);
    assert.equal(s.upTo, 250);
  });
});
