import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { drawCustomers, simulate, type Scenario } from '../../../core/routing/simulator.js';
import { loadScenario } from '../../../core/routing/scenario.js';

const SCENARIOS = fileURLToPath(new URL('../../../../bench/scenarios/', import.meta.url));

describe('routing simulator', () => {
  it('is deterministic for a seed', () => {
    const s = loadScenario(`${SCENARIOS}agent-dropout.toml`);
    assert.deepEqual(simulate(s, 'weighted'), simulate(s, 'weighted'));
  });

  it('double-eleven peak: ours cuts the urgent queue\'s p95 well below FIFO while the lowest queue stays within max_wait', () => {
    const s = loadScenario(`${SCENARIOS}double-eleven-peak.toml`);
    const customers = drawCustomers(s);
    const fifo = simulate(s, 'fifo', customers);
    const ours = simulate(s, 'weighted', customers);
    const urgent = (r: typeof ours) => r.queues.find((q) => q.queue === 'after_sales')!;
    assert.ok(urgent(ours).p95 < 0.5 * urgent(fifo).p95, `urgent p95 ours ${urgent(ours).p95}s vs fifo ${urgent(fifo).p95}s`);
    const lowest = s.queues[s.queues.length - 1];
    const ourLowest = ours.queues.find((q) => q.queue === lowest.name)!;
    assert.ok(ourLowest.max <= lowest.maxWaitMs / 1000, `lowest max ${ourLowest.max}s within ${lowest.maxWaitMs / 1000}s`);
    for (const r of [fifo, ours]) assert.equal(r.maxLoadExceeded, false);
  });

  it('property: capacity never exceeded; with patient customers every arrival is served (none lost), through dropouts', () => {
    const scenario = fc.record({
      seed: fc.integer({ min: 1, max: 1e6 }),
      rate: fc.double({ min: 0.1, max: 6, noNaN: true }),
      agents: fc.integer({ min: 1, max: 6 }),
      capacity: fc.integer({ min: 1, max: 4 }),
      handle: fc.integer({ min: 30, max: 900 }),
      dropAt: fc.integer({ min: 0, max: 50 }),
      dropN: fc.integer({ min: 0, max: 6 }),
      strategy: fc.constantFrom('weighted', 'priority', 'fifo'),
      skilled: fc.boolean(),
    });
    fc.assert(fc.property(scenario, (p) => {
      const s: Scenario = {
        name: 'prop', durationMin: 60, seed: p.seed, patienceS: 0,
        queues: [{ name: 'a', priority: 2, weight: 3, maxWaitMs: 60_000 }, { name: 'b', priority: 1, weight: 1, maxWaitMs: 300_000 }],
        arrivals: [{ queue: 'a', rate: [[0, p.rate / 3]] }, { queue: 'b', rate: [[0, p.rate]] }],
        // A specialist group for "a" plus generalists: every queue always has someone who serves it.
        agents: [{ count: p.agents, capacity: p.capacity, skills: [], handleMeanS: p.handle },
          ...(p.skilled ? [{ count: 2, capacity: p.capacity, skills: ['a'], handleMeanS: p.handle }] : [])],
        dropouts: p.dropN > 0 ? [{ atMin: p.dropAt, agents: Math.min(p.dropN, p.agents), forMin: 10 }] : [],
      };
      const r = simulate(s, p.strategy as any);
      assert.equal(r.maxLoadExceeded, false);
      for (const q of r.queues) assert.equal(q.served + q.abandoned, q.arrived, `${q.queue}: every conversation accounted for`);
      for (const q of r.queues) assert.equal(q.abandoned, 0);
    }), { numRuns: 60, seed: 7 });
  });
});
