import assert from 'node:assert/strict';
import { GcraRateLimiter } from '../../../core/ratelimit/rate-limiter.js';

describe('GcraRateLimiter (fake clock)', () => {
  it('allows quota per minute plus burst, then tells how long to wait', () => {
    let now = 1_000_000;
    const rl = new GcraRateLimiter(60, 2, () => now); // 1/s sustained, 2 extra at once
    assert.deepEqual([rl.take('c'), rl.take('c'), rl.take('c')], [0, 0, 0]);
    const wait = rl.take('c');
    assert.equal(wait, 1);
    now += 1000;
    assert.equal(rl.take('c'), 0);
    assert.equal(rl.take('other'), 0, 'customers are independent');
    rl.close();
  });

  it('over a long run admits exactly the quota', () => {
    let now = 0;
    const rl = new GcraRateLimiter(30, 0, () => now);
    let admitted = 0;
    for (let t = 0; t < 10 * 60_000; t += 100) { now = t; if (rl.take('c') === 0) admitted++; }
    assert.equal(admitted, 300);
    rl.close();
  });

  it('peek tells the wait without taking', () => {
    let now = 0;
    const rl = new GcraRateLimiter(60, 0, () => now);
    assert.equal(rl.peek('k'), 0);
    assert.equal(rl.take('k'), 0);
    assert.equal(rl.peek('k'), 1);
    assert.equal(rl.peek('k'), 1, 'peeking consumed nothing');
    now += 1000;
    assert.equal(rl.peek('k'), 0);
    rl.close();
  });

  it('reconfigures live and 0 disables; sweep forgets idle customers', () => {
    let now = 0;
    const rl = new GcraRateLimiter(1, 0, () => now);
    rl.take('a');
    assert.ok(rl.take('a') > 0);
    rl.configure(0, 0);
    assert.equal(rl.take('a'), 0);
    rl.configure(60, 0);
    now = 10 * 60_000;
    rl.sweep();
    assert.equal(rl.size, 0);
    rl.close();
  });
});
