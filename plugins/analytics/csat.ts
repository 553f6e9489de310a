/** One group's satisfaction: how many conversations were rated, the mean, the share rating 4 or 5. */
export interface CsatGroup { key: string; rated: number; average: number; satisfied: number; dist: number[] }

export interface CsatSummary {
  rated: number;
  average: number;
  /** Share of ratings that are 4 or 5 (the usual "CSAT %"). */
  satisfied: number;
  byQueue: CsatGroup[];
  byChannel: CsatGroup[];
  byAgent: CsatGroup[];
  byIntent: CsatGroup[];
}

/** A rating from an export cell: 1–5, else none (older exports have the column empty). */
export function csatOf(v: unknown): number | undefined {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^[1-5]$/.test(v.trim()) ? Number(v) : NaN;
  return Number.isInteger(n) && n >= 1 && n <= 5 ? n : undefined;
}

/** Conversations' ratings grouped four ways; one small counter per group, so memory follows the number of groups. */
export class CsatTally {
  private groups = { queue: new Map<string, number[]>(), channel: new Map<string, number[]>(), agent: new Map<string, number[]>(), intent: new Map<string, number[]>() };
  private all = [0, 0, 0, 0, 0];

  add(rating: number, by: { queue: string; channel: string; agent: string; intent: string }): void {
    this.all[rating - 1]++;
    for (const k of ['queue', 'channel', 'agent', 'intent'] as const) {
      const key = by[k] || '(none)';
      const d = this.groups[k].get(key) ?? [0, 0, 0, 0, 0];
      d[rating - 1]++;
      this.groups[k].set(key, d);
    }
  }

  summary(): CsatSummary {
    const list = (m: Map<string, number[]>) => [...m].map(([key, d]) => group(key, d)).sort((a, b) => b.rated - a.rated || a.key.localeCompare(b.key));
    const total = group('', this.all);
    return { rated: total.rated, average: total.average, satisfied: total.satisfied,
      byQueue: list(this.groups.queue), byChannel: list(this.groups.channel), byAgent: list(this.groups.agent), byIntent: list(this.groups.intent) };
  }
}

function group(key: string, dist: number[]): CsatGroup {
  const rated = dist.reduce((a, b) => a + b, 0);
  const sum = dist.reduce((a, n, i) => a + n * (i + 1), 0);
  return { key, rated, average: rated ? Math.round((sum / rated) * 100) / 100 : 0, satisfied: rated ? (dist[3] + dist[4]) / rated : 0, dist: [...dist] };
}
