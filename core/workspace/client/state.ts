import { h } from './dom';
import { errorText, t } from './i18n';

export type Conv = { id: string; channel: string; customer: { id: string; name?: string }; status: string; queue: string; assigneeId?: string;
  createdAt: string; updatedAt: string; queuedAt?: string; lastSeq: number; lastMessageAt?: string; tags: string[]; waitingOn?: 'agent' | 'customer'; intent?: { label: string; score: number };
  /** Channel-provided facts (e-mail: subject, email, cc); older servers send none. */
  meta?: Record<string, string>;
  /** SLA clocks when the conversation's queue has targets (sla-view.ts). */
  sla?: import('./sla-view').SlaView;

  /** The satisfaction survey (core/csat), once the conversation was resolved in a queue that asks. */
  csat?: { state: 'scheduled' | 'asked' | 'answered'; dueAt: string; askedAt?: string; rating?: number; comment?: string; answeredAt?: string; via?: string };

  /** Put aside until a time or the customer's next message (snooze.ts). */
  snooze?: { until?: string; untilReply: boolean; agentId: string } };
export type Attachment = { kind: 'image' | 'file' | 'voice'; mediaId: string; mime?: string; size?: number; name?: string; width?: number; height?: number };
export type Msg = { id: string; seq: number; conversationId: string; sourceId?: string; direction: string; from: { id: string; role: string; name?: string };
  content: any; sentAt: string; private?: boolean; pending?: boolean; delivery?: Delivery };
/** Where an outbound message to a push channel (SMS, e-mail…) stands; web widget messages have none. */
export type Delivery = { state: 'queued' | 'sent' | 'delivered' | 'read' | 'failed'; vendorId?: string; error?: { code: string; message: string }; attempts: number; at: number };
export type ChannelHealth = { state: string; detail?: string; since: number };
/** An item a channel could not take and kept for an admin (e.g. an unreadable mail as a .eml). */
export type ChannelProblem = { id: string; at: number; reason: string; mediaId?: string; name?: string;
  /** A login QR code to scan (wechaty): its payload, and a PNG drawn by the server as a data: URL. */
  qr?: { payload: string; image?: string } };
export type AgentRow = { id: string; name: string; status: string; load: number; capacity: number };
export type QueueRow = { name: string; label: string; priority: number; weight: number; maxWaitS: number; open: boolean; waiting: number; longestWaitS: number; agents: AgentRow[] };
export type Tab = 'mine' | 'waiting' | 'snoozed' | 'all' | 'queues';
/** What survives leaving a conversation's pane, so coming back finds it as it was left. */
export type PaneMemory = { draft: string; selStart: number; selEnd: number; scrollTop?: number };

export const S = {
  me: undefined as undefined | { id: string; name: string; role: string },
  convs: new Map<string, Conv>(),
  msgs: new Map<string, Map<string, Msg>>(),
  preview: new Map<string, string>(),
  unread: new Map<string, number>(),
  agents: [] as AgentRow[],
  /** Bumped by every fresh agent list, so an older HTTP answer arriving late is dropped. */
  agentsVersion: 0,
  queues: [] as QueueRow[],
  channels: {} as Record<string, ChannelHealth>,
  /** Admins only, re-read whenever the Queues tab opens; undefined until the first answer. */
  problems: undefined as undefined | Record<string, ChannelProblem[]>,
  /** Latest delivery state per message id, from history and `delivery` frames (a snapshot never overrides a strictly newer frame). */
  delivery: new Map<string, Delivery>(),
  /** Messages whose Retry request is in flight, and the last Retry error per message (shown as text). */
  retrying: new Set<string>(),
  retryError: new Map<string, string>(),
  /** Message ids whose delivery line must be patched on the next paint. */
  deliveryDirty: new Set<string>(),
  tab: 'mine' as Tab,
  current: undefined as string | undefined,
  ws: undefined as WebSocket | undefined,
  retry: 0,
  outbox: new Map<string, any>(),
  /** Until when each conversation's customer counts as typing (ms since epoch). */
  typingUntil: new Map<string, number>(),
  memory: new Map<string, PaneMemory>(),
  status: 'online',
};

/** Parts of the screen to redraw on the next animation frame; a burst of frames costs one redraw. */
export type Part = 'bar' | 'list' | 'center' | 'head' | 'log' | 'side' | 'delivery';
const dirty = new Set<Part>();
let painter: (parts: Set<Part>) => void = () => {};
let scheduled = false;

export function onPaint(fn: (parts: Set<Part>) => void): void { painter = fn; }

export function invalidate(...parts: Part[]): void {
  for (const p of parts) dirty.add(p);
  if (scheduled) return;
  scheduled = true;
  requestAnimationFrame(() => {
    scheduled = false;
    const parts = new Set(dirty);
    dirty.clear();
    painter(parts);
  });
}

export async function api(path: string, body?: unknown): Promise<any> {
  const res = await fetch(path, body === undefined ? { credentials: 'same-origin' }
    : { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok || json.ok === false) {
    throw Object.assign(new Error(errorText(json?.error?.code, json?.error?.message ?? res.statusText)), { code: json?.error?.code, status: res.status });
  }
  return json;
}

export function sendFrame(frame: unknown): void {
  if (S.ws?.readyState === 1) S.ws.send(JSON.stringify(frame));
}

export function toast(text: string): void {
  const el = h('div', { class: 'toast' }, text);
  document.body.append(el);
  setTimeout(() => el.remove(), 3500);
}

export function rid(): string {
  const a = new Uint8Array(12);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Highest seq up to which we hold every message: resume from there, never skip a gap. */
export function lastSeq(convId: string): number {
  const seqs = new Set<number>();
  for (const m of S.msgs.get(convId)?.values() ?? []) if (!m.pending) seqs.add(m.seq);
  let n = 0;
  while (seqs.has(n + 1)) n++;
  return n;
}

function previewOf(c: any): string | undefined {
  if (c.kind === 'text') return c.text;
  if (c.kind === 'media') {
    const a: Attachment[] = c.attachments ?? [];
    return c.caption || (a[0]?.kind === 'image' ? t.imagePreview : `${t.filePreview} ${a[0]?.name ?? ''}`.trim());
  }
  return undefined; // events (join, assigned…) keep the last message as the preview
}

export function addMessage(m: Msg): void {
  let map = S.msgs.get(m.conversationId);
  if (!map) S.msgs.set(m.conversationId, (map = new Map()));
  if (m.sourceId) map.delete(m.sourceId);
  map.set(m.id, m);
  // A history snapshot never overrides a strictly newer `delivery` frame.
  if (m.delivery && !((S.delivery.get(m.id)?.at ?? -Infinity) > m.delivery.at)) S.delivery.set(m.id, m.delivery);
  const p = previewOf(m.content);
  if (p !== undefined) S.preview.set(m.conversationId, p);
}

export function visible(tab: Tab = S.tab): Conv[] {
  if (tab === 'queues') return [];
  const all = [...S.convs.values()];
  // A snoozed conversation leaves the working lists (Mine, Waiting) until it wakes; All still shows it.
  const list = tab === 'mine' ? all.filter((c) => c.assigneeId === S.me?.id && c.status === 'assigned' && !c.snooze)
    : tab === 'waiting' ? all.filter((c) => (c.status === 'queued' || c.status === 'pending') && !c.snooze)
      : tab === 'snoozed' ? all.filter((c) => c.snooze) : all;
  return list.sort((a, b) => (b.lastMessageAt ?? b.updatedAt).localeCompare(a.lastMessageAt ?? a.updatedAt));
}

/** SMS and e-mail customers without a name go by their number or address, not the internal `sms:…` id. */
const ADDRESSED = new Set(['sms', 'sms_gateway', 'email']);
export const customerName = (c: Conv) => (c.customer.name && placeholderName(c.customer.name))
  ?? (ADDRESSED.has(c.channel) && c.customer.id.startsWith(`${c.channel}:`) ? c.customer.id.slice(c.channel.length + 1) : c.customer.id);

/** The names channels make up for a customer they know nothing about ("Visitor 3F2A", "WeChat user 9KQ2"), in the workspace's language. */
export function placeholderName(name: string): string {
  const visitor = /^Visitor ([A-Z0-9_-]{4})$/.exec(name)?.[1];
  if (visitor) return t.visitorName(visitor);
  const wechat = /^WeChat user ([A-Z0-9_-]{4})$/.exec(name)?.[1];
  return wechat ? t.wechatUserName(wechat) : name;
}
