import type { Logger } from 'pino';
import { KefuError } from '../errors.js';
import type { Conversation, Participant } from '../model/message.js';
import type { ConversationBus } from '../bus/conversation-bus.js';
import type { ConversationChange } from '../bus/events.js';
import type { KefuConfig } from '../../config/schema.js';
import type { AgentRecord } from '../store/store.js';
import { AgentPool, type AgentState, type AgentStatus } from './agent-pool.js';
import { PriorityQueues, type QueueSpec } from './priority-queues.js';
import { isOpen, parseHours, type Schedule } from './business-hours.js';

export interface QueueStatus { queue: string; position: number; of: number; etaSeconds: number; open: boolean }

export interface AssignerOptions {
  bus: ConversationBus;
  pool: AgentPool;
  logger: Logger;
  routing: () => KefuConfig['routing'];
  /** Tells a waiting customer their place in line (the channel shows it when it can). */
  onQueueStatus?: (conv: Conversation, status: QueueStatus) => void;
  now?: () => number;
  /** Cluster mode (core/routing/shared-routing.ts): every change of hands is checked against the shared store under a cluster lock. */
  shared?: SharedAssignment;
}

export interface SharedAssignment {
  exclusive<T>(fn: () => Promise<T>): Promise<T>;
  /** The conversation as the shared store has it now (not this node's cached copy). */
  reread(id: string): Promise<Conversation | undefined>;
  /** This node's presence changed (an agent's socket came, went, or their status was set here). */
  presenceChanged(): void;
}

const SYSTEM: Participant = { id: 'system', role: 'system', name: 'kefu' };
const TICK_MS = 1000;
const RETURN_COOL_OFF_MS = 60_000;

/**
 * Moves conversations between waiting and agents. Queue choice is PriorityQueues (shared with
 * the simulator); agent choice is AgentPool.pick. Every state change goes through the bus
 * (stored, then announced); assignment never exceeds an agent's capacity.
 */
export class Assigner {
  readonly queues: PriorityQueues;
  private convs = new Map<string, Conversation>();
  private schedules = new Map<string, Schedule>();
  private graceTimers = new Map<string, NodeJS.Timeout>();
  private answerTimers = new Map<string, NodeJS.Timeout>();
  private lastStatus = new Map<string, string>();
  private closedNotified = new Set<string>();
  private avgHandleMs = 180_000;
  private assignedAt = new Map<string, number>();
  private returnedBy = new Map<string, { agentId: string; until: number }>();
  private running = false;
  /** Only one node assigns automatically (the holder of the 'assigner' lease); the others keep the same queues. */
  private leading = true;
  private again = false;
  private ticker: NodeJS.Timeout;
  private now: () => number;

  constructor(private opts: AssignerOptions) {
    this.now = opts.now ?? Date.now;
    this.queues = new PriorityQueues([], 'weighted');
    this.reconfigure();
    opts.bus.on('conversation', (conv, change) => {
      if (change === 'queued') this.enqueue(conv);
      if (change === 'updated') this.reprioritize(conv);
    });
    const onMessage = (m: { from: Participant; direction: string }, conv: Conversation) => {
      if (m.from.role === 'agent' && m.direction === 'outbound') this.answered(conv.id);
    };
    opts.bus.on('message', onMessage);
    // An agent on another node answering ends this node's answer timer too.
    opts.bus.on('remote:message', onMessage);
    // Aging thresholds and opening hours pass with time, not only with events.
    this.ticker = setInterval(() => { if (this.queues.size > 0) this.schedule(); }, TICK_MS);
    this.ticker.unref();
  }

  /** Applies [routing] (at start and on hot reload) without losing a waiting conversation. */
  reconfigure(): void {
    const r = this.opts.routing();
    const specs: QueueSpec[] = r.queues.map((q) => ({ name: q.name, priority: q.priority, weight: q.weight, maxWaitMs: q.max_wait_s * 1000 }));
    this.schedules = new Map(r.queues.map((q) => [q.name, parseHours(q.hours)]));
    this.queues.configure(specs, r.strategy, r.aging, r.default_queue);
    for (const w of this.queues.all()) { const c = this.convs.get(w.id); if (c) c.queue = w.queue; }
    this.schedule();
  }

  /** Cluster mode: becomes (or stops being) the node that assigns; the new one starts from the store. */
  async setLeading(on: boolean): Promise<void> {
    this.leading = on;
    if (on) await this.reload();
  }

  /** Forgets the queues and loads and reads them again from the store (a new leader, a resync after missed events). */
  async reload(): Promise<void> {
    for (const w of this.queues.all()) this.queues.remove(w.id);
    for (const s of this.opts.pool.all()) s.active.clear();
    this.convs.clear();
    await this.restore();
    // Agents who left every node while another node was assigning (or none was) still hold conversations.
    if (this.leading && this.opts.shared) {
      for (const s of this.opts.pool.all()) if (s.active.size > 0 && this.opts.pool.status(s) === 'offline') this.offlineElsewhere(s);
    }
    this.schedule();
  }

  /** Loads waiting and assigned conversations from the store after a restart. */
  async restore(): Promise<void> {
    for (const a of await this.opts.bus.store.listAgents()) this.opts.pool.upsert(a);
    for (const c of await this.opts.bus.store.listConversations({ status: ['queued', 'assigned'], limit: 100_000 })) {
      if (c.status === 'assigned' && c.assigneeId) this.opts.pool.get(c.assigneeId)?.active.add(c.id);
      else this.enqueue(c, true);
    }
  }

  isOpen(queue: string, at = this.now()): boolean {
    const s = this.schedules.get(queue);
    return !s || isOpen(s, at, this.opts.routing().timezone);
  }

  waitingCount(): number { return this.queues.size; }

  /** `remote`: another node's copy; the assigner reads this node's own (the store's) when it needs one. */
  private enqueue(conv: Conversation, silent = false, remote = false, kick = true): void {
    if (this.queues.has(conv.id)) this.queues.remove(conv.id);
    if (!remote) this.convs.set(conv.id, conv);
    conv.queue = this.queues.add({ id: conv.id, queue: conv.queue, priority: conv.priority, queuedAt: (conv.queuedAt ?? conv.createdAt).getTime() });
    if (!silent && !this.isOpen(conv.queue) && !this.closedNotified.has(conv.id)) {
      this.closedNotified.add(conv.id);
      const q = this.opts.routing().queues.find((x) => x.name === conv.queue);
      const text = (q?.closed_notice ?? 'We are closed right now.').replace('{hours}', q?.hours ?? '');
      void this.opts.bus.send({ conversationId: conv.id, from: SYSTEM, content: { kind: 'event', event: 'notice', text } })
        .catch((err) => this.opts.logger.warn({ err }, 'closed notice failed'));
    }
    if (kick) this.schedule();
  }

  /** A waiting conversation whose priority was raised (an SLA breach) moves up its line now, not at its next queueing. */
  private reprioritize(conv: Conversation): void {
    const w = this.queues.has(conv.id) ? this.queues.remove(conv.id)! : undefined;
    if (!w) return;
    this.queues.add({ ...w, priority: conv.priority });
    if (w.priority !== conv.priority) this.schedule();
  }

  /**
   * Cluster mode: another node changed `conv` (its event, already in this node's store cache).
   * The queues and loads here follow; nothing is announced, the other node did that.
   */
  track(conv: Conversation, change: ConversationChange): void {
    if (change === 'updated') return this.reprioritize(conv);
    if (change === 'created') return;
    for (const s of this.opts.pool.all()) s.active.delete(conv.id);
    this.answered(conv.id);
    if (conv.status !== 'queued') this.forget(conv.id);
    if (conv.status === 'resolved') this.handled(conv.id);
    if (conv.status === 'queued') return this.enqueue(conv, true, true);
    this.queues.remove(conv.id);
    this.convs.delete(conv.id);
    this.lastStatus.delete(conv.id);
    if (conv.status === 'assigned' && conv.assigneeId) this.opts.pool.get(conv.assigneeId)?.active.add(conv.id);
    this.schedule();
  }

  /** Runs assignment until nothing more fits; coalesces concurrent triggers. */
  schedule(): void {
    if (this.running) { this.again = true; return; }
    this.running = true;
    void this.assignAll().catch((err) => this.opts.logger.error({ err }, 'assignment failed')).finally(() => {
      this.running = false;
      if (this.again) { this.again = false; this.schedule(); } else this.publishPositions();
    });
  }

  private async assignAll(): Promise<void> {
    const { pool } = this.opts;
    for (;;) {
      // Checked each round: the lease may go while a pass runs (the lock keeps it safe; this keeps it exact).
      if (!this.leading) return;
      const now = this.now();
      const eligible = (q: string) => this.isOpen(q, now) && pool.anyEligible(q);
      const next = this.queues.peek(now, eligible);
      if (!next) return;
      const back = this.returnedBy.get(next.id);
      const skip = back && back.until > now ? back.agentId : undefined;
      const agent = pool.pick(next.queue, skip);
      // Only the agent who just gave it back has room: it waits (the tick retries) rather than bouncing.
      if (!agent) return;
      this.returnedBy.delete(next.id);
      const competing = this.queues.queueNames().filter((q) => this.queues.waiting(q).length > 0 && eligible(q));
      this.queues.take(next.id, competing);
      const conv = await this.waitingCopy(next.id);
      this.convs.delete(next.id);
      if (!conv || conv.status !== 'queued') continue;
      let why: Awaited<ReturnType<Assigner['guarded']>>;
      try {
        why = await this.guarded(conv, agent, () => this.handTo(conv, agent, 'assigned'));
      } catch (err) {
        // No lock (Redis away) or the store failed: it stays in line and the next tick (not this
        // pass, which would spin while Redis refuses at once) tries again.
        this.enqueue(conv, true, false, false);
        throw err;
      }
      // Full by the shared count (another node's assignment not yet heard of): back in line.
      if (why === 'full') this.enqueue(conv, true);
    }
  }

  /**
   * The conversation to assign. In cluster mode this node's copy may be stale (an event not yet
   * heard of): one that does not look queued is read again from the shared store before it is
   * dropped from the line.
   */
  private async waitingCopy(id: string): Promise<Conversation | undefined> {
    const conv = this.convs.get(id) ?? await this.opts.bus.store.getConversation(id);
    const shared = this.opts.shared;
    if (!shared || !conv || conv.status === 'queued') return conv;
    const now = await shared.reread(id);
    if (now?.status !== 'queued') return conv;
    this.opts.bus.store.refreshed?.(now);
    conv.status = 'queued';
    conv.assigneeId = undefined;
    return conv;
  }

  /**
   * Cluster mode: runs a change of hands under the cluster lock, only if the shared store still
   * has the conversation as this node saw it (status and assignee) and, when `agent` is given,
   * the agent has room by the shared store's count. Another node may have just assigned it, or
   * filled the agent, and its event may not have arrived yet. Returns the reason it did not run.
   */
  private async guarded(conv: Conversation, agent: AgentState | undefined, fn: () => Promise<void>): Promise<'moved' | 'full' | undefined> {
    const shared = this.opts.shared;
    if (!shared) { await fn(); return undefined; }
    // As the caller saw it: another change on this node may run first, while this one waits for the lock.
    const seen = { status: conv.status, assigneeId: conv.assigneeId ?? undefined };
    return shared.exclusive(async () => {
      const now = await shared.reread(conv.id);
      if (!now || now.status !== seen.status || (now.assigneeId ?? undefined) !== seen.assigneeId || conv.status !== seen.status) {
        if (now) {
          this.opts.bus.store.refreshed?.(now);
          conv.status = now.status;
          conv.assigneeId = now.assigneeId ?? undefined;
          this.track(conv, now.status === 'queued' ? 'queued' : 'assigned');
        }
        return 'moved';
      }
      if (agent && agent.agent.id !== conv.assigneeId) {
        const cap = this.opts.pool.capacity(agent);
        const held = await this.opts.bus.store.listConversations({ status: ['assigned'], assigneeId: agent.agent.id, limit: cap + 1 });
        if (held.filter((c) => c.id !== conv.id).length >= cap) {
          for (const c of held) agent.active.add(c.id);
          return 'full';
        }
      }
      await fn();
      return undefined;
    });
  }

  private async assign(conv: Conversation, agent: AgentState, change: 'assigned' | 'transferred'): Promise<void> {
    const why = await this.guarded(conv, agent, () => this.handTo(conv, agent, change));
    // Another node gave it to this very agent first (the assigning node, as they claimed it): done.
    if (why === 'moved' && conv.status === 'assigned' && conv.assigneeId === agent.agent.id) return;
    if (why === 'moved') throw new KefuError('invalid_state', 'Another agent or node changed this conversation first.');
    if (why === 'full') throw new KefuError('agent_at_capacity');
  }

  private async handTo(conv: Conversation, agent: AgentState, change: 'assigned' | 'transferred'): Promise<void> {
    const prev = conv.assigneeId ? this.opts.pool.get(conv.assigneeId) : undefined;
    prev?.active.delete(conv.id);
    agent.active.add(conv.id);
    agent.lastAssignedAt = this.now();
    this.queues.remove(conv.id);
    this.convs.delete(conv.id);
    this.lastStatus.delete(conv.id);
    this.closedNotified.delete(conv.id);
    this.assignedAt.set(conv.id, this.now());
    await this.opts.bus.updateConversation(conv, { status: 'assigned', assigneeId: agent.agent.id, queuedAt: undefined }, change);
    this.armAnswerTimer(conv, agent.agent.id);
    await this.opts.bus.send({
      conversationId: conv.id, from: SYSTEM,
      content: { kind: 'event', event: 'assigned', refId: agent.agent.id, text: `${agent.agent.name} joined the conversation` },
    });
  }

  /** An assigned conversation the agent does not answer in time goes back to the head of its queue. */
  private armAnswerTimer(conv: Conversation, agentId: string): void {
    clearTimeout(this.answerTimers.get(conv.id));
    const s = this.opts.routing().answer_timeout_s;
    if (s <= 0) return;
    const t = setTimeout(() => {
      this.answerTimers.delete(conv.id);
      if (conv.status !== 'assigned' || conv.assigneeId !== agentId) return;
      this.opts.logger.info({ conversationId: conv.id, agentId }, 'no answer in time; agent set away, conversations re-queued');
      // Away stops the conversation bouncing back to them and re-queues what they hold.
      if (this.opts.pool.get(agentId)?.status === 'online') this.setStatus(agentId, 'away');
      else this.requeue(conv).catch((err) => this.opts.logger.error({ err, conversationId: conv.id }, 're-queue after no answer failed'));
    }, s * 1000);
    t.unref();
    this.answerTimers.set(conv.id, t);
  }

  private answered(conversationId: string): void {
    clearTimeout(this.answerTimers.get(conversationId));
    this.answerTimers.delete(conversationId);
  }

  /** Manual pick from the queue by an agent (any waiting conversation it has room for). */
  async claim(conv: Conversation, agentId: string): Promise<void> {
    const agent = this.requireAgent(agentId);
    if (conv.status === 'assigned' && conv.assigneeId === agentId) return;
    if (conv.status === 'assigned') throw new KefuError('invalid_state', 'Already assigned to another agent.');
    if (!this.opts.pool.hasRoom(agent)) throw new KefuError('agent_at_capacity');
    await this.assign(conv, agent, 'assigned');
  }

  /** Transfer to an agent (`agent:<id>` or a bare id) or to a queue (`queue:<name>`). */
  async transfer(conv: Conversation, target: string): Promise<void> {
    if (conv.status === 'resolved') throw new KefuError('invalid_state', 'The conversation is resolved.');
    if (target.startsWith('queue:')) {
      const queue = target.slice(6);
      if (!this.queues.spec(queue)) throw new KefuError('validation_failed', `No queue "${queue}".`);
      const why = await this.guarded(conv, undefined, async () => {
        if (conv.assigneeId) this.opts.pool.get(conv.assigneeId)?.active.delete(conv.id);
        this.answered(conv.id);
        await this.opts.bus.updateConversation(conv, { status: 'queued', queue, assigneeId: undefined, queuedAt: new Date(this.now()) }, 'queued');
      });
      if (why) throw new KefuError('invalid_state', 'Another agent or node changed this conversation first.');
      return;
    }
    const agentId = target.replace(/^agent:/, '');
    const agent = this.requireAgent(agentId);
    if (conv.assigneeId === agentId) return;
    if (this.opts.pool.status(agent) !== 'online') throw new KefuError('invalid_state', `${agent.agent.name} is not online.`);
    if (!this.opts.pool.hasRoom(agent)) throw new KefuError('agent_at_capacity');
    await this.assign(conv, agent, 'transferred');
  }

  /**
   * Back to the head of its queue (agent's "return to queue", going away, disconnect, answer
   * timeout). After an agent's own "return to queue" (`returned`), that agent is not handed the
   * same conversation again for a minute; the other causes already keep it from them (status).
   */
  async requeue(conv: Conversation, opts: { returned?: boolean } = {}): Promise<void> {
    // Changed meanwhile on another node: it is no longer this agent's to give back.
    await this.guarded(conv, undefined, async () => {
      if (conv.assigneeId) {
        this.opts.pool.get(conv.assigneeId)?.active.delete(conv.id);
        if (opts.returned) this.returnedBy.set(conv.id, { agentId: conv.assigneeId, until: this.now() + RETURN_COOL_OFF_MS });
      }
      this.answered(conv.id);
      // queuedAt = creation time puts it ahead of everything that arrived later: head of queue.
      await this.opts.bus.updateConversation(conv, { status: 'queued', assigneeId: undefined, queuedAt: conv.createdAt }, 'queued');
    });
  }

  async resolve(conv: Conversation, by: Participant): Promise<void> {
    if (conv.status === 'resolved') return;
    const why = await this.guarded(conv, undefined, () => this.closeConversation(conv, by));
    if (why && (conv.status as string) !== 'resolved') throw new KefuError('invalid_state', 'Another agent or node changed this conversation first.');
  }

  /** A handled conversation's time from assignment to close goes into the wait estimates (EWMA). */
  private handled(id: string): void {
    const started = this.assignedAt.get(id);
    if (started) this.avgHandleMs = 0.9 * this.avgHandleMs + 0.1 * (this.now() - started);
    this.assignedAt.delete(id);
  }

  /** Per-conversation bookkeeping that ends when the conversation leaves the line or closes. */
  private forget(id: string): void {
    this.closedNotified.delete(id);
    this.lastStatus.delete(id);
    if (!this.queues.has(id)) this.returnedBy.delete(id);
  }

  private async closeConversation(conv: Conversation, by: Participant): Promise<void> {
    if (conv.assigneeId) this.opts.pool.get(conv.assigneeId)?.active.delete(conv.id);
    this.handled(conv.id);
    this.answered(conv.id);
    this.queues.remove(conv.id);
    this.convs.delete(conv.id);
    this.forget(conv.id);
    await this.opts.bus.updateConversation(conv, { status: 'resolved', queuedAt: undefined }, 'resolved');
    await this.opts.bus.send({
      conversationId: conv.id, from: SYSTEM,
      content: { kind: 'event', event: 'resolved', refId: by.id, text: `${by.name ?? 'The agent'} closed the conversation` },
    });
    this.schedule();
  }

  /** Position and estimated wait of every waiting conversation; only changes are published. */
  private publishPositions(): void {
    if (!this.opts.onQueueStatus) return;
    for (const queue of this.queues.queueNames()) {
      const line = this.queues.waiting(queue);
      const total = this.opts.pool.slots(queue);
      const open = this.isOpen(queue);
      line.forEach((w, i) => {
        const conv = this.convs.get(w.id);
        if (!conv) return;
        // Each slot frees about once per average handling time; round to keep updates calm.
        // No agent serving the queue: no honest estimate, so none (the position still shows).
        const eta = total === 0 ? 0 : Math.round(((i + 1) * this.avgHandleMs) / total / 1000 / 15) * 15;
        const status: QueueStatus = { queue, position: i + 1, of: line.length, etaSeconds: eta, open };
        const key = `${status.position}/${status.etaSeconds}/${open}`;
        if (this.lastStatus.get(w.id) === key) return;
        this.lastStatus.set(w.id, key);
        this.opts.onQueueStatus!(conv, status);
      });
    }
  }

  /** Supervisor view: per queue waiting count, longest wait, agents serving it and their load. */
  supervisorView() {
    const now = this.now();
    const { pool } = this.opts;
    return this.opts.routing().queues.map((q) => {
      const line = this.queues.waiting(q.name);
      return {
        name: q.name, label: q.label, priority: q.priority, weight: q.weight, maxWaitS: q.max_wait_s, open: this.isOpen(q.name, now),
        waiting: line.length, longestWaitS: line.length ? Math.round((now - Math.min(...line.map((w) => w.queuedAt))) / 1000) : 0,
        agents: pool.all().filter((s) => !s.agent.disabled && pool.status(s) !== 'offline' && pool.serves(s, q.name))
          .map((s) => ({ id: s.agent.id, name: s.agent.name, status: pool.status(s), load: s.active.size, capacity: pool.capacity(s) })),
      };
    });
  }

  /** Going away hands the agent's open conversations back to the head of their queues. */
  setStatus(agentId: string, status: AgentStatus): void {
    const s = this.requireAgent(agentId);
    const was = s.status;
    s.status = status;
    this.opts.shared?.presenceChanged();
    if (status === 'online') this.schedule();
    if (status === 'away' && was !== 'away') void this.requeueAll(s).catch((err) => this.opts.logger.error({ err }, 're-queue on away failed'));
  }

  connected(agentId: string): void {
    const s = this.requireAgent(agentId);
    s.connections++;
    clearTimeout(this.graceTimers.get(agentId));
    this.graceTimers.delete(agentId);
    if (s.status === 'offline') s.status = 'online';
    this.opts.shared?.presenceChanged();
    this.schedule();
  }

  disconnected(agentId: string): void {
    const s = this.opts.pool.get(agentId);
    if (!s || --s.connections > 0) return;
    const timer = setTimeout(() => {
      this.graceTimers.delete(agentId);
      if (s.connections > 0) return;
      s.status = 'offline';
      this.opts.shared?.presenceChanged();
      // Still on another node's workspace: they keep their conversations.
      if (this.opts.pool.status(s) !== 'offline') return;
      this.requeueAll(s).catch((err) => this.opts.logger.error({ err, agentId }, 're-queue after disconnect failed'));
    }, this.opts.routing().disconnect_grace_s * 1000);
    timer.unref();
    this.graceTimers.set(agentId, timer);
  }

  /** Each conversation on its own: one that fails (no lock, the store) is logged and the rest still go. */
  private async requeueAll(s: AgentState): Promise<void> {
    let failed = 0;
    for (const id of [...s.active]) {
      try {
        const conv = await this.opts.bus.store.getConversation(id);
        if (conv && conv.status === 'assigned' && conv.assigneeId === s.agent.id) await this.requeue(conv);
        else s.active.delete(id);
      } catch (err) {
        failed++;
        this.opts.logger.error({ err, conversationId: id, agentId: s.agent.id }, 're-queue failed; the assigning node tries again when it reloads');
      }
    }
    if (failed && this.opts.shared && this.leading) this.offlineElsewhere(s);
  }

  /** Cluster mode: this node's own presence, for the other nodes. */
  localPresence(): Map<string, 'online' | 'away'> {
    const out = new Map<string, 'online' | 'away'>();
    for (const s of this.opts.pool.all()) if (s.status !== 'offline' && !s.agent.disabled) out.set(s.agent.id, s.status);
    return out;
  }

  /**
   * Cluster mode: the other nodes' presence changed. An agent who went offline everywhere (their
   * node died or they closed the last tab there) gets the disconnect grace, then the assigning
   * node hands their conversations back; one who came online may be given work.
   */
  setRemotePresence(others: Map<string, 'online' | 'away'>, unknown: (id: string) => void): void {
    let more = false;
    for (const id of others.keys()) if (!this.opts.pool.get(id)) unknown(id);
    for (const s of this.opts.pool.all()) {
      const before = this.opts.pool.status(s);
      s.remote = others.get(s.agent.id);
      const after = this.opts.pool.status(s);
      if (after === before) continue;
      if (after === 'online') more = true;
      if (after === 'offline' && this.leading) this.offlineElsewhere(s);
    }
    if (more) this.schedule();
  }

  private offlineElsewhere(s: AgentState): void {
    const key = `remote:${s.agent.id}`;
    clearTimeout(this.graceTimers.get(key));
    const timer = setTimeout(() => {
      this.graceTimers.delete(key);
      if (this.opts.pool.status(s) !== 'offline' || !this.leading) return;
      this.requeueAll(s).catch((err) => this.opts.logger.error({ err, agentId: s.agent.id }, 're-queue after the agent left every node failed'));
    }, this.opts.routing().disconnect_grace_s * 1000);
    timer.unref();
    this.graceTimers.set(key, timer);
  }

  /** Makes an agent known to the pool (as offline until a workspace socket opens) so HTTP-only agents can work. */
  know(agent: AgentRecord): void {
    if (!this.opts.pool.get(agent.id)) this.opts.pool.upsert(agent);
  }

  private requireAgent(id: string): AgentState {
    const s = this.opts.pool.get(id);
    if (!s || s.agent.disabled) throw new KefuError('agent_not_found');
    return s;
  }

  close(): void {
    clearInterval(this.ticker);
    for (const t of this.graceTimers.values()) clearTimeout(t);
    for (const t of this.answerTimers.values()) clearTimeout(t);
  }
}
