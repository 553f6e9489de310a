import type { HealthState } from '../contract.js';

export interface Connection {
  /** Resolves (or rejects) when the connection is gone. */
  closed: Promise<unknown>;
  close(): void;
}

export interface ReconnectOptions {
  /** Stop for good when this aborts (the channel's `ctx.signal`). */
  signal: AbortSignal;
  /** Opens one connection; throws when it cannot. An error with `auth: true` is reported as auth_failed. */
  connect: (signal: AbortSignal) => Promise<Connection>;
  report: (state: HealthState, detail?: string) => void;
  firstDelayMs?: number;
  maxDelayMs?: number;
  /** A connection that stayed up this long resets the backoff. */
  stableMs?: number;
  random?: () => number;
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
}

/**
 * Keeps a vendor long connection (a WebSocket stream) open until `signal` aborts: connect,
 * wait for it to close, wait with exponential backoff and full jitter (so a vendor outage
 * does not bring every gateway back at the same instant), connect again. Health is reported
 * on every transition. Resolves once stopped; never rejects.
 */
export async function keepConnected(o: ReconnectOptions): Promise<void> {
  const first = o.firstDelayMs ?? 1000;
  const max = o.maxDelayMs ?? 60_000;
  const random = o.random ?? Math.random;
  const sleep = o.sleep ?? abortableSleep;
  let failures = 0;
  while (!o.signal.aborted) {
    o.report('connecting', failures ? `attempt ${failures + 1}` : undefined);
    let conn: Connection | undefined;
    const started = Date.now();
    try {
      conn = await o.connect(o.signal);
      // Stopped while connecting: the connection that just opened must not outlive the channel.
      if (o.signal.aborted) { conn.close(); break; }
      o.report('connected');
      const stop = () => conn?.close();
      o.signal.addEventListener('abort', stop, { once: true });
      await conn.closed.catch(() => undefined);
      o.signal.removeEventListener('abort', stop);
      if (o.signal.aborted) break;
      failures = Date.now() - started >= (o.stableMs ?? 30_000) ? 0 : failures + 1;
      o.report('degraded', 'connection closed; reconnecting');
    } catch (err) {
      if (o.signal.aborted) break;
      failures++;
      const e = err as { auth?: boolean; message?: string };
      o.report(e.auth ? 'auth_failed' : 'degraded', e.message ?? String(err));
    }
    const delay = Math.min(max, first * 2 ** Math.max(0, failures - 1)) * random();
    await sleep(Math.max(100, delay), o.signal);
  }
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); signal.removeEventListener('abort', done); resolve(); }
    signal.addEventListener('abort', done, { once: true });
  });
}
