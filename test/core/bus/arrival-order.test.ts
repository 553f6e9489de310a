import assert from 'node:assert/strict';
import { ArrivalOrder } from '../../../core/bus/arrival-order.js';

describe('ArrivalOrder', () => {
  it('a place is ready once every earlier place of its key is done, whatever order they finish in; keys do not wait for each other', async () => {
    const order = new ArrivalOrder();
    const got: string[] = [];
    const [a, b, c] = [order.take('k'), order.take('k'), order.take('k')];
    const other = order.take('other');
    void c.ready.then(() => got.push('c'));
    void b.ready.then(() => got.push('b'));
    void a.ready.then(() => got.push('a'));
    await other.ready;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(got, ['a'], 'only the first is ready');
    c.done(); // finishing early does not let a later one pass an earlier one
    b.done();
    b.done(); // twice is harmless
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(got, ['a'], 'b and c wait for a');
    a.done();
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(got, ['a', 'b', 'c']);
    other.done();
    await new Promise((r) => setImmediate(r));
    assert.equal(order.size, 0, 'nothing kept once every place is done');
  });
});
