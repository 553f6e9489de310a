import type { HealthState } from '../contract.js';

/** Worst first: the channel shows the app in the most trouble. */
const RANK: HealthState[] = ['auth_failed', 'degraded', 'connecting', 'connected'];

/**
 * The channel has one health; each stream app has its own connection. This keeps every app's
 * last report and passes on the worst, naming the app, so a supervisor sees which one is down and
 * why (the reason a socket was dropped stays in the detail until the app is connected again).
 */
export class AppsHealth {
  private apps = new Map<string, { state: HealthState; detail?: string }>();
  private reasons = new Map<string, string>();

  constructor(private report: (state: HealthState, detail?: string) => void) {}

  /** The reporter for one app's keepConnected loop; `reason` tells why kefu itself closed its socket. */
  forApp(app: string, reason: () => string | undefined): (state: HealthState, detail?: string) => void {
    return (state, detail) => {
      const why = reason();
      if (state === 'connected') this.reasons.delete(app);
      else if (why && state === 'degraded') this.reasons.set(app, why);
      const last = this.reasons.get(app);
      const shown = state === 'degraded' && why ? `${why}; reconnecting` : last && state !== 'connected' ? `${detail ?? 'reconnecting'} (last: ${last})` : detail;
      this.apps.set(app, { state, detail: shown });
      this.publish();
    };
  }

  private publish(): void {
    const all = [...this.apps.entries()];
    if (all.length === 0) return;
    all.sort((a, b) => RANK.indexOf(a[1].state) - RANK.indexOf(b[1].state));
    const [name, worst] = all[0];
    const others = all.length > 1 ? ` (${all.filter(([, h]) => h.state === 'connected').length}/${all.length} apps connected)` : '';
    this.report(worst.state, `${name}${worst.detail ? `: ${worst.detail}` : ''}${others}`);
  }
}
