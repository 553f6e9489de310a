import assert from 'node:assert/strict';
import { SeqGaps } from '../../../core/cluster/seq-gaps.js';
import { sleep } from '../../helpers/gateway.js';

describe('SeqGaps (a message no node told this one of)', () => {
  it('a hole still open after the grace asks for one resync, however many conversations have one; a late copy inside the grace asks for none', async () => {
    let resyncs = 0;
    const gaps = new SeqGaps(() => resyncs++, 50);
    gaps.saw('c1', 5); // first heard of at 5: 1..4 are history, not a hole
    gaps.saw('c1', 6);
    gaps.saw('c1', 8); // 7 is late...
    gaps.saw('c1', 7); // ...and comes
    await sleep(120);
    assert.equal(resyncs, 0);
    gaps.saw('c1', 10); // 9 never comes
    gaps.saw('c2', 1);
    gaps.saw('c2', 3); // nor c2's 2
    await sleep(120);
    assert.equal(resyncs, 1, 'one resync for both holes');
    gaps.saw('c1', 11);
    gaps.saw('c2', 4);
    await sleep(120);
    assert.equal(resyncs, 1, 'a hole asks once: after the resync it counts as closed');
    gaps.saw('c1', 9); // the lost one, late after all: nothing to do
    await sleep(120);
    assert.equal(resyncs, 1);
    gaps.close();
  });
});
