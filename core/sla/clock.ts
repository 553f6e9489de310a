import type { Schedule } from '../routing/business-hours.js';
import { addBusiness, businessBetween, spansBetween, type Span } from './business-time.js';
import type { SlaPolicy, TargetName } from './targets.js';

/**
 * SLA clocks as pure functions of a conversation's timeline, its queue's hours and targets, and
 * "now" (so tests move time by passing another number).
 *
 * - first_response: from the conversation's start to the first public agent or bot reply.
 * - next_response: from the first customer message after a reply to the next reply; while the
 *   conversation waits on the customer there is no cycle ("paused").
 * - resolution: open time spent waiting on the agent, from the start until resolved; paused while
 *   waiting on the customer; a reopened conversation continues its clock (resolving and reopening
 *   must not reset it).
 * Time counts only while the queue is open. A resolution stops every clock.
 */
export type TurnKind = 'customer' | 'reply' | 'resolved';
/** A public message that moves the clocks: the customer's, an agent's or bot's reply, or the resolution. */
export interface Turn { seq: number; at: number; kind: TurnKind }
/** `turns` in seq order (the order the conversation had), not necessarily the order events arrived. */
export interface Timeline { start: number; turns: readonly Turn[] }
export interface Hours { schedule: Schedule; tz: string }

export type TargetState = 'running' | 'paused' | 'met' | 'breached';
export interface TargetClock {
  target: TargetName;
  state: TargetState;
  /** Identifies this clock (the cycle, for next_response): one breach per target and start. */
  startedAt: number;
  /** When it is or was due; for a paused resolution, absent (nothing is counting). */
  dueAt?: number;
  /** Open time left at `now` (running and paused). */
  leftMs?: number;
  /** When a reply or the resolution stopped it. */
  stoppedAt?: number;
}

interface Walk {
  waiting: 'agent' | 'customer' | 'resolved';
  firstStop?: number;
  replied: boolean;
  cycle?: number;
  lastCycle?: { start: number; stop: number };
  /** Resolution: open time spent before the current agent-waiting period began at `periodStart`. */
  spent: number;
  periodStart: number;
  /** When the resolution target was crossed, if it was. */
  crossedAt?: number;
  resolvedAt?: number;
}

/** The clocks of one conversation at `now`, one per configured target. */
export function slaClocks(t: Timeline, policy: SlaPolicy, hours: Hours, now: number): TargetClock[] {
  const { schedule: s, tz } = hours;
  const limit = policy.targets.resolution ?? Infinity;
  const w: Walk = { waiting: 'agent', replied: false, spent: 0, periodStart: t.start };
  const endPeriod = (at: number) => {
    const used = businessBetween(s, tz, w.periodStart, at);
    if (w.crossedAt === undefined && w.spent + used >= limit) w.crossedAt = addBusiness(s, tz, w.periodStart, limit - w.spent);
    w.spent += used;
  };
  let last = t.start;
  for (const turn of t.turns) {
    const at = (last = Math.max(last, turn.at)); // clocks never run backwards
    if (turn.kind === 'customer') {
      if (w.waiting === 'agent') continue;
      w.waiting = 'agent';
      w.periodStart = at;
      w.cycle = at;
    } else if (w.waiting === 'agent') {
      endPeriod(at);
      if (w.firstStop === undefined) w.firstStop = at;
      if (w.cycle !== undefined) { w.lastCycle = { start: w.cycle, stop: at }; w.cycle = undefined; }
      if (turn.kind === 'reply') w.replied = true;
      w.waiting = turn.kind === 'reply' ? 'customer' : 'resolved';
      if (turn.kind === 'resolved') w.resolvedAt = at;
    } else if (turn.kind === 'resolved' && w.waiting !== 'resolved') {
      w.waiting = 'resolved';
      w.resolvedAt = at;
    }
  }

  const out: TargetClock[] = [];
  const T = policy.targets;
  const running = (target: TargetName, startedAt: number, dueAt: number): TargetClock => now >= dueAt
    ? { target, state: 'breached', startedAt, dueAt }
    : { target, state: 'running', startedAt, dueAt, leftMs: businessBetween(s, tz, now, dueAt) };
  const settled = (target: TargetName, startedAt: number, dueAt: number, stoppedAt: number): TargetClock =>
    ({ target, state: stoppedAt <= dueAt ? 'met' : 'breached', startedAt, dueAt, stoppedAt });

  if (T.first_response !== undefined) {
    const due = addBusiness(s, tz, t.start, T.first_response);
    out.push(w.firstStop !== undefined ? settled('first_response', t.start, due, w.firstStop) : running('first_response', t.start, due));
  }
  if (T.next_response !== undefined && (w.replied || w.cycle !== undefined)) {
    if (w.cycle !== undefined) out.push(running('next_response', w.cycle, addBusiness(s, tz, w.cycle, T.next_response)));
    else if (w.waiting === 'customer') out.push({ target: 'next_response', state: 'paused', startedAt: w.lastCycle?.stop ?? t.start, leftMs: T.next_response });
    else if (w.lastCycle) out.push(settled('next_response', w.lastCycle.start, addBusiness(s, tz, w.lastCycle.start, T.next_response), w.lastCycle.stop));
  }
  if (T.resolution !== undefined) {
    const target = 'resolution';
    if (w.crossedAt !== undefined) out.push({ target, state: 'breached', startedAt: t.start, dueAt: w.crossedAt, stoppedAt: w.waiting === 'resolved' ? w.resolvedAt : undefined });
    else if (w.waiting === 'resolved') out.push({ target, state: 'met', startedAt: t.start, stoppedAt: w.resolvedAt });
    else if (w.waiting === 'customer') out.push({ target, state: 'paused', startedAt: t.start, leftMs: limit - w.spent });
    else out.push(running(target, t.start, addBusiness(s, tz, w.periodStart, limit - w.spent)));
  }
  return out;
}

/** What the workspace gets: the clocks plus, for running ones, the open spans until due, so it can count down between updates without the schedule. */
export interface SlaView { at: number; targets: (TargetClock & { spans?: Span[] })[] }

export function slaView(clocks: TargetClock[], hours: Hours, now: number): SlaView {
  return { at: now, targets: clocks.map((c) => c.state === 'running' && c.dueAt !== undefined && Number.isFinite(c.dueAt)
    ? { ...c, spans: spansBetween(hours.schedule, hours.tz, now, c.dueAt) } : c) };
}

/** The earliest instant at which one of these clocks changes by itself (a running one falls due). */
export function nextChange(clocks: TargetClock[]): number {
  let next = Infinity;
  for (const c of clocks) if (c.state === 'running' && c.dueAt! < next) next = c.dueAt!;
  return next;
}
