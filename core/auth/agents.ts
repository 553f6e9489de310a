import { KefuError } from '../errors.js';
import { newId, randomToken } from '../model/ids.js';
import type { AgentRecord, Store } from '../store/store.js';
import { hashPassword, hashToken, verifyPassword } from './passwords.js';

export interface NewAgent {
  login: string;
  name?: string;
  password: string;
  role?: 'agent' | 'admin';
  capacity?: number;
  skills?: string[];
}

const LOGIN_RE = /^[a-zA-Z0-9._@-]{2,64}$/;

/** Agent accounts and workspace sessions (scrypt passwords, hashed session tokens). */
export class AgentAccounts {
  constructor(private store: Store, private defaultCapacity: () => number, private sessionTtlMs: () => number) {}

  async create(a: NewAgent): Promise<AgentRecord> {
    if (!LOGIN_RE.test(a.login)) throw new KefuError('validation_failed', 'login must be 2-64 characters of letters, digits, . _ @ -');
    if (typeof a.password !== 'string' || a.password.length < 8) throw new KefuError('validation_failed', 'password must have at least 8 characters');
    if (await this.store.getAgentByLogin(a.login)) throw new KefuError('conflict', `agent "${a.login}" already exists`);
    const rec: AgentRecord = {
      id: newId('A'), login: a.login, name: a.name || a.login, role: a.role ?? 'agent',
      passwordHash: await hashPassword(a.password), capacity: a.capacity ?? this.defaultCapacity(),
      skills: a.skills ?? [], disabled: false, createdAt: new Date(),
    };
    await this.store.createAgent(rec);
    return rec;
  }

  async any(): Promise<boolean> {
    return (await this.store.listAgents()).length > 0;
  }

  async setDisabled(login: string, disabled: boolean): Promise<AgentRecord> {
    const a = await this.store.getAgentByLogin(login);
    if (!a) throw new KefuError('agent_not_found');
    a.disabled = disabled;
    await this.store.updateAgent(a);
    return a;
  }

  /** Returns a new session token; the same error for unknown login and wrong password. */
  async login(login: string, password: string): Promise<{ token: string; agent: AgentRecord }> {
    const a = typeof login === 'string' ? await this.store.getAgentByLogin(login) : undefined;
    // Verify against a dummy hash for unknown logins so timing does not reveal which logins exist.
    const ok = await verifyPassword(String(password ?? ''), a?.passwordHash ?? DUMMY_HASH);
    if (!a || !ok || a.disabled) throw new KefuError('unauthorized', 'Wrong login or password.');
    const token = randomToken(32);
    await this.store.createSession(hashToken(token), a.id, new Date(Date.now() + this.sessionTtlMs()));
    return { token, agent: a };
  }

  async authenticate(token: string | undefined): Promise<AgentRecord> {
    if (!token) throw new KefuError('unauthorized');
    const s = await this.store.getSession(hashToken(token));
    if (!s || s.expiresAt.getTime() < Date.now()) throw new KefuError('invalid_token');
    const a = await this.store.getAgent(s.agentId);
    if (!a || a.disabled) throw new KefuError('invalid_token');
    return a;
  }

  async logout(token: string): Promise<void> {
    await this.store.deleteSession(hashToken(token));
  }
}

const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

export function publicAgent(a: AgentRecord) {
  return { id: a.id, login: a.login, name: a.name, role: a.role, capacity: a.capacity, skills: a.skills, disabled: a.disabled };
}
