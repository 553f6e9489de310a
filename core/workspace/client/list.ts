import { ago, avatar, h } from './dom';
import { S, customerName, visible, type Conv, type Tab } from './state';
import { optOutBadge, optedOut, subjectOf } from './channel-view';
import { slaBadge, slaStatus } from './sla-view';
import { statusName, t } from './i18n';
import { snoozeChip } from './snooze';

/**
 * The conversation list. Rows are kept per conversation and only rewritten when what they show
 * changed, so an event elsewhere does not rebuild the list (or steal a click in progress).
 */
export class ConversationList {
  readonly el: HTMLElement;
  private tabs = new Map<Tab, HTMLButtonElement>();
  private items = h('div', { class: 'items' });
  private empty = h('div', { class: 'empty' }, t.nothingHere);
  private rows = new Map<string, { el: HTMLElement; sig: string }>();

  constructor(private onOpen: (id: string) => void, private onTab: (t: Tab) => void) {
    const bar = h('div', { class: 'tabs', role: 'tablist' });
    for (const [tab, label] of [['mine', t.mine], ['waiting', t.waiting], ['snoozed', t.snoozed], ['all', t.all], ['queues', t.queues]] as [Tab, string][]) {
      const b = h('button', { role: 'tab', 'data-tab': tab, onclick: () => this.onTab(tab) }, label) as HTMLButtonElement;
      b.dataset.label = label;
      this.tabs.set(tab, b);
      bar.append(b);
    }
    this.el = h('div', { class: 'list' }, bar, this.items);
  }

  update(): void {
    for (const [tab, b] of this.tabs) {
      const cls = S.tab === tab ? 'on' : '';
      if (b.className !== cls) b.className = cls;
      const text = tab === 'queues' ? b.dataset.label! : `${b.dataset.label} (${visible(tab).length})`;
      if (b.textContent !== text) b.textContent = text;
    }
    const list = visible();
    const keep = new Set(list.map((c) => c.id));
    for (const [id, r] of this.rows) if (!keep.has(id)) { r.el.remove(); this.rows.delete(id); }
    const want = list.map((c) => this.row(c));
    if (S.tab !== 'queues' && want.length === 0) want.push(this.empty);
    // Move only what is out of place: untouched rows keep their node (and hover, focus).
    want.forEach((el, i) => { if (this.items.children[i] !== el) this.items.insertBefore(el, this.items.children[i] ?? null); });
    while (this.items.children.length > want.length) this.items.lastElementChild!.remove();
  }

  private row(c: Conv): HTMLElement {
    const name = customerName(c);
    // An e-mail ticket is known by its subject; the sender stays in the avatar and the title.
    const title = subjectOf(c) ?? name;
    const out = optedOut(c);
    const unread = S.unread.get(c.id);
    const preview = S.preview.get(c.id);
    // The first mail's text starts with the subject, which is the row's title already.
    const sub = (preview && title !== name && preview.startsWith(title) ? preview.slice(title.length).trim() : preview) || `${c.channel} · ${c.queue}`;
    const when = ago(c.lastMessageAt ?? c.updatedAt);
    const on = c.id === S.current;
    const sla = slaStatus(c);
    const sig = JSON.stringify([name, title, out, sub, when, unread, c.status, on, sla?.text, sla?.tone, c.snooze, c.tags]);
    let r = this.rows.get(c.id);
    if (r?.sig === sig) return r.el;
    if (!r) {
      const el = h('div', { class: 'item', 'data-id': c.id, role: 'button', tabindex: 0, onclick: () => this.onOpen(c.id),
        onkeydown: (e: KeyboardEvent) => { if (e.key === 'Enter') this.onOpen(c.id); } });
      this.rows.set(c.id, (r = { el, sig: '' }));
    }
    r.sig = sig;
    r.el.classList.toggle('on', on);
    r.el.replaceChildren(avatar(name),
      h('div', { class: 'text' }, h('div', { class: 'name', title: title === name ? undefined : name }, title),
        out || c.tags.length ? h('div', { class: 'badges' }, out && optOutBadge(), ...c.tags.slice(0, 3).map((l) => h('span', { class: 'label' }, l))) : null, h('div', { class: 'sub', title: sub.slice(0, 300) }, sub)),
      h('div', { class: 'when' }, h('div', {}, when), unread ? h('span', { class: 'unread' }, unread) : h('span', { class: `chip ${c.status}` }, statusName(c.status)), slaBadge(c), snoozeChip(c)));
    return r.el;
  }
}
