import { h } from './dom';
import { api, toast, type Conv } from './state';
import { locale, t } from './i18n';

const H = 3600_000;

/** Tomorrow at 9:00, or the coming Monday at 9:00, in the agent's own time zone. */
function nineOn(daysAhead: (d: Date) => number): number {
  const d = new Date();
  d.setDate(d.getDate() + daysAhead(d));
  d.setHours(9, 0, 0, 0);
  return d.getTime();
}
const CHOICES: [string, () => string, () => { until?: number; untilReply?: boolean }][] = [
  ['1h', () => t.snooze1h, () => ({ until: Date.now() + H })],
  ['4h', () => t.snooze4h, () => ({ until: Date.now() + 4 * H })],
  ['tomorrow', () => t.snoozeTomorrow, () => ({ until: nineOn(() => 1) })],
  ['monday', () => t.snoozeWeek, () => ({ until: nineOn((d) => ((8 - d.getDay()) % 7) || 7) })],
  ['reply', () => t.snoozeReply, () => ({ untilReply: true })],
];

function when(iso: string): string {
  const d = new Date(iso);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay ? d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' })
    : d.toLocaleString(locale(), { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

export const snoozeText = (c: Conv) => (!c.snooze ? '' : c.snooze.until ? t.snoozedUntil(when(c.snooze.until)) : t.snoozedReply);

/** The list row's mark of a snoozed conversation: short (the row's name needs the room), the full text as its title. */
export function snoozeChip(c: Conv): HTMLElement | null {
  return c.snooze ? h('span', { class: 'chip snoozed', title: snoozeText(c) }, c.snooze.until ? when(c.snooze.until) : t.untilReplyShort) : null;
}

/**
 * The chat head's Snooze menu: one element for the pane's life (the head is rebuilt around it),
 * patched when the conversation's snooze changes. A custom time is typed in a datetime field.
 */
export class SnoozeControl {
  readonly el: HTMLElement;
  private select: HTMLSelectElement;
  private custom = h('input', { type: 'datetime-local', class: 'snooze-at', 'aria-label': t.snoozePick, hidden: true }) as HTMLInputElement;
  private ok = h('button', { class: 'snooze-ok', hidden: true }, t.snooze) as HTMLButtonElement;
  private sig = '';

  constructor(private convId: string) {
    this.select = h('select', { class: 'snooze', 'aria-label': t.snooze, onchange: () => this.chosen() }) as HTMLSelectElement;
    this.ok.addEventListener('click', () => {
      const at = this.custom.value ? new Date(this.custom.value).getTime() : NaN;
      if (!(at > Date.now())) return toast(t.badTime);
      void this.send('snooze', { until: at });
    });
    this.el = h('span', { class: 'snooze-ctl' }, this.select, this.custom, this.ok);
  }

  update(c: Conv): void {
    const sig = JSON.stringify([c.snooze, c.status]);
    if (sig === this.sig) return;
    this.sig = sig;
    this.select.disabled = c.status === 'resolved';
    this.select.classList.toggle('on', !!c.snooze);
    this.select.replaceChildren(h('option', { value: '' }, c.snooze ? snoozeText(c) : t.snoozeFor),
      ...CHOICES.map(([v, label]) => h('option', { value: v }, label())), h('option', { value: 'pick' }, t.snoozePick),
      ...(c.snooze ? [h('option', { value: 'wake' }, t.unsnooze)] : []));
    this.select.value = '';
    this.custom.hidden = this.ok.hidden = true;
  }

  private chosen(): void {
    const v = this.select.value;
    if (!v) return;
    if (v === 'pick') {
      this.custom.hidden = this.ok.hidden = false;
      this.custom.focus();
      return;
    }
    if (v === 'wake') return void this.send('unsnooze', {});
    const choice = CHOICES.find(([k]) => k === v);
    if (choice) void this.send('snooze', choice[2]());
  }

  private async send(path: 'snooze' | 'unsnooze', body: unknown): Promise<void> {
    try { await api(`/api/conversations/${encodeURIComponent(this.convId)}/${path}`, body); } catch (ex) { toast((ex as Error).message); }
    this.select.value = '';
    this.custom.hidden = this.ok.hidden = true;
  }
}
