import assert from 'node:assert/strict';
import { MicroBatcher } from '../../../plugins/intent-onnx/micro-batcher.js';

/** A model whose runs the test finishes by hand, recording what each run got. */
function heldModel() {
  const runs: { texts: string[]; finish: (fail?: Error) => void }[] = [];
  let inFlight = 0, maxInFlight = 0;
  const run = (texts: string[]) => new Promise<string[]>((resolve, reject) => {
    inFlight++; maxInFlight = Math.max(maxInFlight, inFlight);
    runs.push({ texts, finish: (fail) => { inFlight--; if (fail) reject(fail); else resolve(texts.map((t) => t.toUpperCase())); } });
  });
  return { runs, run, maxInFlight: () => maxInFlight };
}
const tick = () => new Promise((r) => setImmediate(r));

describe('MicroBatcher', () => {
  it('texts of one tick share a run; texts arriving during a run share the next; one run at a time', async () => {
    const m = heldModel();
    const b = new MicroBatcher(m.run, () => 64);
    const first = ['a', 'b', 'c'].map((t) => b.score(t));
    await tick();
    assert.deepEqual(m.runs.map((r) => r.texts), [['a', 'b', 'c']]);
    const second = ['d', 'e'].map((t) => b.score(t));
    await tick();
    await tick();
    const third = b.score('f');
    await tick();
    assert.equal(m.runs.length, 1, 'nothing starts while a run is in progress');
    m.runs[0].finish();
    assert.deepEqual(await Promise.all(first), ['A', 'B', 'C']);
    assert.deepEqual(m.runs.map((r) => r.texts), [['a', 'b', 'c'], ['d', 'e', 'f']], 'everything that waited, in order, in one run');
    m.runs[1].finish();
    assert.deepEqual(await Promise.all([...second, third]), ['D', 'E', 'F']);
    assert.equal(m.maxInFlight(), 1);
  });

  it('a full batch starts at once; what is over the maximum waits for the next run', async () => {
    const m = heldModel();
    const b = new MicroBatcher(m.run, () => 2);
    const all = ['a', 'b', 'c', 'd', 'e'].map((t) => b.score(t));
    assert.deepEqual(m.runs.map((r) => r.texts), [['a', 'b']], 'started without waiting for the tick');
    m.runs[0].finish();
    await tick();
    m.runs[1].finish();
    await tick();
    m.runs[2].finish();
    assert.deepEqual(await Promise.all(all), ['A', 'B', 'C', 'D', 'E']);
    assert.deepEqual(m.runs.map((r) => r.texts), [['a', 'b'], ['c', 'd'], ['e']]);
  });

  it('a failed run rejects its own texts only; the next run goes ahead', async () => {
    const m = heldModel();
    const b = new MicroBatcher(m.run, () => 64);
    const bad = b.score('x');
    await tick();
    const good = b.score('y');
    m.runs[0].finish(new Error('model gone'));
    await assert.rejects(bad, /model gone/);
    await tick();
    m.runs[1].finish();
    assert.equal(await good, 'Y');
    const thrower = new MicroBatcher<string>(() => { throw new Error('sync throw'); }, () => 64);
    await assert.rejects(thrower.score('z'), /sync throw/);
    await assert.rejects(thrower.score('w'), /sync throw/, 'still serving after a throw');
  });
});
