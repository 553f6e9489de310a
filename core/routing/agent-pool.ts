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
  /** Cluster mode: the agent's best status on the other nodes (absent: no socket there). */
  remote?: 'online' | 'away';
}

const RANK: Record<AgentStatus, number> = { offline: 0, away: 1, online: 2 };

export type AgentOverrides = Record<string, { capacity?: number; skills?: string[] }>;

/**
 * Presence, load and eligibility of agents. Capacity and skills come from the agent's record,
 * overridden live by `[routing.agents.<login>]`. Shared by the gateway and the simulator. In
 * cluster mode each node's pool also learns the other nodes' presence (`remote`) and the load
 * from every node's assignment events (core/routing/shared-routing.ts).
 */
export class AgentPool {
  private agents = new Map<string, AgentState>();

  constructor(private overrides: () => AgentOverrides = () => ({})) {}

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

  /** The status routing goes by: this node's, or a better one another node reports (cluster mode). */
  status(s: AgentState): AgentStatus {
    return s.remote && RANK[s.remote] > RANK[s.status] ? s.remote : s.status;
  }

  all(): AgentState[] { return [...this.agents.values()]; }

  capacity(s: AgentState): number { return this.overrides()[s.agent.login]?.capacity ?? s.agent.capacity; }
  skills(s: AgentState): string[] { return this.overrides()[s.agent.login]?.skills ?? s.agent.skills; }
  serves(s: AgentState, queue: string): boolean { const k = this.skills(s); return k.length === 0 || k.includes(queue); }
  hasRoom(s: AgentState): boolean { return s.active.size < this.capacity(s); }

  eligible(s: AgentState, queue: string): boolean {
    return this.status(s) === 'online' && !s.agent.disabled && this.hasRoom(s) && this.serves(s, queue);
  }

  anyEligible(queue: string): boolean {
    for (const s of this.agents.values()) if (this.eligible(s, queue)) return true;
    return false;
  }

  /** Least loaded eligible agent; ties go to whoever has waited longest since an assignment. */
  pick(queue: string, exceptAgentId?: string): AgentState | undefined {
    let best: AgentState | undefined;
    for (const s of this.agents.values()) {
      if (!this.eligible(s, queue) || s.agent.id === exceptAgentId) continue;
      if (!best || s.active.size < best.active.size
        || (s.active.size === best.active.size && s.lastAssignedAt < best.lastAssignedAt)) best = s;
    }
    return best;
  }

  /** Total slots of online agents serving `queue` (for wait estimates). */
  slots(queue: string): number {
    let total = 0;
    for (const s of this.agents.values()) {
      if (this.status(s) === 'online' && !s.agent.disabled && this.serves(s, queue)) total += this.capacity(s);
    }
    return total;
  }

  onlineCount(): number {
    let n = 0;
    for (const s of this.agents.values()) if (this.status(s) === 'online' && !s.agent.disabled) n++;
    return n;
  }
}
