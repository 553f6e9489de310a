import { ChannelError, type ChannelState } from '../contract.js';
import type { SharedSecrets } from '../../core/cluster/cluster.js';
import type { WechatApi } from './api.js';
import type { WechatAccount } from './types.js';

/** Refreshed this long before WeChat's expiry (WeChat keeps the old token valid 5 minutes after a refresh). */
const MARGIN_MS = 5 * 60_000;

interface Held { token: string; expiresAt: number }

/**
 * Access tokens per appid: in memory, kept in the channel's durable state (so a restart does not
 * fetch again), refreshed before expiry, one fetch at a time per appid. Tokens come from
 * stable_token (force_refresh false), so another holder of the same credentials keeps working.
 *
 * Cluster mode (`shared` given): the token lives in the cluster's shared state, every node reads
 * it there, and a refresh runs under a cluster-wide lock that reads it again first: nodes finding
 * it stale together cause one stable_token call, not one each (several refreshers are what makes
 * WeChat answer 40001 elsewhere). This class is the only place tokens are obtained.
 */
export class AccessTokens {
  private memory = new Map<string, Held>();
  private fetching = new Map<string, Promise<string>>();

  constructor(private state: () => ChannelState, private api: WechatApi, private now: () => number, private shared?: SharedSecrets) {}

  async get(a: WechatAccount): Promise<string> {
    const held = this.memory.get(a.appid) ?? await this.stored(a.appid);
    if (this.fresh(held)) return held!.token;
    return this.obtain(a);
  }

  /** WeChat refused `bad`: a new one, unless another send (or node) already replaced it. */
  async refresh(a: WechatAccount, bad: string): Promise<string> {
    const held = this.memory.get(a.appid);
    if (held && held.token !== bad && this.fresh(held)) return held.token;
    this.memory.delete(a.appid);
    if (!this.shared) await this.state().delete(key(a.appid));
    return this.obtain(a, bad);
  }

  private fresh(h: Held | undefined): boolean { return !!h && h.expiresAt - MARGIN_MS > this.now(); }

  clear(): void { this.memory.clear(); }

  private async stored(appid: string): Promise<Held | undefined> {
    if (this.shared) {
      const s = await this.sharedCall(() => this.shared!.get(sharedKey(appid)));
      return s && this.remember(appid, { token: s.value, expiresAt: s.expiresAt });
    }
    const raw = await this.state().get(key(appid));
    if (!raw) return undefined;
    try {
      const h = JSON.parse(raw) as Held;
      if (typeof h.token !== 'string' || typeof h.expiresAt !== 'number') return undefined;
      this.memory.set(appid, h);
      return h;
    } catch { return undefined; }
  }

  private remember(appid: string, h: Held): Held { this.memory.set(appid, h); return h; }

  private async fetch(a: WechatAccount): Promise<Held> {
    const { token, expiresIn } = await this.api.stableToken(a.appid, a.secret);
    return { token, expiresAt: this.now() + expiresIn * 1000 };
  }

  private obtain(a: WechatAccount, bad?: string): Promise<string> {
    let p = this.fetching.get(a.appid);
    if (!p) {
      p = (async () => {
        if (this.shared) {
          const stale = (cur?: { value: string; expiresAt: number }) => !cur || cur.value === bad || !this.fresh({ token: cur.value, expiresAt: cur.expiresAt });
          const s = await this.sharedCall(() => this.shared!.refresh(sharedKey(a.appid), stale, async () => {
            const h = await this.fetch(a);
            return { value: h.token, expiresAt: h.expiresAt };
          }));
          return this.remember(a.appid, { token: s.value, expiresAt: s.expiresAt }).token;
        }
        const held = this.remember(a.appid, await this.fetch(a));
        await this.state().set(key(a.appid), JSON.stringify(held));
        return held.token;
      })();
      this.fetching.set(a.appid, p);
      const done = () => { this.fetching.delete(a.appid); };
      p.then(done, done);
    }
    return p;
  }

  /** The shared state unreachable (a Redis outage) is a retryable failure: the outbox tries again later. */
  private async sharedCall<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (err instanceof ChannelError) throw err;
      throw new ChannelError('wechat', `cluster state unreachable for the access token (${(err as Error).message})`, { retryable: true, code: 'cluster_unavailable', retryAfter: 5 });
    }
  }
}

const key = (appid: string) => `token:${appid}`;
/** Cluster-wide, so the name says whose token it is. */
const sharedKey = (appid: string) => `wechat-token:${appid}`;
