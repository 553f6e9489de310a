import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { KefuConfig } from '../../config/schema.js';
import type { ConversationBus } from '../bus/conversation-bus.js';
import type { Conversation, Message } from '../model/message.js';
import { parseHours } from '../routing/business-hours.js';
import { nextChange, slaClocks, slaView, type Hours, type TargetClock, type Turn, type SlaView } from './clock.js';
import { policyOf, TARGETS, type SlaPolicy, type TargetName } from './targets.js';
import { insertTurn, loadTurns, turnOf } from './timeline.js';
import type { Breach } from './notify.js';

interface Tracked {
  conv: Conversation;
  start: number;
  turns: Turn[];
  clocks?: TargetClock[];
  view?: SlaView;
  /** Until when `clocks` hold without an event (the earliest running due time). */
  validUntil: number;
  sig: string;
  /** Breaches already announced: target|startedAt. */
  announced: Set<string>;
}

export interface SlaMonitorEvents {
  /** A conversation's SLA view changed (a clock started, stopped, paused or fell due). */
  changed: [conversation: Conversation, view: SlaView | undefined];
  breached: [breach: Breach, conversation: Conversation];
}

export interface SlaMonitorOptions {
  bus: ConversationBus;
  config: () => KefuConfig;
  logger: Logger;
  now?: () => number;
  /** Announces a breach to integrators (the `sla.breached` webhook); errors are logged. */
  notify?: (breach: Breach, conv: Conversation, policy: SlaPolicy) => Promise<void>;
}

const OPEN = ['pending', 'bot', 'queued', 'assigned'] as const;
/** A long timer is re-armed at least hourly, so the wall clock and the timer cannot drift apart for days. */
const MAX_TIMER_MS = 3600_000;

/**
 * The SLA state of every open conversation, kept from the bus's events and rebuilt from the store
 * at start. One timer, for the earliest due time of all; when it fires (or check() is called,
 * as tests do after moving the clock) every clock that fell due is re-evaluated. A breach is
 * announced once per target and clock start: a `breached` event (the workspace), a raised
 * priority and the `sla.breached` webhook when the queue's on_breach asks for them.
 */
export class SlaMonitor extends EventEmitter<SlaMonitorEvents> {
  private tracked = new Map<string, Tracked>();
  private loading = new Map<string, Promise<Tracked | undefined>>();
  private policies = new Map<string, { policy: SlaPolicy; hours: Hours }>();
  private routingSeen?: KefuConfig['routing'];
  private timer?: NodeJS.Timeout;
  private timerAt = Infinity;
  private closed = false;
  private readonly now: () => number;

  constructor(private o: SlaMonitorOptions) {
    super();
    this.now = o.now ?? Date.now;
    o.bus.on('conversation', (conv, change) => this.guard(() => this.onConversation(conv, change)));
    o.bus.on('message', (m, conv) => this.guard(() => this.onMessage(m, conv)));
  }

  /** Listeners run in the bus's hot path: a failure here is logged, never thrown into it. */
  private guard(fn: () => void): void {
    try { fn(); } catch (err) { this.o.logger.error({ err }, 'sla monitor failed'); }
  }

  /** Loads the open conversations' timelines (after a restart), then evaluates them. */
  async restore(): Promise<void> {
    const open = await this.o.bus.store.listConversations({ status: [...OPEN], limit: 100_000 });
    for (const conv of open) if (!this.tracked.has(conv.id) && !this.loading.has(conv.id) && this.hasSla(conv)) await this.startLoad(conv);
    this.check();
  }

  /** Hot reload: new targets, hours or time zone apply to every open conversation now. */
  reconfigure(): void {
    this.routingSeen = undefined;
    for (const t of this.tracked.values()) t.validUntil = -Infinity;
    this.check();
    // A queue that just got targets: its open conversations were not tracked until now.
    void this.restore().catch((err) => this.o.logger.error({ err }, 'sla restore after reload failed'));
  }

  /**
   * Only conversations of queues with targets are tracked: the others cost the message path
   * nothing (no timeline, no evaluation). One moved into such a queue is read from the store.
   */
  private hasSla(conv: Conversation): boolean {
    return this.policyMap().has(conv.queue);
  }

  /** The conversation's SLA as the workspace shows it; undefined when its queue has no target. */
  view(conv: Conversation): SlaView | undefined {
    const t = this.tracked.get(conv.id);
    if (!t || conv.status === 'resolved') return undefined;
    if (t.validUntil <= this.now() || t.conv !== conv) { t.conv = conv; this.evaluate(t); }
    // Spans run from when they were computed; `at` is the server's time now, for the client's countdown.
    return t.view && { ...t.view, at: this.now() };
  }

  /** Re-evaluates every clock that may have fallen due, announces breaches, and re-arms the timer. */
  check(): void {
    const now = this.now();
    let next = Infinity;
    for (const t of this.tracked.values()) {
      if (t.validUntil <= now) this.evaluate(t);
      if (t.validUntil < next) next = t.validUntil;
    }
    this.arm(next, true);
  }

  /** Per queue and per agent: open conversations in breach now, and those that breached a target while open. */
  supervisor() {
    const queues = new Map<string, { queue: string; tracked: number; active: number; breached: number; byTarget: Record<TargetName, number> }>();
    const agents = new Map<string, { agentId: string; active: number; breached: number }>();
    for (const name of this.policyMap().keys()) queues.set(name, { queue: name, tracked: 0, active: 0, breached: 0, byTarget: zeroTargets() });
    for (const t of this.tracked.values()) {
      const q = queues.get(t.conv.queue);
      if (!q || !t.clocks) continue;
      const active = t.clocks.filter((c) => c.state === 'breached' && c.stoppedAt === undefined);
      const ever = active.length > 0 || t.announced.size > 0 || t.clocks.some((c) => c.state === 'breached');
      q.tracked++;
      if (active.length) q.active++;
      if (ever) q.breached++;
      for (const c of active) q.byTarget[c.target]++;
      const agentId = t.conv.assigneeId ?? '';
      if (!ever) continue;
      const a = agents.get(agentId) ?? { agentId, active: 0, breached: 0 };
      agents.set(agentId, a);
      if (active.length) a.active++;
      a.breached++;
    }
    return { queues: [...queues.values()], agents: [...agents.values()].sort((a, b) => b.active - a.active || b.breached - a.breached) };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.timerAt = Infinity;
  }

  private onConversation(conv: Conversation, change: string): void {
    if (change === 'created') {
      if (this.hasSla(conv)) this.track(conv, this.now(), []);
      return;
    }
    const t = this.tracked.get(conv.id);
    if (t) { t.conv = conv; this.evaluate(t); return; }
    if (conv.status !== 'resolved' && this.hasSla(conv) && !this.loading.has(conv.id)) this.startLoad(conv);
  }

  private onMessage(m: Message, conv: Conversation): void {
    if (m.editedAt) return; // an edit or deletion moves no clock
    const kind = turnOf(m);
    if (!kind) return;
    const turn: Turn = { seq: m.seq, at: this.now(), kind };
    const t = this.tracked.get(conv.id);
    if (t) return this.apply(t, conv, turn);
    if (!this.hasSla(conv)) return;
    // Resolved and now written to again (reopened), or created before this process knew it: read its past.
    if (conv.status === 'resolved' && kind !== 'customer') return;
    const pending = this.loading.get(conv.id) ?? this.startLoad(conv, m.seq);
    void pending.then((loaded) => { if (loaded) this.apply(loaded, conv, turn); });
  }

  private startLoad(conv: Conversation, reopenedAt?: number): Promise<Tracked | undefined> {
    const pending = this.load(conv, reopenedAt).catch((err) => { this.o.logger.error({ err, conversationId: conv.id }, 'sla timeline load failed'); return undefined; });
    this.loading.set(conv.id, pending);
    void pending.finally(() => this.loading.delete(conv.id));
    return pending;
  }

  private apply(t: Tracked, conv: Conversation, turn: Turn): void {
    t.conv = conv;
    // Already read from the store (the load saw it): it keeps the live time, which is the monitor's clock.
    const known = t.turns.find((x) => x.seq === turn.seq);
    if (known) known.at = turn.at; else insertTurn(t.turns, turn);
    this.evaluate(t);
    if (turn.kind === 'resolved') this.tracked.delete(conv.id); // a reopen reads it back from the store
  }

  /** `reopenedAt`: the seq of the message that brought a resolved conversation back. */
  private async load(conv: Conversation, reopenedAt?: number): Promise<Tracked> {
    const { turns } = await loadTurns(this.o.bus.store, conv.id);
    return this.tracked.get(conv.id) ?? this.track(conv, conv.createdAt.getTime(), turns, reopenedAt ?? true);
  }

  /**
   * `past`: a timeline read from the store. At a restart (true), what it settled before (a reply
   * that came late) is history and not announced, while a breach still open is announced again
   * (at least once: announced breaches are not stored). At a reopening (the seq of the new
   * message), every breach of its earlier life is history: it was announced while it was open.
   */
  private track(conv: Conversation, start: number, turns: Turn[], past: boolean | number = false): Tracked {
    const t: Tracked = { conv, start, turns, validUntil: -Infinity, sig: '', announced: new Set() };
    this.tracked.set(conv.id, t);
    const p = past !== false ? this.policyMap().get(conv.queue) : undefined;
    if (p) {
      const before = typeof past === 'number' ? turns.filter((x) => x.seq < past) : turns;
      for (const c of slaClocks({ start, turns: before }, p.policy, p.hours, this.now())) {
        if (c.state === 'breached' && (typeof past === 'number' || c.stoppedAt !== undefined)) t.announced.add(key(c));
      }
    }
    this.evaluate(t);
    return t;
  }

  private policyMap(): Map<string, { policy: SlaPolicy; hours: Hours }> {
    const routing = this.o.config().routing;
    if (routing !== this.routingSeen) {
      this.routingSeen = routing;
      this.policies = new Map();
      for (const q of routing.queues) {
        const policy = policyOf(q.sla);
        if (policy) this.policies.set(q.name, { policy, hours: { schedule: parseHours(q.hours), tz: routing.timezone } });
      }
    }
    return this.policies;
  }

  private evaluate(t: Tracked): void {
    const now = this.now();
    const p = this.policyMap().get(t.conv.queue);
    t.clocks = p ? slaClocks({ start: t.start, turns: t.turns }, p.policy, p.hours, now) : undefined;
    t.view = p && t.clocks ? slaView(t.clocks, p.hours, now) : undefined;
    t.validUntil = t.clocks ? nextChange(t.clocks) : Infinity;
    for (const c of t.clocks ?? []) {
      // A late reply that came before the timer fired is still a breach, once.
      if (c.state !== 'breached' || t.announced.has(key(c)) || (c.stoppedAt !== undefined && c.stoppedAt <= c.dueAt!)) continue;
      t.announced.add(key(c));
      this.breach(t, c, p!.policy);
    }
    const sig = JSON.stringify(t.clocks?.map((c) => [c.target, c.state, c.dueAt, c.stoppedAt, c.state === 'paused' ? c.leftMs : 0]) ?? null);
    if (sig !== t.sig) {
      t.sig = sig;
      this.emit('changed', t.conv, t.view && { ...t.view });
    }
    this.arm(t.validUntil);
  }

  private breach(t: Tracked, c: TargetClock, policy: SlaPolicy): void {
    const conv = t.conv;
    const b: Breach = { conversationId: conv.id, queue: conv.queue, target: c.target, startedAt: c.startedAt, dueAt: c.dueAt!, agentId: conv.assigneeId };
    this.o.logger.info({ conversationId: conv.id, queue: conv.queue, target: c.target, dueAt: new Date(c.dueAt!).toISOString() }, 'sla breached');
    this.emit('breached', b, conv);
    if (policy.onBreach.has('raise_priority') && conv.priority < policy.raiseTo) {
      this.o.bus.updateConversation(conv, { priority: policy.raiseTo }, 'updated')
        .catch((err) => this.o.logger.error({ err, conversationId: conv.id }, 'sla priority raise failed'));
    }
    if (policy.onBreach.has('notify') && this.o.notify) {
      this.o.notify(b, conv, policy).catch((err) => this.o.logger.error({ err, conversationId: conv.id }, 'sla breach notification failed'));
    }
  }

  /** One timer for the earliest due time; `reset` after a full check, when the earliest may have moved later. */
  private arm(at: number, reset = false): void {
    if (this.closed || (!reset && at >= this.timerAt)) return;
    clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = undefined;
    if (!Number.isFinite(at)) return;
    const delay = Math.min(Math.max(0, at - this.now()), MAX_TIMER_MS);
    this.timer = setTimeout(() => { this.timerAt = Infinity; this.guard(() => this.check()); }, delay);
    this.timer.unref();
  }
}

const key = (c: TargetClock) => `${c.target}|${c.startedAt}`;
const zeroTargets = () => Object.fromEntries(TARGETS.map((t) => [t, 0])) as Record<TargetName, number>;
