import type { Logger } from 'pino';
import { randomToken } from '../../core/model/ids.js';
import type { OutboxItem, OutboxStore } from '../../core/store/store.js';
import { slackSignature } from './verify.js';

export interface Target { url: string; secret: string }

const BACKOFF_S = [1, 5, 30, 120, 600];
const TIMEOUT_MS = 5000;
const PUMP_MS = 100;

/**
 * Delivers bot events and webhooks from the durable outbox: signed like Slack, at least once,
 * in order per conversation (one delivery in flight per conversation and target; a failing head
 * holds the ones behind it), retried with backoff and X-Slack-Retry-Num / X-Slack-Retry-Reason.
 * After the last retry an item is marked failed (kept in the outbox for inspection).
 */
export class EventDispatcher {
  private timer?: NodeJS.Timeout;
  private inflight = new Set<number>();
  private pumping = false;

  constructor(private d: { outbox: OutboxStore; logger: Logger; target: (name: string) => Target | undefined; now?: () => number }) {}

  start(): void {
    this.timer ??= setInterval(() => void this.pump(), PUMP_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  enqueue(target: string, orderingKey: string, payload: object): Promise<void> {
    return this.d.outbox.add([{ target, orderingKey, payload: JSON.stringify(payload) }]);
  }

  /** One pass over due items (exposed for tests and shutdown drains). */
  async pump(): Promise<void> {
    if (this.pumping) return;
    this.pumping = true;
    try {
      const now = this.d.now?.() ?? Date.now();
      const due = (await this.d.outbox.due(now, 100)).filter((i) => !this.inflight.has(i.id));
      await Promise.all(due.map((i) => this.deliver(i)));
    } finally {
      this.pumping = false;
    }
  }

  private async deliver(item: OutboxItem): Promise<void> {
    this.inflight.add(item.id);
    try {
      const t = this.d.target(item.target);
      if (!t) return await this.d.outbox.settle(item.id, 'failed', item.attempts, 0, 'target removed from config');
      const ts = Math.floor((this.d.now?.() ?? Date.now()) / 1000);
      const headers: Record<string, string> = {
        'Content-Type': 'application/json', 'User-Agent': 'kefu-events/1',
        'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': slackSignature(t.secret, ts, item.payload),
      };
      if (item.attempts > 0) {
        headers['X-Slack-Retry-Num'] = String(item.attempts);
        headers['X-Slack-Retry-Reason'] = item.lastError?.startsWith('http_') ? item.lastError.split(' ')[0] : 'http_error';
      }
      let reason: string;
      try {
        const res = await fetch(t.url, { method: 'POST', headers, body: item.payload, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return await this.d.outbox.settle(item.id, 'delivered', item.attempts + 1, 0);
        reason = `http_error ${res.status}`;
      } catch (err) {
        reason = (err as Error).name === 'TimeoutError' ? 'http_timeout' : `connection_failed ${(err as Error).message}`;
      }
      const attempts = item.attempts + 1;
      const failed = attempts > BACKOFF_S.length;
      if (failed) this.d.logger.warn({ target: item.target, key: item.orderingKey, reason }, 'event delivery failed for good');
      await this.d.outbox.settle(item.id, failed ? 'failed' : 'pending', attempts, Date.now() + (BACKOFF_S[attempts - 1] ?? 0) * 1000, reason);
    } finally {
      this.inflight.delete(item.id);
    }
  }
}

/** Slack's url_verification handshake; true when the endpoint echoed the challenge. */
export async function verifyUrl(t: Target): Promise<boolean> {
  const challenge = randomToken(24);
  const body = JSON.stringify({ token: 'kefu', challenge, type: 'url_verification' });
  const ts = Math.floor(Date.now() / 1000);
  try {
    const res = await fetch(t.url, { method: 'POST', body, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error',
      headers: { 'Content-Type': 'application/json', 'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': slackSignature(t.secret, ts, body) } });
    return res.ok && (await res.text()).includes(challenge);
  } catch {
    return false;
  }
}
