/**
 * Which waiting conversation gets the next free agent slot. Pure and synchronous, so the
 * gateway (core/routing/assigner.ts) and the simulator (core/routing/simulator.ts) run the
 * very same code.
 *
 * Strategies:
 * - fifo: one line across all queues, oldest first.
 * - priority: strict; the most urgent non-empty queue first, oldest first within it.
 * - weighted (ours): at peak, freed capacity goes to queues in proportion to their weights
 *   (smooth weighted round-robin, deterministic), so urgent queues get most of it without
 *   starving the rest; and aging: any conversation past `aging` × its queue's max_wait is
 *   served first, most overdue first, which bounds every queue's wait.
 * Within a queue: higher conversation priority first (e.g. raised after repeated requests for a
 * human), then the earliest queuedAt (a re-queued conversation keeps its place at the head).
 */
export type Strategy = 'weighted' | 'priority' | 'fifo';

export interface QueueSpec {
  name: string;
  priority: number;
  weight: number;
  maxWaitMs: number;
}

export interface Waiting {
  id: string;
  queue: string;
  /** Conversation priority within its queue (default 0). */
  priority: number;
  /** ms since epoch; the order within a queue. */
  queuedAt: number;
}

export class PriorityQueues {
  private specs = new Map<string, QueueSpec>();
  private lines = new Map<string, Waiting[]>();
  private index = new Map<string, Waiting>();
  private credit = new Map<string, number>();

  constructor(specs: QueueSpec[], private strategy: Strategy = 'weighted', private aging = 0.8, private fallback?: string) {
    this.configure(specs, strategy, aging, fallback);
  }

  /** Hot reload: new queue settings apply to everything already waiting; nothing is dropped. */
  configure(specs: QueueSpec[], strategy: Strategy, aging: number, fallback = specs[0]?.name): void {
    this.specs = new Map(specs.map((s) => [s.name, s]));
    this.strategy = strategy;
    this.aging = aging;
    this.fallback = fallback;
    const all = [...this.index.values()];
    this.lines = new Map(specs.map((s) => [s.name, []]));
    this.index.clear();
    for (const s of specs) if (!this.credit.has(s.name)) this.credit.set(s.name, 0);
    for (const w of all) this.add(w);
  }

  queueNames(): string[] { return [...this.specs.keys()]; }
  spec(name: string): QueueSpec | undefined { return this.specs.get(name); }
  has(id: string): boolean { return this.index.has(id); }
  get size(): number { return this.index.size; }
  waiting(queue: string): readonly Waiting[] { return this.lines.get(queue) ?? []; }
  all(): Waiting[] { return [...this.index.values()]; }

  /** Adds or re-positions; a conversation for an unknown queue waits in the fallback queue. */
  add(w: Waiting): string {
    this.remove(w.id);
    const queue = this.lines.has(w.queue) ? w.queue : this.fallback!;
    const item = { ...w, queue };
    const line = this.lines.get(queue)!;
    let i = line.length;
    while (i > 0 && before(item, line[i - 1])) i--;
    line.splice(i, 0, item);
    this.index.set(item.id, item);
    return queue;
  }

  remove(id: string): Waiting | undefined {
    const w = this.index.get(id);
    if (!w) return undefined;
    const line = this.lines.get(w.queue)!;
    line.splice(line.indexOf(w), 1);
    this.index.delete(id);
    return w;
  }

  /** 1-based position within its queue, and how many wait in that queue. */
  position(id: string): { position: number; of: number } | undefined {
    const w = this.index.get(id);
    if (!w) return undefined;
    const line = this.lines.get(w.queue)!;
    return { position: line.indexOf(w) + 1, of: line.length };
  }

  /**
   * The conversation to serve next among queues that `eligible(queue)` accepts (open, and some
   * agent has room for it). Does not remove it: call take() once it is assigned.
   */
  peek(now: number, eligible: (queue: string) => boolean): Waiting | undefined {
    const heads: Waiting[] = [];
    for (const [name, line] of this.lines) if (line.length && eligible(name)) heads.push(line[0]);
    if (heads.length === 0) return undefined;
    if (this.strategy === 'fifo') {
      // One line: the oldest waiting conversation across queues the agent pool can serve.
      let best: Waiting | undefined;
      for (const [name, line] of this.lines) {
        if (!eligible(name)) continue;
        for (const w of line) if (!best || w.queuedAt < best.queuedAt) best = w;
      }
      return best;
    }
    if (this.strategy === 'priority') {
      return heads.reduce((a, b) => (this.specs.get(b.queue)!.priority > this.specs.get(a.queue)!.priority ? b : a));
    }
    // Aging first: the most overdue head past the threshold.
    let overdue: Waiting | undefined;
    let worst = this.aging;
    for (const h of heads) {
      const ratio = (now - h.queuedAt) / this.specs.get(h.queue)!.maxWaitMs;
      if (ratio >= worst) { worst = ratio; overdue = h; }
    }
    if (overdue) return overdue;
    // Smooth weighted round-robin over the eligible non-empty queues (credit is settled in take()).
    let best: Waiting | undefined;
    let bestScore = -Infinity;
    for (const h of heads) {
      const s = this.specs.get(h.queue)!;
      const score = this.credit.get(h.queue)! + s.weight;
      if (score > bestScore || (score === bestScore && s.priority > this.specs.get(best!.queue)!.priority)) { bestScore = score; best = h; }
    }
    return best;
  }

  /** Removes an assigned conversation and settles the round-robin credits of that round. */
  take(id: string, eligibleQueues?: string[]): Waiting | undefined {
    const w = this.remove(id);
    if (!w || this.strategy !== 'weighted') return w;
    const competing = eligibleQueues ?? [...this.lines.keys()].filter((q) => this.lines.get(q)!.length > 0 || q === w.queue);
    let total = 0;
    for (const q of competing) {
      const weight = this.specs.get(q)?.weight ?? 0;
      this.credit.set(q, (this.credit.get(q) ?? 0) + weight);
      total += weight;
    }
    this.credit.set(w.queue, this.credit.get(w.queue)! - total);
    return w;
  }
}

function before(a: Waiting, b: Waiting): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.queuedAt < b.queuedAt;
}
