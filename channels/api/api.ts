// The API channel's outbound calls: bot events and webhooks to their URLs (the Events API) and
// the url_verification handshake; api.ts in every channel folder holds the vendor calls.
import { randomToken } from '../../core/model/ids.js';

import type { OutboxItem } from '../../core/store/store.js';
import type { DeliveryOutcome, OutboxHandler } from '../../core/outbox/dispatcher.js';
import type { ChannelContext } from '../contract.js';
import { slackSignature } from './verify.js';

export interface Target { url: string; secret: string }

const BACKOFF_S = [1, 5, 30, 120, 600];
const TIMEOUT_MS = 5000;

/**
 * Bot events and webhooks, as an outbox handler: signed like Slack, at least once, in order per
 * conversation, retried after 1 s, 5 s, 30 s, 2 min and 10 min with X-Slack-Retry-Num /
 * X-Slack-Retry-Reason, then marked failed (kept in the outbox for inspection). The outbox
 * dispatcher owns the ordering and the retries.
 */
export class EventDispatcher implements OutboxHandler {
  readonly maxAttempts = BACKOFF_S.length + 1;

  constructor(private d: { outbox: ChannelContext['outbox']; target: (name: string) => Target | undefined;
    targets: () => string[]; now?: () => number }) {}

  targets(): readonly string[] { return this.d.targets(); }
  backoffMs(attempts: number): number { return (BACKOFF_S[attempts - 1] ?? BACKOFF_S[BACKOFF_S.length - 1]) * 1000; }

  enqueue(target: string, orderingKey: string, payload: object): Promise<void> {
    return this.d.outbox.add(target, orderingKey, payload);
  }

  async deliver(item: OutboxItem): Promise<DeliveryOutcome> {
    const t = this.d.target(item.target);
    if (!t) return { ok: false, retryable: false, code: 'target_removed', message: 'target removed from config' };
    const ts = Math.floor((this.d.now?.() ?? Date.now()) / 1000);
    const headers: Record<string, string> = {
      'Content-Type': 'application/json', 'User-Agent': 'kefu-events/1',
      'X-Slack-Request-Timestamp': String(ts), 'X-Slack-Signature': slackSignature(t.secret, ts, item.payload),
    };
    if (item.attempts > 0) {
      headers['X-Slack-Retry-Num'] = String(item.attempts);
      headers['X-Slack-Retry-Reason'] = item.lastError?.startsWith('http_') ? item.lastError.split(':')[0] : 'http_error';
    }
    try {
      const res = await fetch(t.url, { method: 'POST', headers, body: item.payload, signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'error' });
      await res.arrayBuffer().catch(() => undefined);
      if (res.ok) return { ok: true };
      return { ok: false, retryable: true, code: 'http_error', message: `HTTP ${res.status}` };
    } catch (err) {
      if ((err as Error).name === 'TimeoutError') return { ok: false, retryable: true, code: 'http_timeout', message: `no answer within ${TIMEOUT_MS} ms` };
      return { ok: false, retryable: true, code: 'connection_failed', message: (err as Error).message };
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
