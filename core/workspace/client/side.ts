import { h } from './dom';
import { S, api, invalidate, placeholderName, toast, type Conv } from './state';
import { customerAddress, isEmail, isSms, optedOut, ticketState } from './channel-view';
import { wechatRows } from './channel-wechat';
import { slaTables } from './sla-view';
import { csatTables } from './csat-view';
import { contactSection } from './contact-view';
import { locale, t, ticketName } from './i18n';

/** Customer details of the open conversation and the team's presence and load. No inputs: rebuilt freely. */
export function sideContent(): HTMLElement[] {
  const c = S.current ? S.convs.get(S.current) : undefined;
  const dl = (rows: [string, string | number][]) => h('dl', {}, ...rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
  // The mail's own sender address when the channel gave it (the id is the same address, lower-cased).
  const address = c && (c.meta?.email || customerAddress(c));
  const contact: [string, string][] = c && address ? isEmail(c) ? [[t.cdEmail, address]] : isSms(c) ? [[t.cdPhone, address]] : [] : [];
  if (c && optedOut(c)) contact.push([t.cdSms, t.optedOut]);
  // A directory's facts about the customer (DingTalk and Feishu employees: department, job title, the group they wrote in).
  for (const [key, label] of [['department', t.cdDepartment], ['title', t.cdTitle], ['group', t.cdGroup]] as const) if (c?.meta?.[key]) contact.push([label, c.meta[key]]);
  if (c) contact.push(...wechatRows(c));
  if (c && isEmail(c)) {
    if (c.meta?.cc) contact.push([t.cdCc, c.meta.cc]);
    contact.push([t.cdTicket, ticketName(ticketState(c)!)]);
  }
  const customer = c ? [h('div', {}, h('h3', {}, t.customer), dl([[t.cdName, c.customer.name ? placeholderName(c.customer.name) : '—'], ...contact, [t.cdId, c.customer.id], [t.cdChannel, c.channel], [t.cdQueue, c.queue],
    [t.cdSince, new Date(c.createdAt).toLocaleString(locale())], [t.cdMessages, c.lastSeq], [t.cdTags, c.tags.join(', ') || '—'], ...csatRows(c)]))] : [];
  return [
    h('button', { class: 'side-close', 'aria-label': t.cdHide, onclick: () => document.querySelector('.shell')?.classList.remove('side-open') }, '×'),
    ...customer,
    ...contactSection(c?.id),
    h('h3', {}, t.cdTeam),
    ...S.agents.map((a) => h('div', { class: 'agent-row', 'data-agent': a.id },
      h('span', {}, h('span', { class: `dot ${a.status}` }), a.name), h('span', { class: 'load' }, `${a.load}/${a.capacity}`))),
  ];
}

/** The satisfaction survey as the agent reads it: when it goes out, that it is waiting, or the rating and comment. */
function csatRows(c: Conv): [string, string][] {
  const s = c.csat;
  if (!s) return [];
  if (s.state === 'scheduled') return [[t.cdSatisfaction, t.cdSurveyDue(new Date(s.dueAt).toLocaleString(locale()))]];
  if (s.state === 'asked') return [[t.cdSatisfaction, t.cdSurveyAsked]];
  return [[t.cdSatisfaction, `${'★'.repeat(s.rating ?? 0)}${'☆'.repeat(5 - (s.rating ?? 0))} ${s.rating}/5`], ...(s.comment ? [[t.cdComment, s.comment] as [string, string]] : [])];
}

function fmtWait(s: number): string {
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** Supervisor view: per queue waiting, longest wait (red past max wait), agents and load. Live. */
export function supervisorView(back: () => void): HTMLElement {
  const rows = S.queues.map((q) => h('tr', {},
    h('td', {}, h('b', {}, q.label || q.name), h('div', { class: 'dim' }, t.supQueueLine(q.name, q.priority, q.weight))),
    h('td', {}, q.open ? t.supOpen : t.supClosed),
    h('td', { class: 'num' }, q.waiting),
    h('td', { class: `num${q.longestWaitS > q.maxWaitS ? ' late' : ''}` }, q.waiting ? fmtWait(q.longestWaitS) : '—', h('div', { class: 'dim' }, t.supMax(fmtWait(q.maxWaitS)))),
    h('td', {}, ...(q.agents.length ? q.agents.map((a) => h('div', {}, h('span', { class: `dot ${a.status}` }), `${a.name} ${a.load}/${a.capacity}`)) : [t.noAgent]))));
  const table = (heads: string[], body: HTMLElement[], cls = '') => h('table', { class: cls },
    h('thead', {}, h('tr', {}, ...heads.map((x) => h('th', {}, x)))), h('tbody', {}, ...body));
  return h('div', { class: 'chat' }, h('div', { class: 'head' }, h('button', { class: 'back', 'aria-label': t.back, onclick: back }, '‹'), h('div', { class: 'who' }, t.supQueues), h('div', { class: 'grow' }), h('span', { class: 'dim' }, t.supLive)),
    h('div', { class: 'sup' }, table(t.supHeads, rows), ...slaTables(), ...csatTables(),
      h('h3', {}, t.supChannels), table(t.supChannelHeads, channelRows(), 'channels'),
      ...(S.me?.role === 'admin' ? [h('h3', {}, t.supNeedsAttention), table(t.supProblemHeads, problemRows(), 'problems')] : [])));
}

/** Green: working; amber: trying or partly working; red: needs someone (credentials); grey: off. */
const TONE: Record<string, string> = { connected: 'ok', running: 'ok', connecting: 'warn', degraded: 'warn', auth_failed: 'bad', stopped: 'off' };
const label = (state: string) => (state === 'auth_failed' ? t.authFailed : state);

function sinceText(ms: number): string {
  const d = new Date(ms);
  return d.toDateString() === new Date().toDateString() ? d.toLocaleTimeString() : d.toLocaleString();
}

/** Channel health, so a supervisor sees a vendor connection in trouble before the customers do. */
function channelRows(): HTMLElement[] {
  const names = Object.keys(S.channels).sort();
  if (names.length === 0) return [h('tr', {}, h('td', { colspan: 4, class: 'dim' }, t.supNoHealth))];
  return names.map((n) => {
    const c = S.channels[n];
    return h('tr', { 'data-channel': n, 'data-state': c.state },
      h('td', {}, h('b', {}, n)),
      h('td', { class: `cstate ${TONE[c.state] ?? 'off'}` }, h('span', { class: 'cdot' }), label(c.state)),
      h('td', { class: c.detail ? '' : 'dim' }, c.detail || '—'),
      h('td', { class: 'num', title: new Date(c.since).toLocaleString() }, sinceText(c.since)));
  });
}

/** What channels could not take (a mail nobody could read), kept as files for an admin to open. */
function problemRows(): HTMLElement[] {
  if (!S.problems) return [h('tr', {}, h('td', { colspan: 5, class: 'dim' }, t.loading))];
  const rows = Object.entries(S.problems).sort(([a], [b]) => a.localeCompare(b)).flatMap(([n, list]) => list.map((p) => ({ n, p })));
  if (rows.length === 0) return [h('tr', {}, h('td', { colspan: 5, class: 'dim' }, t.supNothing))];
  return rows.map(({ n, p }) => h('tr', { 'data-channel': n, 'data-problem': p.id },
    h('td', {}, h('b', {}, n)),
    h('td', { class: 'num', title: new Date(p.at).toLocaleString() }, sinceText(p.at)),
    h('td', {}, p.reason, ...(p.qr ? qrCode(p.qr) : [])),
    h('td', {}, p.mediaId ? h('a', { href: `/media/${encodeURIComponent(p.mediaId)}`, download: p.name ?? '' }, p.name ?? t.download) : h('span', { class: 'dim' }, '—')),
    // A login code leaves the list by itself once the account is logged in.
    h('td', {}, p.qr ? '' : h('button', { class: 'dismiss', title: t.supDismissTitle, onclick: () => dismiss(n, p.id) }, t.supDismiss))));
}

/** The login QR code as the server drew it (only a PNG data: URL is shown), and its content as text for when no picture could be drawn. */
function qrCode(qr: { payload: string; image?: string }): HTMLElement[] {
  const img = qr.image?.startsWith('data:image/png;base64,') ? h('img', { class: 'qr', src: qr.image, alt: t.qrAlt, width: 220, height: 220 }) : undefined;
  return [
    ...(img ? [h('div', {}, img)] : []),
    h('div', { class: 'dim' }, img ? t.qrContent : t.qrNoPicture, h('code', {}, qr.payload)),
  ];
}

function dismiss(channel: string, id: string): void {
  api('/api/channels/problems/dismiss', { channel, id }).then(() => {
    const list = S.problems?.[channel];
    if (list) S.problems![channel] = list.filter((p) => p.id !== id);
    invalidate('center');
  }, (err) => toast(t.supDismissError((err as Error).message)));
}
