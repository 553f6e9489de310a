import assert from 'node:assert/strict';
import fc from 'fast-check';
import { PriorityQueues, type QueueSpec } from '../../../core/routing/priority-queues.js';
import { isOpen, parseHours } from '../../../core/routing/business-hours.js';
import { resolveQueue } from '../../../core/routing/queue-resolver.js';
import { parseConfig } from '../../../config/load.js';

const SPECS: QueueSpec[] = [
  { name: 'urgent', priority: 3, weight: 8, maxWaitMs: 120_000 },
  { name: 'order', priority: 2, weight: 4, maxWaitMs: 300_000 },
  { name: 'product', priority: 1, weight: 2, maxWaitMs: 600_000 },
  { name: 'general', priority: 0, weight: 1, maxWaitMs: 900_000 },
];

function fill(q: PriorityQueues, perQueue: number, at = 0): void {
  for (const s of SPECS) for (let i = 0; i < perQueue; i++) q.add({ id: `${s.name}-${i}`, queue: s.name, priority: 0, queuedAt: at + i });
}

function drain(q: PriorityQueues, n: number, now = 1000): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const w = q.peek(now, () => true)!;
    q.take(w.id);
    out.push(w.queue);
  }
  return out;
}

describe('PriorityQueues (the assignment core shared by gateway and simulator)', () => {
  it('weighted: freed capacity goes to queues in proportion to their weights', () => {
    const q = new PriorityQueues(SPECS, 'weighted', 0.8);
    fill(q, 100);
    const served = drain(q, 150);
    const count = (name: string) => served.filter((x) => x === name).length;
    assert.deepEqual([count('urgent'), count('order'), count('product'), count('general')], [80, 40, 20, 10]);
  });

  it('weighted + aging: a conversation past aging × max_wait is served first', () => {
    const q = new PriorityQueues(SPECS, 'weighted', 0.8);
    fill(q, 5, 0);
    const now = 0.81 * 900_000; // general's head is now 81 % of its max wait; urgent's are way past theirs too
    const first = q.peek(now, () => true)!;
    // Most overdue relative to its own max_wait wins: urgent heads (waited 729 s of 120 s).
    assert.equal(first.queue, 'urgent');
    const q2 = new PriorityQueues(SPECS, 'weighted', 0.8);
    q2.add({ id: 'old-general', queue: 'general', priority: 0, queuedAt: 0 });
    q2.add({ id: 'new-urgent', queue: 'urgent', priority: 0, queuedAt: 0.8 * 900_000 });
    assert.equal(q2.peek(0.81 * 900_000, () => true)!.id, 'old-general', 'an overdue general beats a fresh urgent');
  });

  it('priority: strict; fifo: one line across queues', () => {
    const p = new PriorityQueues(SPECS, 'priority', 0.8);
    fill(p, 3);
    assert.deepEqual(drain(p, 4), ['urgent', 'urgent', 'urgent', 'order']);
    const f = new PriorityQueues(SPECS, 'fifo', 0.8);
    f.add({ id: 'a', queue: 'general', priority: 0, queuedAt: 1 });
    f.add({ id: 'b', queue: 'urgent', priority: 0, queuedAt: 2 });
    assert.equal(f.peek(10, () => true)!.id, 'a');
  });

  it('only eligible queues are considered (skills, hours)', () => {
    const q = new PriorityQueues(SPECS, 'weighted', 0.8);
    fill(q, 2);
    assert.equal(q.peek(0, (name) => name === 'product')!.queue, 'product');
    assert.equal(q.peek(0, () => false), undefined);
  });

  it('within a queue: raised priority first, then the oldest; position is 1-based', () => {
    const q = new PriorityQueues(SPECS, 'weighted', 0.8);
    q.add({ id: 'x', queue: 'order', priority: 0, queuedAt: 1 });
    q.add({ id: 'y', queue: 'order', priority: 0, queuedAt: 2 });
    q.add({ id: 'vip', queue: 'order', priority: 5, queuedAt: 3 });
    assert.deepEqual(q.waiting('order').map((w) => w.id), ['vip', 'x', 'y']);
    assert.deepEqual(q.position('y'), { position: 3, of: 3 });
  });

  it('reconfigure keeps every waiting conversation; a removed queue\'s go to the fallback', () => {
    const q = new PriorityQueues(SPECS, 'weighted', 0.8);
    fill(q, 3);
    q.configure(SPECS.filter((s) => s.name !== 'product'), 'priority', 0.5, 'general');
    assert.equal(q.size, 12);
    assert.equal(q.waiting('general').length, 6);
  });

  it('property: random add/remove/take/reconfigure never loses or duplicates a conversation', () => {
    const op = fc.oneof(
      fc.record({ k: fc.constant('add'), id: fc.integer({ min: 0, max: 40 }), queue: fc.constantFrom('urgent', 'order', 'product', 'general', 'nope'), at: fc.nat(1000), pr: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ k: fc.constant('remove'), id: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ k: fc.constant('take'), now: fc.nat(2_000_000) }),
      fc.record({ k: fc.constant('reconfigure'), drop: fc.constantFrom('urgent', 'order', 'product', 'none'), strategy: fc.constantFrom('weighted', 'priority', 'fifo') }),
    );
    fc.assert(fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
      const q = new PriorityQueues(SPECS, 'weighted', 0.8, 'general');
      const model = new Set<string>();
      for (const o of ops as any[]) {
        if (o.k === 'add') { q.add({ id: `c${o.id}`, queue: o.queue, priority: o.pr, queuedAt: o.at }); model.add(`c${o.id}`); }
        if (o.k === 'remove') { q.remove(`c${o.id}`); model.delete(`c${o.id}`); }
        if (o.k === 'take') { const w = q.peek(o.now, () => true); if (w) { q.take(w.id); model.delete(w.id); } else assert.equal(model.size, 0); }
        if (o.k === 'reconfigure') q.configure(SPECS.filter((s) => s.name !== o.drop), o.strategy, 0.8, 'general');
        assert.equal(q.size, model.size);
        assert.deepEqual(new Set(q.all().map((w) => w.id)), model);
      }
    }), { numRuns: 300, seed: 42 });
  });
});

describe('business hours', () => {
  it('parses ranges and evaluates in a time zone, including windows past midnight', () => {
    const s = parseHours('mon-fri 09:00-18:00; sat 22:00-02:00');
    // 2026-11-27 is a Friday. 10:00 in Shanghai = 02:00 UTC.
    assert.equal(isOpen(s, Date.UTC(2026, 10, 27, 2, 0), 'Asia/Shanghai'), true);
    assert.equal(isOpen(s, Date.UTC(2026, 10, 27, 11, 0), 'Asia/Shanghai'), false); // 19:00
    assert.equal(isOpen(s, Date.UTC(2026, 10, 28, 15, 0), 'Asia/Shanghai'), true); // Sat 23:00
    assert.equal(isOpen(s, Date.UTC(2026, 10, 28, 17, 30), 'Asia/Shanghai'), true); // Sun 01:30, Saturday's window
    assert.equal(isOpen(parseHours(''), 0, 'UTC'), true);
    assert.throws(() => parseHours('someday 9-5'), /not like/);
  });
});

describe('queue resolution', () => {
  const routing = parseConfig('', 'x').routing;
  it('entry point, then intent, then keywords (most urgent first), else default', () => {
    assert.equal(resolveQueue(routing, { hint: 'order', text: '我要投诉' }), 'order');
    assert.equal(resolveQueue(routing, { hint: 'no-such-queue', intent: '物流' }), 'order');
    assert.equal(resolveQueue(routing, { text: '订单的东西坏了，我要投诉' }), 'after_sales');
    assert.equal(resolveQueue(routing, { text: 'Where is my ORDER?' }), 'order');
    assert.equal(resolveQueue(routing, { text: 'hello' }), 'general');
  });
});
