import { AgentPool } from './agent-pool.js';
import { PriorityQueues, type QueueSpec, type Strategy } from './priority-queues.js';
import { rng } from '../model/rng.js';

/**
 * A deterministic discrete-event simulation of the contact center, driven by the same
 * PriorityQueues (which conversation next) and AgentPool (which agent) the gateway uses.
 * Arrivals, handling times and patience are drawn once per scenario from the seed, so every
 * strategy faces exactly the same customers.
 */
export interface Scenario {
  name: string;
  durationMin: number;
  seed: number;
  /** Mean customer patience in seconds (exponential); 0 = nobody abandons. */
  patienceS: number;
  queues: QueueSpec[];
  /** Per queue, piecewise-constant arrival rate: [fromMinute, perMinute] steps. */
  arrivals: { queue: string; rate: [number, number][] }[];
  agents: { count: number; capacity: number; skills: string[]; handleMeanS: number }[];
  /** Agents going offline for a while (their conversations go back to the head of the queue). */
  dropouts: { atMin: number; agents: number; forMin: number }[];
}

export interface QueueResult { queue: string; arrived: number; served: number; abandoned: number; p50: number; p95: number; max: number }
export interface SimResult { strategy: Strategy; queues: QueueResult[]; utilization: number; maxLoadExceeded: boolean }

interface Customer { id: string; queue: string; at: number; handleMs: number; patienceMs: number }

const exp = (r: () => number, mean: number) => -Math.log(1 - r()) * mean;

export function drawCustomers(s: Scenario): Customer[] {
  const r = rng(s.seed);
  const out: Customer[] = [];
  const end = s.durationMin * 60_000;
  for (const a of s.arrivals) {
    const steps = [...a.rate].sort((x, y) => x[0] - y[0]);
    for (let i = 0; i < steps.length; i++) {
      const from = steps[i][0] * 60_000, to = i + 1 < steps.length ? steps[i + 1][0] * 60_000 : end;
      const perMs = steps[i][1] / 60_000;
      if (perMs <= 0) continue;
      for (let t = from + exp(r, 1 / perMs); t < to; t += exp(r, 1 / perMs)) out.push({ id: '', queue: a.queue, at: t, handleMs: 0, patienceMs: 0 });
    }
  }
  out.sort((x, y) => x.at - y.at);
  const handleMean = s.agents.reduce((m, g) => m + g.handleMeanS * g.count, 0) / Math.max(1, s.agents.reduce((m, g) => m + g.count, 0));
  out.forEach((c, i) => {
    c.id = `c${i}`;
    c.handleMs = exp(r, handleMean * 1000);
    c.patienceMs = s.patienceS > 0 ? exp(r, s.patienceS * 1000) : Infinity;
  });
  return out;
}

type Ev = { t: number; seq: number; kind: 'arrive' | 'finish' | 'abandon' | 'off' | 'on'; id: string };

class Heap {
  private a: Ev[] = [];
  get size() { return this.a.length; }
  push(e: Ev) { const a = this.a; a.push(e); let i = a.length - 1; while (i > 0) { const p = (i - 1) >> 1; if (lt(a[p], a[i])) break; [a[p], a[i]] = [a[i], a[p]]; i = p; } }
  pop(): Ev { const a = this.a; const top = a[0]; const last = a.pop()!; if (a.length) { a[0] = last; let i = 0; for (;;) { const l = 2 * i + 1, r = l + 1; let m = i; if (l < a.length && lt(a[l], a[m])) m = l; if (r < a.length && lt(a[r], a[m])) m = r; if (m === i) break; [a[m], a[i]] = [a[i], a[m]]; i = m; } } return top; }
}
const lt = (x: Ev, y: Ev) => x.t < y.t || (x.t === y.t && x.seq < y.seq);

export function simulate(s: Scenario, strategy: Strategy, customers = drawCustomers(s), aging = 0.8): SimResult {
  const queues = new PriorityQueues(s.queues, strategy, aging, s.queues[s.queues.length - 1].name);
  const pool = new AgentPool();
  const agentIds: string[] = [];
  let n = 0;
  for (const g of s.agents) for (let i = 0; i < g.count; i++) {
    const id = `a${n++}`;
    agentIds.push(id);
    pool.upsert({ id, login: id, name: id, role: 'agent', passwordHash: '', capacity: g.capacity, skills: g.skills, disabled: false, createdAt: new Date(0) }).status = 'online';
  }
  const byId = new Map(customers.map((c) => [c.id, c]));
  const heap = new Heap();
  let seq = 0;
  const push = (t: number, kind: Ev['kind'], id: string) => { heap.push({ t, seq, kind, id }); return seq++; };
  for (const c of customers) push(c.at, 'arrive', c.id);
  const dropped: string[] = [];
  for (const d of s.dropouts) {
    for (let i = 0; i < d.agents; i++) { push(d.atMin * 60_000, 'off', agentIds[i]); push((d.atMin + d.forMin) * 60_000, 'on', agentIds[i]); }
  }
  const servedBy = new Map<string, string>(); // conversation -> agent
  const finishSeq = new Map<string, number>(); // cancels stale finish events after a re-queue
  const waited = new Map<string, number>(); // total wait per customer (a re-queue adds a second wait)
  const roundStart = new Map<string, number>();
  const stats = new Map(s.queues.map((q) => [q.name, { arrived: 0, served: 0, abandoned: 0 }]));
  let busy = 0, slotTime = 0, last = 0, maxLoadExceeded = false;
  const end = s.durationMin * 60_000;

  const assign = (now: number) => {
    for (;;) {
      const next = queues.peek(now, (q) => pool.anyEligible(q));
      if (!next) return;
      const agent = pool.pick(next.queue)!;
      queues.take(next.id, queues.queueNames().filter((q) => queues.waiting(q).length > 0 && pool.anyEligible(q)));
      agent.active.add(next.id);
      if (agent.active.size > pool.capacity(agent)) maxLoadExceeded = true;
      agent.lastAssignedAt = now;
      servedBy.set(next.id, agent.agent.id);
      const c = byId.get(next.id)!;
      waited.set(c.id, (waited.get(c.id) ?? 0) + now - roundStart.get(c.id)!);
      roundStart.delete(c.id);
      finishSeq.set(next.id, push(now + c.handleMs, 'finish', next.id));
    }
  };

  while (heap.size) {
    const e = heap.pop();
    const now = e.t;
    // Utilization: occupied slots over online slots, integrated over time (within the scenario).
    const dt = Math.min(now, end) - Math.min(last, end);
    if (dt > 0) {
      for (const a of pool.all()) if (a.status === 'online') { slotTime += pool.capacity(a) * dt; busy += a.active.size * dt; }
    }
    last = now;
    switch (e.kind) {
      case 'arrive': {
        const c = byId.get(e.id)!;
        stats.get(c.queue)!.arrived++;
        queues.add({ id: c.id, queue: c.queue, priority: 0, queuedAt: c.at });
        roundStart.set(c.id, now);
        if (Number.isFinite(c.patienceMs)) push(now + c.patienceMs, 'abandon', c.id);
        break;
      }
      case 'abandon':
        if (queues.remove(e.id)) {
          stats.get(byId.get(e.id)!.queue)!.abandoned++;
          waited.set(e.id, (waited.get(e.id) ?? 0) + now - roundStart.get(e.id)!);
          roundStart.delete(e.id);
        }
        break;
      case 'finish': {
        if (finishSeq.get(e.id) !== e.seq) break; // cancelled by a dropout re-queue
        const agentId = servedBy.get(e.id);
        const a = agentId ? pool.get(agentId) : undefined;
        if (!a || !a.active.has(e.id)) break;
        a.active.delete(e.id);
        stats.get(byId.get(e.id)!.queue)!.served++;
        break;
      }
      case 'off': {
        const a = pool.get(e.id)!;
        a.status = 'offline';
        for (const id of a.active) {
          // Back to the head of its queue: its original arrival time keeps its place.
          const c = byId.get(id)!;
          queues.add({ id, queue: c.queue, priority: 0, queuedAt: c.at });
          roundStart.set(id, now);
          finishSeq.delete(id);
          dropped.push(id);
        }
        a.active.clear();
        break;
      }
      case 'on':
        pool.get(e.id)!.status = 'online';
        break;
    }
    assign(now);
  }
  // Conversations still waiting at the end count with their wait so far.
  for (const [id, start] of roundStart) waited.set(id, (waited.get(id) ?? 0) + Math.max(0, last - start));
  const waits = new Map<string, number[]>(s.queues.map((q) => [q.name, []]));
  for (const [id, w] of waited) waits.get(byId.get(id)!.queue)!.push(w);

  const pct = (xs: number[], p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.floor(p * xs.length))] : 0);
  return {
    strategy, utilization: slotTime ? busy / slotTime : 0, maxLoadExceeded,
    queues: s.queues.map((q) => {
      const w = waits.get(q.name)!.sort((a, b) => a - b);
      const st = stats.get(q.name)!;
      return { queue: q.name, arrived: st.arrived, served: st.served, abandoned: st.abandoned, p50: pct(w, 0.5) / 1000, p95: pct(w, 0.95) / 1000, max: (w[w.length - 1] ?? 0) / 1000 };
    }),
  };
}
