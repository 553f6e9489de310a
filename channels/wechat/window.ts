/**
 * WeChat's reply window for customer-service messages, enforced before a send so the agent sees
 * why at once instead of after WeChat's 45015/45047:
 *  - after a customer's message: 5 messages within 48 hours;
 *  - after user_enter_tempsession with no message yet: 2 messages within 1 minute.
 * The state lives in the conversation's meta (the workspace's side panel reads the same keys:
 * core/workspace/client/channel-wechat.ts keeps a copy of their names).
 */
export const WINDOWS = {
  message: { ms: 48 * 3600_000, max: 5 },
  enter: { ms: 60_000, max: 2 },
} as const;
export type WindowKind = keyof typeof WINDOWS;

export const META = { kind: 'wechat_window', at: 'wechat_window_at', sent: 'wechat_window_sent', sessionFrom: 'wechat_session_from' } as const;

export interface WindowState { kind: WindowKind; at: number; sent: number }

export function windowOf(meta: Record<string, string> | undefined): WindowState | undefined {
  const kind = meta?.[META.kind];
  if (kind !== 'message' && kind !== 'enter') return undefined;
  const at = Number(meta![META.at]);
  const sent = Number(meta![META.sent] ?? '0');
  return Number.isFinite(at) && Number.isInteger(sent) && sent >= 0 ? { kind, at, sent } : undefined;
}

export function metaOf(w: WindowState): Record<string, string> {
  return { [META.kind]: w.kind, [META.at]: String(w.at), [META.sent]: String(w.sent) };
}

/**
 * The window after the customer did something at `at` (ms; WeChat's CreateTime, never later than
 * now). A message opens a fresh one; entering the chat opens the short one only when no message
 * window is still open (it would be the smaller of the two).
 */
export function opened(current: WindowState | undefined, kind: WindowKind, at: number, now: number): WindowState {
  const start = Math.min(at, now);
  if (kind === 'enter' && current?.kind === 'message' && left(current, now).messages > 0) return current;
  if (current && current.kind === kind && current.at === start) return current; // a redelivery of the same push
  return { kind, at: start, sent: 0 };
}

export interface Left { ms: number; messages: number; problem?: 'window_expired' | 'quota_exhausted' }

/** What the window still allows at `now`: time and messages, and why nothing when nothing. */
export function left(w: WindowState | undefined, now: number): Left {
  if (!w) return { ms: 0, messages: 0, problem: 'window_expired' };
  const rule = WINDOWS[w.kind];
  const ms = Math.max(0, w.at + rule.ms - now);
  const messages = Math.max(0, rule.max - w.sent);
  if (ms === 0) return { ms, messages: 0, problem: 'window_expired' };
  if (messages === 0) return { ms, messages, problem: 'quota_exhausted' };
  return { ms, messages };
}
