import type { AgentRecord } from '../store/store.js';

export type AgentStatus = 'online' | 'away' | 'offline';

export interface AgentState {
  agent: AgentRecord;
  status: AgentStatus;
  /** Open workspace connections; the agent is offline when it drops to 0 (after grace). */
  connections: number;
  /** Conversation ids currently assigned (the load). */
  active: Set<string>;
  lastAssignedAt: number;
}

/** In-process presence and load of agents; cluster-redis replaces it with a shared one. */
export class AgentPool {
  private agents = new Map<string, AgentState>();

  upsert(agent: AgentRecord): AgentState {
    let s = this.agents.get(agent.id);
    if (!s) {
      s = { agent, status: 'offline', connections: 0, active: new Set(), lastAssignedAt: 0 };
      this.agents.set(agent.id, s);
    } else {
      s.agent = agent;
    }
    return s;
  }

  get(id: string): AgentState | undefined { return this.agents.get(id); }
  all(): AgentState[] { return [...this.agents.values()]; }

  hasRoom(s: AgentState): boolean {
    return s.active.size < s.agent.capacity;
  }

  eligible(s: AgentState, queue: string): boolean {
    return s.status === 'online' && !s.agent.disabled && this.hasRoom(s)
      && (s.agent.skills.length === 0 || s.agent.skills.includes(queue));
  }

  /** Least loaded eligible agent; ties go to whoever has waited longest since an assignment. */
  pick(queue: string): AgentState | undefined {
    let best: AgentState | undefined;
    for (const s of this.agents.values()) {
      if (!this.eligible(s, queue)) continue;
      if (!best || s.active.size < best.active.size
        || (s.active.size === best.active.size && s.lastAssignedAt < best.lastAssignedAt)) best = s;
    }
    return best;
  }

  onlineCount(): number {
    let n = 0;
    for (const s of this.agents.values()) if (s.status === 'online' && !s.agent.disabled) n++;
    return n;
  }
}
