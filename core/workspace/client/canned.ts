import { h } from './dom';
import { S, api, customerName, toast } from './state';
import { rankCanned, renderCanned } from '../canned-render';
import * as i18n from './i18n';

export type Canned = { id: string; scope: 'team' | 'personal'; shortcut: string; title?: string; text: string; lang?: string; intents: string[] };

let cache: { at: number; list: Canned[] } | undefined;

/** The team's and my replies; re-read at most every 30 s so a colleague's new reply shows up soon. */
async function cannedList(force = false): Promise<Canned[]> {
  if (!force && cache && Date.now() - cache.at < 30_000) return cache.list;
  cache = { at: Date.now(), list: (await api('/api/canned')).replies };
  return cache.list;
}

/** `/` + shortcut right before the caret, at the start or after a space: what the picker replaces. */
function tokenAt(ta: HTMLTextAreaElement): { start: number; query: string } | undefined {
  if (ta.selectionStart !== ta.selectionEnd) return undefined;
  const m = /(^|\s)\/([^\s/]{0,32})$/u.exec(ta.value.slice(0, ta.selectionStart));
  return m ? { start: ta.selectionStart - m[2].length - 1, query: m[2] } : undefined;
}

/**
 * The canned-reply picker of one reply box: typing `/` lists the replies, more letters filter
 * them, ↑/↓ choose, Enter or Tab insert (variables filled in, so the agent sees exactly what
 * will be sent), Esc closes. Its keydown listener must be added before the box's own (Enter sends).
 */
export class CannedPicker {
  readonly el = h('ul', { class: 'canned-picker', role: 'listbox', 'aria-label': i18n.t.cannedManager, hidden: true });
  private shown: Canned[] = [];
  private sel = 0;
  private token?: { start: number; query: string };
  private seq = 0;

  constructor(private ta: HTMLTextAreaElement, private convId: string, private changed: () => void) {
    ta.addEventListener('keydown', (e) => this.key(e));
    ta.addEventListener('input', () => void this.update());
    ta.addEventListener('blur', () => setTimeout(() => this.close(), 200));
  }

  private async update(): Promise<void> {
    const t = tokenAt(this.ta);
    if (!t) return this.close();
    const seq = ++this.seq;
    let list: Canned[];
    try { list = await cannedList(); } catch (err) { return void toast(i18n.t.cannedError((err as Error).message)); }
    if (seq !== this.seq) return; // typed on meanwhile
    const c = S.convs.get(this.convId);
    this.token = t;
    this.shown = rankCanned(list, t.query, { intent: c?.intent?.label, lang: i18n.lang }).slice(0, 8);
    this.sel = 0;
    this.render();
  }

  private render(): void {
    if (this.shown.length === 0) {
      this.el.replaceChildren(h('li', { class: 'dim' }, this.token?.query ? i18n.t.cannedNoMatch(this.token.query) : i18n.t.cannedNone));
    } else {
      this.el.replaceChildren(...this.shown.map((r, i) => h('li', { role: 'option', 'aria-selected': String(i === this.sel), class: i === this.sel ? 'sel' : '',
        onmousedown: (e: Event) => { e.preventDefault(); this.sel = i; this.insert(); } },
        h('b', {}, `/${r.shortcut}`), r.title ? h('span', { class: 'title' }, r.title) : null,
        h('span', { class: 'chip' }, r.scope === 'team' ? 'team' : 'mine'), h('div', { class: 'dim' }, r.text.slice(0, 120)))));
    }
    this.el.hidden = false;
  }

  private key(e: KeyboardEvent): void {
    if (this.el.hidden || e.isComposing) return;
    const n = this.shown.length;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (n) this.sel = (this.sel + (e.key === 'ArrowDown' ? 1 : n - 1)) % n;
      this.render();
    } else if ((e.key === 'Enter' || e.key === 'Tab') && n && !e.shiftKey) this.insert();
    else if (e.key === 'Escape') this.close();
    else return;
    e.preventDefault();
    e.stopImmediatePropagation(); // the box's Enter-to-send must not fire
  }

  private insert(): void {
    const r = this.shown[this.sel];
    const t = this.token;
    const c = S.convs.get(this.convId);
    if (!r || !t || !c) return;
    const text = renderCanned(r.text, { customer: { name: customerName(c) }, agent: { name: S.me?.name }, conversation: { id: c.id } });
    const end = this.ta.selectionStart;
    this.ta.setRangeText(text, t.start, end, 'end');
    this.close();
    this.ta.focus();
    this.changed();
  }

  close(): void {
    this.seq++;
    this.token = undefined;
    if (!this.el.hidden) this.el.hidden = true;
  }
}

/**
 * Managing the libraries: a dialog outside the live-updated panes, so its inputs survive every
 * frame. Everyone edits their own replies; admins also the team's.
 */
export async function openCannedManager(): Promise<void> {
  const tr = i18n.t;
  const dlg = h('dialog', { class: 'canned-manager', 'aria-label': tr.cannedManager }) as HTMLDialogElement;
  const rows = h('tbody');
  const field = (name: string, attrs: Record<string, unknown> = {}) => h(attrs.rows ? 'textarea' : 'input', { name, 'aria-label': name, ...attrs }) as HTMLInputElement;
  const f = { shortcut: field('shortcut', { placeholder: tr.cannedShortcutHint }), title: field('title', { placeholder: tr.cannedTitleHint }),
    text: field('text', { rows: 3, placeholder: tr.cannedTextHint }), lang: field('lang', { placeholder: i18n.lang }),
    intents: field('intents', { placeholder: tr.cannedIntentsHint }) };
  const scope = h('select', { name: 'scope', 'aria-label': tr.cannedScope }, h('option', { value: 'personal' }, tr.cannedMine),
    S.me?.role === 'admin' ? h('option', { value: 'team' }, tr.cannedTeam) : null) as HTMLSelectElement;
  const refresh = async () => {
    const list = await cannedList(true);
    rows.replaceChildren(...(list.length ? list.map((r) => h('tr', { 'data-id': r.id },
      h('td', {}, h('b', {}, `/${r.shortcut}`)), h('td', {}, r.title ?? ''), h('td', { class: 'text' }, r.text), h('td', {}, r.scope === 'team' ? tr.cannedTeam : tr.cannedMine),
      h('td', {}, r.intents.join(', ')),
      h('td', {}, (r.scope === 'personal' || S.me?.role === 'admin') && h('button', { class: 'delete', onclick: async () => {
        try { await api(`/api/canned/${encodeURIComponent(r.id)}/delete`, {}); await refresh(); } catch (err) { toast((err as Error).message); }
      } }, tr.cannedDelete)))) : [h('tr', {}, h('td', { colspan: 6, class: 'dim' }, tr.cannedNone))]));
  };
  const add = async (e: Event) => {
    e.preventDefault();
    const body = { scope: scope.value, shortcut: f.shortcut.value, title: f.title.value || undefined, text: f.text.value, lang: f.lang.value || undefined,
      intents: f.intents.value.split(',').map((s) => s.trim()).filter(Boolean) };
    try {
      await api('/api/canned', body);
      for (const k of ['shortcut', 'title', 'text', 'intents'] as const) f[k].value = '';
      await refresh();
    } catch (err) { toast((err as Error).message); }
  };
  dlg.append(h('h3', {}, tr.canned), h('p', { class: 'dim' }, tr.cannedHelp),
    h('table', {}, h('thead', {}, h('tr', {}, ...tr.cannedHeads.map((t) => h('th', {}, t)))), rows),
    h('form', { class: 'canned-add', onsubmit: add }, scope, f.shortcut, f.title, f.lang, f.intents, f.text,
      h('button', { class: 'primary', type: 'submit' }, tr.cannedAdd), h('button', { type: 'button', onclick: () => dlg.close() }, tr.closeDialog)));
  dlg.addEventListener('close', () => dlg.remove());
  document.body.append(dlg);
  dlg.showModal();
  await refresh().catch((err) => toast((err as Error).message));
}
