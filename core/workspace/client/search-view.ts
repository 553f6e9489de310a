import { avatar, h } from './dom';
import { S, api, customerName, toast, type Conv, type Msg } from './state';
import { locale, statusName, t } from './i18n';
import { knownLabels } from './labels';

type Hit = { message: Msg; conversation: Conv };
type Opener = (convId: string, messageId?: string, seq?: number) => Promise<void>;

/** What the dialog had last time it was open: reopening it shows the same search. */
const last = { q: '', channel: '', queue: '', agent: '', status: '', label: '', from: '', to: '' };

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The text with the searched words marked (as text nodes and <mark>s: nothing is parsed as HTML). */
export function marked(text: string, words: string[]): (Node | string)[] {
  const ws = words.filter(Boolean).sort((a, b) => b.length - a.length);
  if (!ws.length) return [text];
  const re = new RegExp(`(${ws.map(escape).join('|')})`, 'giu');
  return text.split(re).map((part, i) => (i % 2 ? h('mark', {}, part) : part));
}

/** About 120 characters around the first searched word, so the match is visible in a long mail. */
export function snippet(text: string, words: string[]): string {
  const lower = text.toLowerCase();
  const at = Math.min(...words.map((w) => lower.indexOf(w)).filter((i) => i >= 0), Infinity);
  if (!Number.isFinite(at) || text.length <= 140) return text.slice(0, 140);
  const start = Math.max(0, at - 50);
  return `${start ? '…' : ''}${text.slice(start, start + 130)}${start + 130 < text.length ? '…' : ''}`;
}

function textOf(m: Msg): string {
  const c = m.content ?? {};
  if (c.kind === 'text') return c.text ?? '';
  if (c.kind === 'media') return [c.caption, ...(c.attachments ?? []).map((a: { name?: string }) => a.name)].filter(Boolean).join(' ');
  return '';
}

const dayStart = (v: string, plusDays = 0) => {
  const d = new Date(`${v}T00:00:00`);
  d.setDate(d.getDate() + plusDays);
  return d.toISOString();
};

/**
 * The search dialog: words plus filters (channel, queue, agent, status, label, dates), customers
 * by name, messages newest first with the words marked; a result opens its conversation at the
 * message. A dialog outside the live panes: frames never rebuild it, so typing is never disturbed.
 */
export function openSearch(open: Opener): void {
  const sel = (name: keyof typeof last, any: string, options: [string, string][]) => {
    const s = h('select', { name, 'aria-label': any }, h('option', { value: '' }, any), ...options.map(([v, l]) => h('option', { value: v }, l))) as HTMLSelectElement;
    s.value = last[name];
    return s;
  };
  const channels = [...new Set([...Object.keys(S.channels), ...[...S.convs.values()].map((c) => c.channel)])].sort();
  const q = h('input', { type: 'search', name: 'q', placeholder: t.searchPlaceholder, 'aria-label': t.search, maxlength: 200, value: last.q }) as HTMLInputElement;
  const channel = sel('channel', t.anyChannel, channels.map((c) => [c, c]));
  const queue = sel('queue', t.anyQueue, S.queues.map((x) => [x.name, x.label || x.name]));
  const agent = sel('agent', t.anyAgent, S.agents.map((a) => [a.id, a.name]));
  const status = sel('status', t.anyStatus, [['bot,queued,assigned,pending', t.open], ['resolved', t.resolved]]);
  const label = sel('label', t.anyLabel, []);
  const from = h('input', { type: 'date', name: 'from', 'aria-label': t.from, value: last.from }) as HTMLInputElement;
  const to = h('input', { type: 'date', name: 'to', 'aria-label': t.to, value: last.to }) as HTMLInputElement;
  const summary = h('div', { class: 'search-summary', 'aria-live': 'polite' });
  const people = h('div', { class: 'search-customers' });
  const results = h('ol', { class: 'search-results' });
  const more = h('button', { class: 'search-more', type: 'button', hidden: true }, t.more) as HTMLButtonElement;
  const dlg = h('dialog', { class: 'search-dialog', 'aria-label': t.searchTitle }) as HTMLDialogElement;
  let next: string | undefined;
  let shown = 0;
  let run = 0;

  void knownLabels().then((ls) => {
    label.append(...ls.map((l) => h('option', { value: l }, l)));
    label.value = last.label;
  });

  const pickConversation = (c: Conv, m?: Msg) => { dlg.close(); void open(c.id, m?.id, m?.seq); };

  const params = () => {
    Object.assign(last, { q: q.value, channel: channel.value, queue: queue.value, agent: agent.value, status: status.value, label: label.value,
      from: from.value, to: to.value });
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries({ q: q.value.trim(), channel: channel.value, queue: queue.value, agent: agent.value, status: status.value, label: label.value })) if (v) p.set(k, v);
    if (from.value) p.set('from', dayStart(from.value));
    if (to.value) p.set('to', dayStart(to.value, 1));
    return p;
  };

  async function search(page?: string): Promise<void> {
    const mine = ++run;
    const p = params();
    if (!p.get('q') && !p.get('label')) return;
    if (page) p.set('before', page);
    summary.textContent = t.searching;
    let r: { messages: Hit[]; customers: Conv[]; labelled?: Conv[]; next?: string; words: string[] };
    try { r = await api(`/api/search?${p}`); } catch (ex) { summary.textContent = ''; return toast((ex as Error).message); }
    if (mine !== run) return; // a newer search started meanwhile
    if (!page) {
      results.replaceChildren();
      shown = 0;
      const row = (c: Conv) => h('button', { type: 'button', class: 'search-customer', 'data-id': c.id, onclick: () => pickConversation(c) },
        avatar(customerName(c)), h('span', {}, customerName(c)), h('span', { class: 'chip' }, c.channel), h('span', { class: `chip ${c.status}` }, statusName(c.status)),
        ...c.tags.slice(0, 3).map((l) => h('span', { class: 'label' }, l)));
      people.replaceChildren(...(r.customers.length ? [h('h4', {}, t.customersFound), ...r.customers.map(row)] : []),
        ...(r.labelled ? [h('h4', {}, t.labelled(p.get('label')!, r.labelled.length)), ...r.labelled.map(row)] : []));
      if (r.labelled) { summary.textContent = ''; more.hidden = true; return; }
    }
    for (const { message: m, conversation: c } of r.messages) {
      const text = textOf(m);
      results.append(h('li', {}, h('button', { type: 'button', class: 'search-hit', 'data-id': m.id, 'data-conversation': c.id, onclick: () => pickConversation(c, m) },
        h('div', { class: 'hit-head' }, h('b', {}, customerName(c)), h('span', { class: 'chip' }, c.channel), h('span', { class: `chip ${c.status}` }, statusName(c.status)),
          ...c.tags.slice(0, 3).map((l) => h('span', { class: 'label' }, l)),
          h('span', { class: 'dim' }, `${m.from.role === 'customer' ? '' : `${m.from.name ?? m.from.role} · `}${new Date(m.sentAt).toLocaleString(locale())}`)),
        h('div', { class: 'hit-text' }, ...marked(snippet(text, r.words), r.words)))));
    }
    shown += r.messages.length;
    next = r.next;
    more.hidden = !next;
    summary.textContent = shown || !page ? (shown ? t.messagesFound(shown, !!next) : t.noResults) : '';
  }

  more.addEventListener('click', () => { if (next) void search(next); });
  const form = h('form', { class: 'search-form', onsubmit: (e: Event) => { e.preventDefault(); void search(); } },
    h('div', { class: 'search-row' }, q, h('button', { class: 'primary', type: 'submit' }, t.searchGo),
      h('button', { type: 'button', class: 'search-close', onclick: () => dlg.close() }, t.closeDialog)),
    h('div', { class: 'search-filters' }, channel, queue, agent, status, label, h('label', {}, t.from, from), h('label', {}, t.to, to)));
  for (const f of [channel, queue, agent, status, label, from, to]) f.addEventListener('change', () => { if (q.value.trim() || label.value) void search(); });
  dlg.append(h('h3', {}, t.searchTitle), form, summary, people, results, more);
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  q.focus();
  if (q.value.trim() || last.label) void search();
}

export const SEARCH_CSS = `
.search-dialog { width: min(860px, 96vw); max-height: 88vh; border: 1px solid #d9dde3; border-radius: 12px; padding: 18px 20px; overflow: auto; }
.search-dialog h3 { margin: 0 0 10px; font-size: 16px; } .search-dialog h4 { margin: 12px 0 6px; font-size: 12px; color: #8a919c; text-transform: uppercase; letter-spacing: .06em; }
.search-row { display: flex; gap: 8px; } .search-row input { flex: 1; min-width: 0; }
.search-filters { display: flex; flex-wrap: wrap; gap: 6px; margin-top: 8px; } .search-filters label { display: flex; gap: 4px; align-items: center; font-size: 12px; color: #5b6372; }
.search-summary { margin: 12px 0 4px; font-size: 13px; color: #5b6372; min-height: 18px; }
.search-results { list-style: none; margin: 0; padding: 0; display: flex; flex-direction: column; gap: 6px; }
.search-hit, .search-customer { width: 100%; text-align: left; display: block; border: 1px solid #e1e4ea; border-radius: 10px; padding: 8px 12px; background: #fff; }
.search-hit:hover, .search-customer:hover { background: #f6f8fb; } .search-customer { display: flex; align-items: center; gap: 8px; margin-bottom: 4px; }
.search-customer .avatar { width: 26px; height: 26px; font-size: 11px; }
.hit-head { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; } .hit-head .dim { margin-left: auto; }
.hit-text { margin-top: 4px; color: #333b4a; overflow-wrap: anywhere; white-space: pre-wrap; } mark { background: #ffe58a; color: inherit; border-radius: 3px; padding: 0 1px; }
.search-more { margin-top: 10px; }
.label { display: inline-flex; align-items: center; gap: 2px; font-size: 11px; border-radius: 10px; padding: 1px 8px; background: #e6f0ff; color: #1d4ed8; }
.labels { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; background: #fff; border-bottom: 1px solid #e1e4ea; padding: 6px 18px; }
.label-chips { display: contents; } .label .x { border: 0; background: none; padding: 0 2px; color: inherit; font-size: 13px; line-height: 1; }
.label-add { font-size: 12px; padding: 3px 8px; width: 130px; border-radius: 10px; }
.snooze-ctl { display: inline-flex; gap: 4px; align-items: center; } select.snooze.on { background: #efe7fd; color: #5b21b6; border-color: #c9b5f5; }
.snooze-at { padding: 4px 6px; } .chip.snoozed { background: #efe7fd; color: #5b21b6; } .item .when .chip.snoozed { display: block; width: max-content; margin: 2px 0 0 auto; }
.list-foot { display: none; padding: 8px 16px; border-top: 1px solid #e1e4ea; font-size: 12px; color: #5b6372; }
.msg.found .body { box-shadow: 0 0 0 3px #ffd23f; transition: box-shadow .3s; }
@media (max-width: 760px) {
  .bar .lang { display: none; } .list-foot { display: block; }
  .search-dialog { width: 100vw; max-width: 100vw; height: 100vh; max-height: 100vh; margin: 0; border-radius: 0; padding: 12px; }
  .search-filters select, .search-filters label { flex: 1 1 40%; } .labels { padding: 6px 10px; } .label-add { width: 110px; }
}
`;
