import type { Logger } from 'pino';
import { KefuError } from '../errors.js';
import type { Conversation, Participant } from '../model/message.js';
import type { ConversationBus } from '../bus/conversation-bus.js';
import { AgentPool, type AgentState, type AgentStatus } from './agent-pool.js';

export interface AssignerOptions {
  bus: ConversationBus;
  pool: AgentPool;
  logger: Logger;
  graceMs: () => number;
}

const SYSTEM: Participant = { id: 'system', role: 'system', name: 'kefu' };

/**
 * Moves conversations between waiting and agents. Every state change goes through the bus
 * (stored, then announced); assignment never exceeds an agent's capacity.
 * Waiting order is FIFO by queuedAt for now; priority queues replace `nextWaiting`.
 */
export class Assigner {
  private waiting = new Map<string, Conversation>();
  private graceTimers = new Map<string, NodeJS.Timeout>();
  private running = false;
  private again = false;

  constructor(private opts: AssignerOptions) {
    opts.bus.on('conversation', (conv, change) => {
      if (change === 'queued') { this.waiting.set(conv.id, conv); this.schedule(); }
    });
  }

  /** Loads waiting and assigned conversations from the store after a restart. */
  async restore(): Promise<void> {
    for (const a of await this.opts.bus.store.listAgents()) this.opts.pool.upsert(a);
    for (const c of await this.opts.bus.store.listConversations({ status: ['queued', 'assigned', 'pending'] })) {
      if (c.status === 'assigned' && c.assigneeId) this.opts.pool.get(c.assigneeId)?.active.add(c.id);
      else this.waiting.set(c.id, c);
    }
  }

  waitingList(): Conversation[] {
    return [...this.waiting.values()].sort((a, b) => (a.queuedAt?.getTime() ?? 0) - (b.queuedAt?.getTime() ?? 0));
  }

  /** Runs assignment until nothing more fits; coalesces concurrent triggers. */
  schedule(): void {
    if (this.running) { this.again = true; return; }
    this.running = true;
    void this.assignAll().finally(() => {
      this.running = false;
      if (this.again) { this.again = false; this.schedule(); }
    });
  }

  private async assignAll(): Promise<void> {
    for (const conv of this.waitingList()) {
      const agent = this.opts.pool.pick(conv.queue);
      if (!agent) continue;
      try {
        await this.assign(conv, agent, 'assigned');
      } catch (err) {
        this.opts.logger.error({ err, conversationId: conv.id }, 'assignment failed');
      }
    }
  }

  private async assign(conv: Conversation, agent: AgentState, change: 'assigned' | 'transferred'): Promise<void> {
    const prev = conv.assigneeId ? this.opts.pool.get(conv.assigneeId) : undefined;
    prev?.active.delete(conv.id);
    agent.active.add(conv.id);
    agent.lastAssignedAt = Date.now();
    this.waiting.delete(conv.id);
    await this.opts.bus.updateConversation(conv, { status: 'assigned', assigneeId: agent.agent.id, queuedAt: undefined }, change);
    await this.opts.bus.send({
      conversationId: conv.id, from: SYSTEM,
      content: { kind: 'event', event: 'assigned', refId: agent.agent.id, text: `${agent.agent.name} joined the conversation` },
    });
  }

  /** Manual pick from the queue by an agent (may take any waiting conversation it has room for). */
  async claim(conv: Conversation, agentId: string): Promise<void> {
    const agent = this.requireAgent(agentId);
    if (conv.status === 'assigned' && conv.assigneeId === agentId) return;
    if (conv.status === 'assigned') throw new KefuError('invalid_state', 'Already assigned to another agent.');
    if (!this.opts.pool.hasRoom(agent)) throw new KefuError('agent_at_capacity');
    await this.assign(conv, agent, 'assigned');
  }

  async transfer(conv: Conversation, toAgentId: string): Promise<void> {
    const target = this.requireAgent(toAgentId);
    if (conv.status === 'resolved') throw new KefuError('invalid_state', 'The conversation is resolved.');
    if (conv.assigneeId === toAgentId) return;
    if (target.status !== 'online') throw new KefuError('invalid_state', `${target.agent.name} is not online.`);
    if (!this.opts.pool.hasRoom(target)) throw new KefuError('agent_at_capacity');
    await this.assign(conv, target, 'transferred');
  }

  /** Back to the head of its queue (agent's "return to queue", disconnect after grace). */
  async requeue(conv: Conversation): Promise<void> {
    if (conv.assigneeId) this.opts.pool.get(conv.assigneeId)?.active.delete(conv.id);
    // queuedAt = creation time puts it ahead of everything that arrived later: head of queue.
    await this.opts.bus.updateConversation(conv, { status: 'queued', assigneeId: undefined, queuedAt: conv.createdAt }, 'queued');
  }

  async resolve(conv: Conversation, by: Participant): Promise<void> {
    if (conv.status === 'resolved') return;
    if (conv.assigneeId) this.opts.pool.get(conv.assigneeId)?.active.delete(conv.id);
    this.waiting.delete(conv.id);
    await this.opts.bus.updateConversation(conv, { status: 'resolved', queuedAt: undefined }, 'resolved');
    await this.opts.bus.send({
      conversationId: conv.id, from: SYSTEM,
      content: { kind: 'event', event: 'resolved', refId: by.id, text: `${by.name ?? 'The agent'} closed the conversation` },
    });
    this.schedule();
  }

  setStatus(agentId: string, status: AgentStatus): void {
    const s = this.requireAgent(agentId);
    s.status = status;
    if (status === 'online') this.schedule();
  }

  connected(agentId: string): void {
    const s = this.requireAgent(agentId);
    s.connections++;
    clearTimeout(this.graceTimers.get(agentId));
    this.graceTimers.delete(agentId);
    if (s.status === 'offline') s.status = 'online';
    this.schedule();
  }

  disconnected(agentId: string): void {
    const s = this.opts.pool.get(agentId);
    if (!s || --s.connections > 0) return;
    const timer = setTimeout(() => {
      this.graceTimers.delete(agentId);
      if (s.connections > 0) return;
      s.status = 'offline';
      void this.requeueAll(s);
    }, this.opts.graceMs());
    timer.unref();
    this.graceTimers.set(agentId, timer);
  }

  private async requeueAll(s: AgentState): Promise<void> {
    for (const id of [...s.active]) {
      const conv = await this.opts.bus.store.getConversation(id);
      if (conv && conv.status === 'assigned' && conv.assigneeId === s.agent.id) await this.requeue(conv);
      else s.active.delete(id);
    }
  }

  private requireAgent(id: string): AgentState {
    const s = this.opts.pool.get(id);
    if (!s || s.agent.disabled) throw new KefuError('agent_not_found');
    return s;
  }

  close(): void {
    for (const t of this.graceTimers.values()) clearTimeout(t);
  }
}
