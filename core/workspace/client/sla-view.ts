import { h } from './dom';
import { S, customerName, invalidate, toast, type Conv } from './state';
import * as i18n from './i18n';

/**
 * SLA clocks in the workspace: the nearest time left on a list row and in the chat head, in red
 * once breached, "paused" while waiting on the customer; breaches per queue and agent in the
 * Queues tab. The server sends each clock's due time and the open spans until then, so the
 * countdown stays right over nights and weekends without the schedule; times are read on the
 * server's clock (`at`), so an agent's computer clock being off does not move a deadline.
 */
export type SlaTarget = { target: string; state: 'running' | 'paused' | 'met' | 'breached'; dueAt?: number | null; leftMs?: number;
  startedAt: number; stoppedAt?: number; spans?: [number, number][] };
export type SlaView = { at: number; targets: SlaTarget[] };
export type SlaSummary = { queues: { queue: string; tracked: number; active: number; breached: number; byTarget: Record<string, number> }[];
  agents: { agentId: string; active: number; breached: number }[] };

export const SLA_CSS = `
.sla { display: inline-block; font-size: 11px; border-radius: 6px; padding: 1px 6px; margin-top: 2px; white-space: nowrap; background: #eef0f4; color: #4a5261; }
.sla.running { background: #e6f0ff; color: #1d4ed8; } .sla.soon { background: #fff4d6; color: #8a5a00; }
.sla.breached { background: #fee4e2; color: #b42318; font-weight: 600; } .sla.paused { background: #eef0f4; color: #69707d; }
.item .when .sla { display: block; margin-left: auto; width: max-content; }
.sup td.sla-late { color: #b42318; font-weight: 600; }
`;

const label = (target: string) => { const s = (i18n.t as Record<string, unknown>)[`sla_${target}`]; return typeof s === 'string' ? s : target; };
/** Offset of the server's clock from this browser's, per received view. */
const skew = new WeakMap<SlaView, number>();
let summary: SlaSummary | undefined;

/** Call for every conversation that arrives (list answer, frames): its clocks are read from now on. */
export function receiveSla(c: Conv | undefined): void {
  if (c?.sla) skew.set(c.sla, c.sla.at - Date.now());
}

export function onSlaFrame(f: { conversationId: string; sla?: SlaView }): void {
  const c = S.convs.get(f.conversationId);
  if (!c) return;
  c.sla = f.sla;
  receiveSla(c);
  invalidate('list', ...(c.id === S.current ? ['head'] as const : []));
}

export function onBreachFrame(f: { conversationId: string; target: string; agentId?: string }): void {
  const c = S.convs.get(f.conversationId);
  if (!c || (S.me?.role !== 'admin' && f.agentId !== S.me?.id)) return;
  toast(i18n.t.slaBreachedToast(label(f.target), customerName(c)));
}

export function onSupervisorSla(s: SlaSummary | undefined): void { summary = s; }

function fmt(ms: number): string {
  const m = Math.floor(ms / 60_000);
  if (m < 1) return '<1m';
  if (m < 60) return `${m}m`;
  if (m < 24 * 60) return `${Math.floor(m / 60)}h${m % 60 ? ` ${m % 60}m` : ''}`;
  return `${Math.floor(m / 1440)}d ${Math.floor((m % 1440) / 60)}h`;
}

/** Open time between now and due over the spans the server sent (wall time when it sent none). */
function leftOf(t: SlaTarget, now: number): number {
  if (!t.spans) return Math.max(0, (t.dueAt ?? now) - now);
  let left = 0;
  for (const [a, b] of t.spans) left += Math.max(0, b - Math.max(a, now));
  return left;
}

/** What one conversation's clocks come to now: the most overdue breach, else the nearest due, else paused. */
export function slaStatus(c: Conv): { text: string; tone: 'breached' | 'soon' | 'running' | 'paused'; title: string } | undefined {
  const v = c.sla;
  if (!v || c.status === 'resolved') return undefined;
  const now = Date.now() + (skew.get(v) ?? 0);
  let overdue: SlaTarget | undefined;
  let nearest: { t: SlaTarget; left: number } | undefined;
  let paused: SlaTarget | undefined;
  for (const t of v.targets) {
    const due = t.dueAt ?? undefined;
    const late = (t.state === 'breached' && t.stoppedAt === undefined) || (t.state === 'running' && due !== undefined && now >= due);
    if (late && due !== undefined) { if (!overdue || due < overdue.dueAt!) overdue = t; continue; }
    if (t.state === 'running' && due !== undefined) {
      const left = leftOf(t, now);
      if (!nearest || left < nearest.left) nearest = { t, left };
    }
    if (t.state === 'paused') paused ??= t;
  }
  if (overdue) {
    const ago = now - overdue.dueAt!;
    return { text: ago < 60_000 ? i18n.t.slaBreachedNow : i18n.t.slaBreachedAgo(fmt(ago)), tone: 'breached',
      title: i18n.t.slaWasDue(label(overdue.target), new Date(overdue.dueAt!).toLocaleString(i18n.locale())) };
  }
  if (nearest) {
    return { text: i18n.t.slaLeft(fmt(nearest.left)), tone: nearest.left <= 5 * 60_000 ? 'soon' : 'running',
      title: i18n.t.slaLeftTitle(label(nearest.t.target), fmt(nearest.left), new Date(nearest.t.dueAt!).toLocaleString(i18n.locale())) };
  }
  if (paused) return { text: i18n.t.slaPaused, tone: 'paused', title: i18n.t.slaPausedTitle };
  return undefined;
}

/** The badge for a list row (a fresh node: rows are rebuilt when their signature, which includes the text, changes). */
export function slaBadge(c: Conv): HTMLElement | null {
  const s = slaStatus(c);
  return s ? h('span', { class: `sla ${s.tone}`, title: s.title, 'data-sla': s.tone }, s.text) : null;
}

/** The chat head keeps one badge node and patches it, so a tick never rebuilds the head (or its open select). */
export function patchSlaBadge(el: HTMLElement, c: Conv | undefined): void {
  const s = c && slaStatus(c);
  el.hidden = !s;
  const cls = s ? `sla ${s.tone}` : 'sla';
  if (el.className !== cls) el.className = cls;
  if (s && el.textContent !== s.text) el.textContent = s.text;
  if (s && el.title !== s.title) el.title = s.title;
  if (s) el.dataset.sla = s.tone;
}

/** Queues tab: breaches per queue and per agent (open conversations only). */
export function slaTables(): HTMLElement[] {
  if (!summary || summary.queues.length === 0) return [];
  const name = (id: string) => (id ? S.agents.find((a) => a.id === id)?.name ?? id : i18n.t.unassigned);
  const table = (heads: string[], rows: HTMLElement[], cls: string) => h('table', { class: cls },
    h('thead', {}, h('tr', {}, ...heads.map((t) => h('th', {}, t)))), h('tbody', {}, ...rows));
  const queues = summary.queues.map((q) => h('tr', { 'data-sla-queue': q.queue },
    h('td', {}, h('b', {}, q.queue)), h('td', { class: 'num' }, q.tracked),
    h('td', { class: `num${q.active ? ' sla-late' : ''}` }, q.active),
    h('td', {}, Object.entries(q.byTarget).filter(([, n]) => n > 0).map(([t, n]) => `${label(t)} ${n}`).join(' · ') || '—'),
    h('td', { class: 'num' }, q.breached)));
  const agents = summary.agents.length ? summary.agents.map((a) => h('tr', { 'data-sla-agent': a.agentId || 'unassigned' },
    h('td', {}, name(a.agentId)), h('td', { class: `num${a.active ? ' sla-late' : ''}` }, a.active), h('td', { class: 'num' }, a.breached)))
    : [h('tr', {}, h('td', { colspan: 3, class: 'dim' }, i18n.t.slaNoBreach))];
  return [h('h3', {}, i18n.t.slaBreaches), table(i18n.t.slaQueueHeads, queues, 'sla-queues'), table(i18n.t.slaAgentHeads, agents, 'sla-agents')];
}
