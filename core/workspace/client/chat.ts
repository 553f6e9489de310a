import { avatar, h } from './dom';
import { bubble } from './message-view';
import { patchDelivery } from './delivery-view';
import { CannedPicker } from './canned';
import { S, api, customerName, sendFrame, toast, type Conv, type Msg } from './state';
import { customerAddress, isEmail, isSms, optOutBadge, optedOut, segmentText, subjectOf, ticketState } from './channel-view';
import { patchSlaBadge } from './sla-view';
import { statusName, t, ticketName } from './i18n';
import { LabelBar } from './labels';
import { SnoozeControl } from './snooze';

export interface ChatActions {
  send(convId: string, text: string, priv: boolean, attachments?: any[]): void;
  back(): void;
}

/** Distance from the bottom (px) under which the log counts as "at the bottom" and follows new messages. */
const STICK_PX = 30;

/**
 * The open conversation: built once when it is opened, then patched. The composer is never
 * rebuilt while the conversation stays open, so the draft, focus and selection stay untouched.
 */
export class ChatPane {
  readonly el: HTMLElement;
  private head = h('div', { class: 'head' });
  private log = h('div', { class: 'log', 'aria-live': 'polite' });
  private typing = h('div', { class: 'typing' });
  private ta: HTMLTextAreaElement;
  private priv = h('input', { type: 'checkbox', onchange: () => this.updateSegments() }) as HTMLInputElement;
  /** SMS only: what the draft costs, patched on input (the composer itself is never rebuilt). */
  private segments = h('div', { class: 'segments', 'aria-live': 'polite', hidden: true });
  /** SMS only: the customer texted STOP, so replies will not be delivered. */
  private optOutHint = h('div', { class: 'optout-hint', role: 'note', hidden: true }, t.optedOutHint);
  private views = new Map<string, { m: Msg; el: HTMLElement }>();
  private headSig = '';
  /** Patched in place on every head update and tick; kept across head rebuilds. */
  private slaBadge = h('span', { class: 'sla', hidden: true });
  /** Kept across head rebuilds like the SLA badge: an open menu or a half-typed label survives live updates. */
  private snooze: SnoozeControl;
  private labels: LabelBar;
  private stuck = true;
  private lastTypingSent = 0;

  constructor(readonly convId: string, private actions: ChatActions) {
    const mem = S.memory.get(convId);
    this.ta = h('textarea', { rows: 2, 'aria-label': t.reply }) as HTMLTextAreaElement;
    this.snooze = new SnoozeControl(convId);
    this.labels = new LabelBar(convId);
    this.ta.value = mem?.draft ?? '';
    // Before the Enter-to-send listener: the picker takes Enter while it is open.
    const picker = new CannedPicker(this.ta, convId, () => { this.remember(); this.updateSegments(); });
    this.ta.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); this.submit(); } });
    this.ta.addEventListener('input', () => {
      this.remember();
      this.updateSegments();
      if (Date.now() - this.lastTypingSent > 2000) { this.lastTypingSent = Date.now(); sendFrame({ type: 'typing', conversationId: convId }); }
    });
    this.log.addEventListener('scroll', () => { this.stuck = this.log.scrollHeight - this.log.scrollTop - this.log.clientHeight < STICK_PX; });
    const file = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/gif,image/webp', hidden: true, onchange: () => void this.upload(file) }) as HTMLInputElement;
    this.el = h('div', { class: 'chat' }, this.head, this.labels.el, this.log, this.typing, this.optOutHint,
      picker.el, h('div', { class: 'composer' }, h('button', { title: t.sendImage, onclick: () => file.click() }, t.image), file, this.ta,
        h('label', {}, this.priv, t.privateNote), h('button', { class: 'primary', onclick: () => this.submit() }, t.send)), this.segments);
  }

  /** After the pane is in the document (scroll positions need layout). */
  mounted(focus: boolean): void {
    this.updateHead();
    this.updateLog();
    this.updateTyping();
    this.updateSegments();
    const mem = S.memory.get(this.convId);
    if (mem?.scrollTop !== undefined) { this.log.scrollTop = mem.scrollTop; this.stuck = false; }
    if (focus) {
      this.ta.focus({ preventScroll: true });
      if (mem) this.ta.setSelectionRange(mem.selStart, mem.selEnd);
    }
  }

  remember(): void {
    S.memory.set(this.convId, { draft: this.ta.value, selStart: this.ta.selectionStart, selEnd: this.ta.selectionEnd,
      scrollTop: this.stuck ? undefined : this.log.scrollTop });
  }

  updateHead(): void {
    const c = S.convs.get(this.convId);
    if (!c) return;
    patchSlaBadge(this.slaBadge, c);
    this.snooze.update(c);
    this.labels.update(c);
    const mine = c.assigneeId === S.me!.id && c.status === 'assigned';
    const others = S.agents.filter((a) => a.id !== S.me!.id && a.status === 'online');
    const queues = S.queues.filter((q) => q.name !== c.queue);
    const subject = subjectOf(c);
    const out = optedOut(c);
    const sig = JSON.stringify([c.status, ticketState(c), c.assigneeId, c.customer, c.channel, subject, c.meta, out, others.map((a) => [a.id, a.name, a.load, a.capacity]), queues.map((q) => [q.name, q.label])]);
    if (sig === this.headSig) return; // an open <select> survives unrelated updates
    this.headSig = sig;
    this.optOutHint.hidden = !out;
    this.ta.placeholder = mine ? t.replyMine : t.replyTake;
    const transfer = h('select', { 'aria-label': t.transfer, disabled: !mine, onchange: async (e: Event) => {
      const id = (e.target as HTMLSelectElement).value;
      if (!id) return;
      const body = id.startsWith('queue:') ? { queue: id.slice(6) } : { agentId: id };
      try { await api(`/api/conversations/${c.id}/transfer`, body); toast(t.transferred); } catch (ex) { toast((ex as Error).message); }
    } }, h('option', { value: '' }, t.transferTo), ...others.map((a) => h('option', { value: a.id }, `${a.name} (${a.load}/${a.capacity})`)),
      ...queues.map((q) => h('option', { value: `queue:${q.name}` }, t.queuePrefix(q.label || q.name))));
    const action = (label: string, path: string, show: boolean, primary = false) => show && h('button', { class: primary ? 'primary' : '', onclick: async () => {
      try { await api(`/api/conversations/${c.id}/${path}`, {}); } catch (ex) { toast((ex as Error).message); }
    } }, label);
    const parts = [h('button', { class: 'back', 'aria-label': t.back, onclick: () => this.actions.back() }, '‹'),
      avatar(customerName(c)), this.who(c, subject),
      h('span', { class: `chip ${c.status}` }, statusName(c.status)), h('span', { class: 'chip' }, c.channel), this.slaBadge, out && optOutBadge(),
      ticketState(c) && h('span', { class: `chip ticket-${ticketState(c)}`, title: t.ticketState }, ticketName(ticketState(c)!)), h('div', { class: 'grow' }),
      action(t.take, 'claim', c.status === 'queued' || c.status === 'pending', true), this.snooze.el, transfer,
      action(t.returnToQueue, 'requeue', mine), action(t.close, 'close', c.status !== 'resolved'),
      // Below 980 px the side panel is hidden: this shows it over the conversation (workspace.ts hides it on open and back).
      h('button', { class: 'info', 'aria-label': t.cdShow, title: t.cdShow, onclick: () => document.querySelector('.shell')?.classList.add('side-open') }, 'ⓘ')];
    this.head.replaceChildren(...parts.filter((p): p is HTMLElement => !!p));
  }

  /** The customer, or for an e-mail ticket its subject over the sender's name and address. */
  private who(c: Conv, subject?: string): HTMLElement {
    if (!isEmail(c) || !subject) return h('div', { class: 'who' }, customerName(c));
    const address = c.meta?.email || customerAddress(c);
    const from = c.customer.name && address ? `${c.customer.name} <${address}>` : address ?? customerName(c);
    return h('div', { class: 'who subject' }, h('div', { class: 'title' }, subject), h('div', { class: 'from' }, from));
  }

  /** The segment counter under the reply box of an SMS conversation; text set only when it changed. */
  updateSegments(): void {
    const c = S.convs.get(this.convId);
    const sms = !!c && isSms(c);
    const text = !sms ? '' : this.priv.checked ? t.privateNotSms : segmentText(this.ta.value);
    if (this.segments.textContent !== text) this.segments.textContent = text;
    const hide = !sms || !text;
    if (this.segments.hidden !== hide) this.segments.hidden = hide;
  }

  /** Adds, replaces and removes message nodes in place; follows the bottom only if already there. */
  updateLog(): void {
    const msgs = [...(S.msgs.get(this.convId)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
    const ids = new Set(msgs.map((m) => m.id));
    for (const [id, v] of this.views) if (!ids.has(id)) { v.el.remove(); this.views.delete(id); }
    const want = msgs.map((m) => {
      let v = this.views.get(m.id);
      if (v?.m !== m) { v?.el.remove(); this.views.set(m.id, (v = { m, el: bubble(m, () => this.follow()) })); }
      return v.el;
    });
    const kids = this.log.children;
    want.forEach((el, i) => { if (kids[i] !== el) this.log.insertBefore(el, kids[i] ?? null); });
    while (kids.length > want.length) this.log.lastElementChild!.remove();
    this.follow();
  }

  /** Delivery frames touch only the status line of their bubbles, nothing else in the pane. */
  updateDeliveries(ids: Iterable<string>): void {
    for (const id of ids) { const v = this.views.get(id); if (v) patchDelivery(v.el, id); }
    this.follow();
  }

  updateTyping(): void {
    const c = S.convs.get(this.convId);
    const text = (S.typingUntil.get(this.convId) ?? 0) > Date.now() ? t.typing(c?.customer.name ?? t.customer) : '';
    if (this.typing.textContent !== text) this.typing.textContent = text;
  }

  /** Scrolls a message into view and marks it for a moment (a search result opened here). */
  reveal(messageId: string): void {
    const v = this.views.get(messageId);
    if (!v) return;
    this.stuck = false;
    v.el.scrollIntoView({ block: 'center' });
    v.el.classList.add('found');
    setTimeout(() => v.el.classList.remove('found'), 4000);
  }

  private follow(): void {
    if (this.stuck) this.log.scrollTop = this.log.scrollHeight;
  }

  private submit(): void {
    const text = this.ta.value.trim();
    if (!text) return;
    this.stuck = true; // your own message always brings the log to the bottom
    this.actions.send(this.convId, text, this.priv.checked);
    this.ta.value = '';
    this.remember();
    this.updateSegments();
  }

  private async upload(file: HTMLInputElement): Promise<void> {
    const f = file.files?.[0];
    if (!f) return;
    const form = new FormData();
    form.append('file', f, f.name);
    const res = await fetch('/api/uploads', { method: 'POST', body: form, credentials: 'same-origin' });
    const body = await res.json().catch(() => ({}));
    file.value = '';
    if (!res.ok) return toast(body?.error?.message ?? t.uploadFailed);
    this.stuck = true;
    this.actions.send(this.convId, '', this.priv.checked, [body.attachment]);
  }
}

export function placeholderPane(): HTMLElement {
  return h('div', { class: 'chat' }, h('div', { class: 'placeholder' }, h('h2', {}, t.pick), t.pickHint));
}
