import type { ChannelState } from '../contract.js';
import type { FeishuApi } from './api.js';
import type { FeishuApp } from './types.js';

export interface Employee { name?: string; department?: string }

/** A failed lookup (no contact scope, user out of range) is not retried for this long, so it costs one call, not one per message. */
const NEGATIVE_MS = 10 * 60_000;

/**
 * Employees' names and departments from the contact API, fetched once per user and kept in the
 * channel's durable state (a restart does not fetch them again) until `maxAgeS` has passed.
 */
export class Contacts {
  private mem = new Map<string, Employee & { at: number }>();
  private failed = new Map<string, number>();
  private inflight = new Map<string, Promise<Employee>>();

  constructor(private api: FeishuApi, private state: () => ChannelState, private log: (err: unknown, openId: string) => void) {}

  /** The cached employee, or a fetch in progress: `now` is what is known within `budgetMs`, `later` the full answer. */
  lookup(app: FeishuApp, openId: string, budgetMs: number, maxAgeS: number): { now: Promise<Employee | undefined>; later: Promise<Employee> } {
    const later = this.get(app, openId, maxAgeS);
    return { now: within(later, budgetMs), later };
  }

  private get(app: FeishuApp, openId: string, maxAgeS: number): Promise<Employee> {
    const key = `user:${app.app_id}:${openId}`;
    const fresh = (e?: { at: number }) => e && Date.now() - e.at < maxAgeS * 1000;
    const hit = this.mem.get(key);
    if (fresh(hit)) return Promise.resolve(hit!);
    if ((this.failed.get(key) ?? 0) > Date.now()) return Promise.resolve({});
    let p = this.inflight.get(key);
    if (p) return p;
    p = (async () => {
      const stored = await this.state().get(key).then((v) => (v ? JSON.parse(v) as Employee & { at: number } : undefined)).catch(() => undefined);
      if (fresh(stored)) { this.mem.set(key, stored!); return stored!; }
      try {
        const u = await this.api.user(app, openId);
        const names = (await Promise.all(u.departmentIds.map((d) => this.department(app, d, maxAgeS)))).filter(Boolean);
        const e = { name: u.name?.slice(0, 100), department: names.join(', ').slice(0, 200) || undefined, at: Date.now() };
        this.mem.set(key, e);
        await this.state().set(key, JSON.stringify(e));
        return e;
      } catch (err) {
        this.failed.set(key, Date.now() + NEGATIVE_MS);
        this.log(err, openId);
        return {};
      }
    })().finally(() => this.inflight.delete(key));
    this.inflight.set(key, p);
    return p;
  }

  private async department(app: FeishuApp, id: string, maxAgeS: number): Promise<string | undefined> {
    if (id === '0') return undefined; // the tenant's root: says nothing about the employee
    const key = `dept:${app.app_id}:${id}`;
    const stored = await this.state().get(key).then((v) => (v ? JSON.parse(v) as { name: string; at: number } : undefined)).catch(() => undefined);
    if (stored && Date.now() - stored.at < maxAgeS * 1000) return stored.name;
    const name = (await this.api.departmentName(app, id))?.slice(0, 100);
    if (name) await this.state().set(key, JSON.stringify({ name, at: Date.now() }));
    return name;
  }

  clear(): void { this.mem.clear(); this.failed.clear(); }
}

/** `p`'s value if it comes within `ms`, else undefined (a failure too): for lookups an event must not wait long for. */
export function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p.catch(() => undefined), new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), ms); })]).finally(() => clearTimeout(timer));
}
