import { h } from './dom';
import { S } from './state';
import { t } from './i18n';

/** The server's CSAT totals (core/csat/csat-totals.ts), as the supervisor frame carries them. */
export type CsatRow = { asked: number; answered: number; average: number | null; csatPct: number | null; responsePct: number | null };
export type CsatWindow = { queues: ({ queue: string } & CsatRow)[]; agents: ({ agentId: string } & CsatRow)[] };
export type CsatSummary = { today: CsatWindow; week: CsatWindow };

export const CSAT_CSS = `
.sup .csat-wrap { overflow-x: auto; } .sup .csat-wrap + .csat-wrap { margin-top: 12px; } .sup table.csat td.win { color: #69707d; white-space: nowrap; }
.sup table.csat tr.week td { border-bottom: 1px solid #e1e4ea; } .sup table.csat td.low { color: #b42318; font-weight: 600; }
`;

let summary: CsatSummary | undefined;
export function onSupervisorCsat(s: CsatSummary | undefined): void { summary = s; }

const EMPTY: CsatRow = { asked: 0, answered: 0, average: null, csatPct: null, responsePct: null };
const pct = (n: number | null) => (n === null ? '—' : `${n}%`);

/** Queues tab: "Satisfaction", per queue and per agent, today and the last 7 days (the 7 days hold every name today has). */
export function csatTables(): HTMLElement[] {
  if (!summary) return [];
  const s = summary;
  const agentName = (id: string) => (id ? S.agents.find((a) => a.id === id)?.name ?? id : t.unassigned);
  const cells = (r: CsatRow) => [
    h('td', { class: 'num' }, r.answered),
    h('td', { class: 'num' }, r.average === null ? '—' : r.average.toFixed(1)),
    // Under 60 % of ratings at 4–5 is a queue someone should look at.
    h('td', { class: `num${r.csatPct !== null && r.csatPct < 60 ? ' low' : ''}` }, pct(r.csatPct)),
    h('td', { class: 'num' }, r.asked),
    h('td', { class: 'num' }, pct(r.responsePct))];
  const rows = (names: string[], label: (n: string) => string, attr: string, today: (n: string) => CsatRow | undefined, week: (n: string) => CsatRow | undefined) =>
    names.length === 0 ? [h('tr', {}, h('td', { colspan: 7, class: 'dim' }, t.csatNone))]
      : names.flatMap((n) => [
        h('tr', { [attr]: n || 'unassigned', 'data-window': 'today' }, h('td', { rowspan: 2 }, h('b', {}, label(n))), h('td', { class: 'win' }, t.csatToday), ...cells(today(n) ?? EMPTY)),
        h('tr', { [attr]: n || 'unassigned', 'data-window': 'week', class: 'week' }, h('td', { class: 'win' }, t.csatWeek), ...cells(week(n) ?? EMPTY))]);
  const table = (first: string, body: HTMLElement[], cls: string) => h('div', { class: 'csat-wrap' }, h('table', { class: `csat ${cls}` },
    h('thead', {}, h('tr', {}, ...[first, ...t.csatHeads].map((x) => h('th', {}, x)))), h('tbody', {}, ...body)));
  const queues = table(t.csatQueue, rows(s.week.queues.map((q) => q.queue), (n) => n, 'data-csat-queue',
    (n) => s.today.queues.find((q) => q.queue === n), (n) => s.week.queues.find((q) => q.queue === n)), 'csat-queues');
  const agents = table(t.csatAgent, rows(s.week.agents.map((a) => a.agentId), agentName, 'data-csat-agent',
    (n) => s.today.agents.find((a) => a.agentId === n), (n) => s.week.agents.find((a) => a.agentId === n)), 'csat-agents');
  return [h('h3', {}, t.csatTitle), queues, agents];
}
