import type { ChannelState } from '../contract.js';
import type { Employee } from './types.js';

/** A failed lookup (no contact permission, an external user) is tried again after this long, not on every message. */
const RETRY_FAILED_MS = 60 * 60_000;

type Kept = Employee & { at: number; failed?: boolean };

/**
 * Employees' names and departments, looked up once per user and kept in the channel's durable
 * state (shared by every node, kept over restarts), so the directory is not asked per message.
 */
export class People {
  private pending = new Map<string, Promise<Employee | undefined>>();

  constructor(private state: () => ChannelState, private ttlMs: () => number) {}

  private key(robotCode: string, staffId: string): string { return `emp:${robotCode}:${staffId}`; }

  /** The kept employee, if still fresh: `stale` says whether to look them up (again). */
  async cached(robotCode: string, staffId: string): Promise<{ employee?: Employee; stale: boolean }> {
    const raw = await this.state().get(this.key(robotCode, staffId));
    let kept: Kept | undefined;
    try { kept = raw ? JSON.parse(raw) as Kept : undefined; } catch { kept = undefined; }
    if (!kept) return { stale: true };
    const age = Date.now() - kept.at;
    return { employee: kept.failed ? undefined : kept, stale: age > (kept.failed ? Math.min(RETRY_FAILED_MS, this.ttlMs()) : this.ttlMs()) };
  }

  /** Looks the employee up (once at a time per user) and keeps the answer, or the failure. */
  lookup(robotCode: string, staffId: string, fetch: () => Promise<Employee>): Promise<Employee | undefined> {
    const key = this.key(robotCode, staffId);
    let p = this.pending.get(key);
    if (!p) {
      p = (async () => {
        try {
          const e = await fetch();
          await this.state().set(key, JSON.stringify({ ...e, at: Date.now() } satisfies Kept));
          return e;
        } catch (err) {
          await this.state().set(key, JSON.stringify({ departments: [], at: Date.now(), failed: true } satisfies Kept));
          throw err;
        }
      })().finally(() => this.pending.delete(key));
      this.pending.set(key, p);
    }
    return p;
  }
}

/** What agents see of an employee (conversation meta; '' clears a key an earlier lookup set). */
export function employeeMeta(e: Employee): Record<string, string> {
  return { department: e.departments.join(' / '), title: e.title ?? '' };
}
