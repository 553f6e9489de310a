import { readFileSync } from 'node:fs';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import type { Scenario, SimResult } from './simulator.js';

const schema = z.object({
  name: z.string().default('scenario'),
  duration_min: z.number().positive().max(7 * 24 * 60),
  seed: z.number().int().default(1),
  patience_s: z.number().min(0).default(0),
  aging: z.number().min(0.1).max(1).default(0.8),
  queues: z.array(z.object({ name: z.string(), priority: z.number().int().default(0), weight: z.number().positive().default(1), max_wait_s: z.number().positive() }).strict()).min(1),
  arrivals: z.array(z.object({ queue: z.string(), per_min: z.array(z.tuple([z.number().min(0), z.number().min(0)])).min(1) }).strict()),
  agents: z.array(z.object({ count: z.number().int().min(1), capacity: z.number().int().min(1), skills: z.array(z.string()).default([]), handle_mean_s: z.number().positive() }).strict()).min(1),
  dropouts: z.array(z.object({ at_min: z.number().min(0), agents: z.number().int().min(1), for_min: z.number().positive() }).strict()).default([]),
}).strict();

/** Reads a simulator scenario (see bench/scenarios/*.toml for the format). */
export function loadScenario(file: string): Scenario & { aging: number } {
  const raw = parseToml(readFileSync(file, 'utf8'));
  const r = schema.safeParse(raw);
  if (!r.success) throw new Error(`${file}: invalid scenario\n  - ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n  - ')}`);
  const s = r.data;
  const names = new Set(s.queues.map((q) => q.name));
  for (const a of s.arrivals) if (!names.has(a.queue)) throw new Error(`${file}: arrivals for unknown queue "${a.queue}"`);
  return {
    name: s.name, durationMin: s.duration_min, seed: s.seed, patienceS: s.patience_s, aging: s.aging,
    queues: s.queues.map((q) => ({ name: q.name, priority: q.priority, weight: q.weight, maxWaitMs: q.max_wait_s * 1000 })),
    arrivals: s.arrivals.map((a) => ({ queue: a.queue, rate: a.per_min })),
    agents: s.agents.map((g) => ({ count: g.count, capacity: g.capacity, skills: g.skills, handleMeanS: g.handle_mean_s })),
    dropouts: s.dropouts.map((d) => ({ atMin: d.at_min, agents: d.agents, forMin: d.for_min })),
  };
}

const fmt = (s: number) => (s < 60 ? `${s.toFixed(0)}s` : `${(s / 60).toFixed(1)}m`);

/** The side-by-side table `kefu simulate` prints (also pasted into the README). */
export function formatResults(s: Scenario, results: SimResult[]): string {
  const lines = [`${s.name}: ${s.durationMin} min, seed ${s.seed}, ${s.agents.reduce((n, g) => n + g.count, 0)} agents`, ''];
  const head = ['queue', 'max_wait', 'arrived', ...results.flatMap((r) => [`${r.strategy} p50`, 'p95', 'max', 'aband.'])];
  const rows = s.queues.map((q) => [q.name, fmt(q.maxWaitMs / 1000), String(results[0].queues.find((x) => x.queue === q.name)!.arrived),
    ...results.flatMap((r) => {
      const x = r.queues.find((y) => y.queue === q.name)!;
      const over = x.max > q.maxWaitMs / 1000 ? '!' : '';
      return [fmt(x.p50), fmt(x.p95), fmt(x.max) + over, x.arrived ? `${((100 * x.abandoned) / x.arrived).toFixed(1)}%` : '-'];
    })]);
  rows.push(['utilization', '', '', ...results.flatMap((r) => [`${(100 * r.utilization).toFixed(0)}%`, '', '', ''])]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i])).join(' | ') + ' |';
  lines.push(line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...rows.map(line));
  lines.push('', '"!" = a max wait over the queue\'s max_wait. Waits include time back in the queue after an agent dropout.');
  return lines.join('\n');
}
