import type { Conversation } from '../model/message.js';

const DAY = 86_400_000;
/** Days the totals cover, today included: the longest window the supervisor view shows. */
export const CSAT_DAYS = 7;
/** Conversations read back at start. The store lists oldest first: past this many in a week, the latest are missed until they change again (logged by the caller). */
export const RESTORE_LIMIT = 20_000;

export interface CsatRow {
  asked: number;
  answered: number;
  /** Mean rating of the answers in the window, one decimal; null without answers. */
  average: number | null;
  /** Share of the answers rating 4 or 5, in percent; null without answers. */
  csatPct: number | null;
  /** Share of the surveys asked in the window that have an answer, in percent; null when none was asked. */
  responsePct: number | null;
}
export interface CsatWindow { queues: ({ queue: string } & CsatRow)[]; agents: ({ agentId: string } & CsatRow)[] }
export interface CsatSummary { today: CsatWindow; week: CsatWindow }

interface Entry { queue: string; agentId: string; askedAt?: number; answeredAt?: number; rating?: number }
interface Acc { asked: number; askedAnswered: number; answered: number; sum: number; good: number }

/**
 * Running CSAT totals for the supervisor view, kept in memory: one small entry per surveyed
 * conversation of the last 7 days, fed by conversation changes (a survey asked, an answer) and
 * rebuilt at start from the store. "Today" starts at the gateway's local midnight; "7 days" is
 * today and the six days before. Answers count by `answeredAt`, surveys by `askedAt`, and the
 * response rate is the share of the window's surveys answered since. The summary is worked out
 * again only when an entry changed or the clock moved to another second.
 */
export class CsatTotals {
  private entries = new Map<string, Entry>();
  private version = 0;
  private cached?: { key: string; value: CsatSummary };

  constructor(private now: () => number = Date.now) {}

  /** A conversation as it changed; anything without an asked or answered survey is ignored. */
  notice(c: Conversation): void {
    const s = c.csat;
    if (!s || s.state === 'scheduled') {
      // Reopened before the survey was asked: it no longer counts.
      if (this.entries.delete(c.id)) this.version++;
      return;
    }
    const e: Entry = { queue: c.queue, agentId: c.assigneeId ?? '', askedAt: s.askedAt?.getTime(),
      answeredAt: s.state === 'answered' ? s.answeredAt?.getTime() : undefined, rating: s.state === 'answered' ? s.rating : undefined };
    const old = this.entries.get(c.id);
    if (old && old.queue === e.queue && old.agentId === e.agentId && old.askedAt === e.askedAt && old.answeredAt === e.answeredAt && old.rating === e.rating) return;
    // Transfers after the answer do not move the rating: the queue and agent it was given for stay.
    if (old?.answeredAt !== undefined && e.answeredAt !== undefined) { e.queue = old.queue; e.agentId = old.agentId; }
    this.entries.set(c.id, e);
    this.version++;
  }

  /**
   * Rebuilds the totals from the store: resolved conversations changed since the week began (a
   * survey asked or answered in it changed its conversation then), bounded; no index on survey
   * times, and no schema change for one view. Returns whether the bound was hit, so the caller can say so.
   */
  async restore(list: (q: { status: ['resolved']; updatedSince: Date; limit: number }) => Promise<Conversation[]>): Promise<boolean> {
    const week = this.weekStart();
    const convs = await list({ status: ['resolved'], updatedSince: new Date(week), limit: RESTORE_LIMIT });
    for (const c of convs) if (Math.max(c.csat?.askedAt?.getTime() ?? 0, c.csat?.answeredAt?.getTime() ?? 0) >= week) this.notice(c);
    return convs.length >= RESTORE_LIMIT;
  }

  /** Start of the 7-day window, for the caller's bounded read of the store. */
  weekStart(now = this.now()): number {
    return todayStart(now) - (CSAT_DAYS - 1) * DAY;
  }

  summary(): CsatSummary {
    const now = this.now();
    const key = `${this.version}:${Math.floor(now / 1000)}`;
    if (this.cached?.key === key) return this.cached.value;
    const today = todayStart(now);
    const week = this.weekStart(now);
    for (const [id, e] of this.entries) if (Math.max(e.askedAt ?? 0, e.answeredAt ?? 0) < week) this.entries.delete(id);
    const value = { today: this.window(today, now), week: this.window(week, now) };
    this.cached = { key, value };
    return value;
  }

  private window(from: number, to: number): CsatWindow {
    const queues = new Map<string, Acc>();
    const agents = new Map<string, Acc>();
    const inside = (t: number | undefined) => t !== undefined && t >= from && t <= to;
    for (const e of this.entries.values()) {
      const asked = inside(e.askedAt);
      const answered = inside(e.answeredAt) && e.rating !== undefined;
      if (!asked && !answered) continue;
      for (const acc of [take(queues, e.queue), take(agents, e.agentId)]) {
        if (asked) { acc.asked++; if (e.answeredAt !== undefined) acc.askedAnswered++; }
        if (answered) { acc.answered++; acc.sum += e.rating!; if (e.rating! >= 4) acc.good++; }
      }
    }
    const byName = <K extends string>(m: Map<string, Acc>, k: K) => [...m].sort(([a], [b]) => a.localeCompare(b))
      .map(([name, acc]) => ({ [k]: name, ...row(acc) }) as { [P in K]: string } & CsatRow);
    return { queues: byName(queues, 'queue'), agents: byName(agents, 'agentId') };
  }
}

function todayStart(now: number): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

function take(m: Map<string, Acc>, k: string): Acc {
  let a = m.get(k);
  if (!a) m.set(k, (a = { asked: 0, askedAnswered: 0, answered: 0, sum: 0, good: 0 }));
  return a;
}

function row(a: Acc): CsatRow {
  const pct = (n: number, d: number) => (d ? Math.round((n / d) * 100) : null);
  return { asked: a.asked, answered: a.answered, average: a.answered ? Math.round((a.sum / a.answered) * 10) / 10 : null,
    csatPct: pct(a.good, a.answered), responsePct: pct(a.askedAnswered, a.asked) };
}
