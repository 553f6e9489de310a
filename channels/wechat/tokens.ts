import type { ChannelState } from '../contract.js';
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
 * Cluster seam: with several gateway nodes exactly one should refresh. This class is the only
 * place tokens are obtained; the cluster issue replaces `obtain` with a leader-only refresh over
 * shared state. Until then each node refreshes on its own, which stable_token makes harmless.
 */
export class AccessTokens {
  private memory = new Map<string, Held>();
  private fetching = new Map<string, Promise<string>>();

  constructor(private state: () => ChannelState, private api: WechatApi, private now: () => number) {}

  async get(a: WechatAccount): Promise<string> {
    const held = this.memory.get(a.appid) ?? await this.stored(a.appid);
    if (held && held.expiresAt - MARGIN_MS > this.now()) return held.token;
    return this.obtain(a);
  }

  /** WeChat refused `bad`: a new one, unless another send already replaced it. */
  async refresh(a: WechatAccount, bad: string): Promise<string> {
    const held = this.memory.get(a.appid);
    if (held && held.token !== bad && held.expiresAt - MARGIN_MS > this.now()) return held.token;
    this.memory.delete(a.appid);
    await this.state().delete(key(a.appid));
    return this.obtain(a);
  }

  clear(): void { this.memory.clear(); }

  private async stored(appid: string): Promise<Held | undefined> {
    const raw = await this.state().get(key(appid));
    if (!raw) return undefined;
    try {
      const h = JSON.parse(raw) as Held;
      if (typeof h.token !== 'string' || typeof h.expiresAt !== 'number') return undefined;
      this.memory.set(appid, h);
      return h;
    } catch { return undefined; }
  }

  private obtain(a: WechatAccount): Promise<string> {
    let p = this.fetching.get(a.appid);
    if (!p) {
      p = (async () => {
        const { token, expiresIn } = await this.api.stableToken(a.appid, a.secret);
        const held = { token, expiresAt: this.now() + expiresIn * 1000 };
        this.memory.set(a.appid, held);
        await this.state().set(key(a.appid), JSON.stringify(held));
        return token;
      })();
      this.fetching.set(a.appid, p);
      const done = () => { this.fetching.delete(a.appid); };
      p.then(done, done);
    }
    return p;
  }
}

const key = (appid: string) => `token:${appid}`;
