import type { Schedule } from '../routing/business-hours.js';

/**
 * Time arithmetic in a queue's business hours (the routing parser's model: days, ranges that
 * may wrap past midnight, one IANA time zone). Open time is walked as spans [from, to) of UTC
 * milliseconds, built one local calendar day at a time, so a clock crossing a night, a weekend
 * or a DST change costs a handful of Intl calls, not one per minute.
 */
export type Span = [from: number, to: number];

const MINUTE = 60_000;
/** A schedule that opens less than once a year never makes anything due. */
const SEARCH_DAYS = 370;

const formatters = new Map<string, Intl.DateTimeFormat>();
/** The zone's offset from UTC at `ms`, in ms, from Intl (minute precision: every zone in use is whole minutes). */
function intlOffset(ms: number, tz: string): number {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', { timeZone: tz, year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', hourCycle: 'h23' });
    formatters.set(tz, f);
  }
  const p: Record<string, string> = {};
  for (const x of f.formatToParts(ms)) p[x.type] = x.value;
  return Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute)) - Math.floor(ms / MINUTE) * MINUTE;
}

/**
 * Offsets are cached per quarter hour: zones change offset only on quarter-hour instants, and
 * Intl's formatToParts is most of the cost of a clock (each span needs a few offsets).
 */
const QUARTER = 15 * MINUTE;
const offsets = new Map<string, Map<number, number>>();
function offsetAt(ms: number, tz: string): number {
  let zone = offsets.get(tz);
  if (!zone) offsets.set(tz, (zone = new Map()));
  const q = Math.floor(ms / QUARTER);
  let o = zone.get(q);
  if (o === undefined) {
    if (zone.size > 100_000) zone.clear(); // years of quarter hours: a bound, not a working set
    zone.set(q, (o = intlOffset(q * QUARTER, tz)));
  }
  return o;
}

/** The local calendar date of `ms` in the zone, as UTC midnight of that date. */
function localDay(ms: number, tz: string): number {
  const local = ms + offsetAt(ms, tz);
  return local - (((local % 86_400_000) + 86_400_000) % 86_400_000);
}

/** Local wall time (a day as UTC midnight of its date, plus minutes) → UTC ms. Twice, so a DST change between guess and answer is seen. */
function toUtc(dayUtc: number, minute: number, tz: string): number {
  const wall = dayUtc + minute * MINUTE;
  const guess = wall - offsetAt(wall, tz);
  return wall - offsetAt(guess, tz);
}

/** Open spans of one local day, in local minutes, including the tail of yesterday's windows that wrap past midnight. */
function localSpans(s: Schedule, weekday: number): [number, number][] {
  const yesterday = (weekday + 6) % 7;
  const out: [number, number][] = [];
  for (const w of s.windows) {
    if (w.open < w.close) { if (w.days.has(weekday)) out.push([w.open, w.close]); continue; }
    if (w.open === w.close) continue; // empty, as routing's isOpen reads it
    if (w.days.has(weekday)) out.push([w.open, 24 * 60]);
    if (w.days.has(yesterday)) out.push([0, w.close]);
  }
  return out.sort((a, b) => a[0] - b[0]);
}

/** Open spans from `from` on, in order, merged where they touch (a window to 24:00 and the next day's from 00:00 are one span). */
export function* openSpans(s: Schedule, tz: string, from: number): Generator<Span> {
  if (s.always) { yield [from, Infinity]; return; }
  let day = localDay(from, tz);
  let pending: Span | undefined;
  let idle = 0;
  while (idle < SEARCH_DAYS) {
    const spans = localSpans(s, new Date(day).getUTCDay());
    if (spans.length === 0) idle++; else idle = 0;
    for (const [a, b] of spans) {
      const span: Span = [Math.max(from, toUtc(day, a, tz)), toUtc(day, b, tz)];
      if (span[1] <= span[0]) continue;
      // Merging stops at a week, so a schedule open around the clock still yields as it goes.
      if (pending && span[0] <= pending[1] && pending[1] - pending[0] < 7 * 86_400_000) { pending[1] = Math.max(pending[1], span[1]); continue; }
      if (pending) yield pending;
      pending = span;
    }
    day += 86_400_000;
  }
  if (pending) yield pending;
}

/** The instant at which `ms` of open time have passed since `from` (Infinity when the schedule never opens). */
export function addBusiness(s: Schedule, tz: string, from: number, ms: number): number {
  let left = ms;
  for (const [a, b] of openSpans(s, tz, from)) {
    if (left <= b - a) return a + left;
    left -= b - a;
  }
  return Infinity;
}

/** Open time between two instants (0 when `to` is not after `from`). */
export function businessBetween(s: Schedule, tz: string, from: number, to: number): number {
  if (to <= from) return 0;
  let sum = 0;
  for (const [a, b] of openSpans(s, tz, from)) {
    if (a >= to) break;
    sum += Math.min(b, to) - a;
  }
  return sum;
}

/** The open spans between two instants, clipped to them; at most `max` (the workspace counts down over them). */
export function spansBetween(s: Schedule, tz: string, from: number, to: number, max = 24): Span[] {
  const out: Span[] = [];
  if (to <= from) return out;
  for (const [a, b] of openSpans(s, tz, from)) {
    if (a >= to || out.length >= max) break;
    out.push([a, Math.min(b, to)]);
  }
  return out;
}
