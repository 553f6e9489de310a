import { h } from './dom';
import { api, toast, type Conv } from './state';
import { t } from './i18n';

/** Labels in use across the team, for the input's suggestions; read once per page and after each add. */
let known: string[] = [];
let loading: Promise<void> | undefined;
export function knownLabels(): Promise<string[]> {
  loading ??= api('/api/labels').then((r) => { known = r.labels.map((l: { label: string }) => l.label); }, () => {}).finally(() => { loading = undefined; });
  return loading.then(() => known);
}

/**
 * The open conversation's labels (the conversation's tags): chips with a remove button and an input
 * that adds one on Enter. Built once per pane; a live update rewrites the chips only, so a label
 * being typed keeps its text and focus.
 */
export class LabelBar {
  readonly el: HTMLElement;
  private chips = h('span', { class: 'label-chips' });
  private input: HTMLInputElement;
  private list: HTMLElement;
  private sig = '';

  constructor(private convId: string) {
    const listId = `labels-${convId}`;
    this.list = h('datalist', { id: listId });
    this.input = h('input', { class: 'label-add', placeholder: t.addLabel, 'aria-label': t.addLabel, list: listId, maxlength: 40,
      onfocus: () => void this.suggest(),
      onkeydown: (e: KeyboardEvent) => { if (e.key === 'Enter' && !e.isComposing) { e.preventDefault(); void this.add(); } } }) as HTMLInputElement;
    this.el = h('div', { class: 'labels', role: 'group', 'aria-label': t.labels }, this.chips, this.input, this.list);
  }

  update(c: Conv): void {
    const sig = JSON.stringify(c.tags);
    if (sig === this.sig) return;
    this.sig = sig;
    this.chips.replaceChildren(...c.tags.map((l) => h('span', { class: 'label', 'data-label': l }, l,
      h('button', { class: 'x', title: t.removeLabel(l), 'aria-label': t.removeLabel(l), onclick: () => void this.change({ remove: [l] }) }, '×'))));
  }

  private async suggest(): Promise<void> {
    const labels = await knownLabels();
    this.list.replaceChildren(...labels.map((l) => h('option', { value: l })));
  }

  private async add(): Promise<void> {
    const label = this.input.value.trim();
    if (!label) return;
    if (await this.change({ add: [label] })) this.input.value = '';
    known = [...new Set([label, ...known])];
  }

  private async change(body: { add?: string[]; remove?: string[] }): Promise<boolean> {
    try {
      await api(`/api/conversations/${encodeURIComponent(this.convId)}/labels`, body);
      return true;
    } catch (ex) {
      toast((ex as Error).message);
      return false;
    }
  }
}
