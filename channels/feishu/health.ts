import type { HealthState } from '../contract.js';

const RANK: Record<HealthState, number> = { connected: 0, connecting: 1, degraded: 2, auth_failed: 3 };

/**
 * One channel health out of several apps, each with a connection (long connection, or "the API
 * answers" for webhook apps) and its tenant token: the worst of them is the channel's, with
 * every app in trouble named in the detail.
 */
export class HealthBoard {
  private apps = new Map<string, { conn?: { state: HealthState; detail?: string }; tokenError?: string }>();
  constructor(private report: (state: HealthState, detail?: string) => void) {}

  connection(app: string, state: HealthState, detail?: string): void {
    const e = this.entry(app);
    if (e.conn?.state === state && e.conn.detail === detail) return;
    e.conn = { state, detail };
    this.publish();
  }
  tokenFailed(app: string, detail: string): void { this.entry(app).tokenError = detail; this.publish(); }
  tokenOk(app: string): void {
    const e = this.entry(app);
    if (e.tokenError === undefined && e.conn) return;
    e.tokenError = undefined;
    this.publish();
  }
  forget(app: string): void { this.apps.delete(app); }

  private entry(app: string) {
    let e = this.apps.get(app);
    if (!e) this.apps.set(app, (e = {}));
    return e;
  }

  private publish(): void {
    let worst: HealthState = 'connected';
    const details: string[] = [];
    for (const [name, e] of this.apps) {
      const state: HealthState = e.tokenError !== undefined ? 'auth_failed' : e.conn?.state ?? 'connecting';
      if (RANK[state] > RANK[worst]) worst = state;
      const detail = e.tokenError ?? e.conn?.detail;
      if (state !== 'connected' && detail) details.push(`${name}: ${detail}`);
    }
    this.report(worst, details.join('; ').slice(0, 500) || undefined);
  }
}
