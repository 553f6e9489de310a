import { h } from './dom';
import { S, api, invalidate, type Delivery, type Msg } from './state';
import { locale, t } from './i18n';

/**
 * The delivery line under an outbound bubble of a push channel (SMS, e-mail, WeChat…): a clock
 * while queued, one tick sent, two ticks delivered, two blue ticks read, and for failed the
 * vendor's reason with a Retry button. Patched in place per `delivery` frame: the bubble and the
 * rest of the pane are left alone. Messages to the web widget have no delivery: nothing shown.
 */

const SVG = 'http://www.w3.org/2000/svg';
/** Fixed shapes only (no user data), built as SVG nodes rather than parsed markup. */
function icon(cls: string, viewBox: string, shapes: [string, Record<string, string>][]): SVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('class', `dicon ${cls}`);
  svg.setAttribute('viewBox', viewBox);
  svg.setAttribute('aria-hidden', 'true');
  for (const [tag, attrs] of shapes) {
    const el = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
    svg.append(el);
  }
  return svg;
}
const clock = () => icon('clock', '0 0 16 16', [['circle', { cx: '8', cy: '8', r: '6.25' }], ['path', { d: 'M8 4.6V8l2.4 1.6' }]]);
const tick = () => icon('tick', '0 0 16 12', [['path', { d: 'M2 6.6l3.4 3.4L13 2.4' }]]);
const ticks = (cls: string) => icon(`ticks ${cls}`, '0 0 20 12', [['path', { d: 'M1.5 6.6l3.4 3.4L12.5 2.4' }], ['path', { d: 'M8.6 9.4l.6.6 7.6-7.6' }]]);
const warn = () => icon('warn', '0 0 16 16', [['circle', { cx: '8', cy: '8', r: '6.25' }], ['path', { d: 'M8 4.5v4.2M8 11.2v.1' }]]);

const when = (at: number) => new Date(at).toLocaleString(locale(), { dateStyle: 'medium', timeStyle: 'short' });

function line(id: string, d: Delivery): HTMLElement {
  const status = (state: string, title: string, ...kids: (Node | string)[]) =>
    h('span', { class: `dlv ${state}`, 'data-state': state, title, role: 'status' }, ...kids);
  const vendor = d.vendorId ? t.dlvVendorId(d.vendorId) : '';
  switch (d.state) {
    case 'queued':
      // A queued message with an error is waiting for its next attempt after a transient failure.
      return d.error ? status('queued', t.dlvAttemptFailed(d.attempts, d.error.code, d.error.message), clock(), t.dlvRetrying)
        : status('queued', t.dlvQueuedAt(when(d.at)), clock(), t.dlvSending);
    case 'sent': return status('sent', `${t.dlvSentAt(when(d.at))}${vendor}`, tick(), t.dlvSent);
    case 'delivered': return status('delivered', `${t.dlvDeliveredAt(when(d.at))}${vendor}`, ticks(''), t.dlvDelivered);
    case 'read': return status('read', `${t.dlvReadAt(when(d.at))}${vendor}`, ticks('blue'), t.dlvRead);
    case 'failed': {
      const busy = S.retrying.has(id);
      const err = S.retryError.get(id);
      return h('div', { class: 'dlv failed', 'data-state': 'failed', role: 'alert' },
        h('span', { class: 'reason', title: `${d.error?.code ?? 'failed'} · ${t.dlvAttempts(d.attempts)} · ${when(d.at)}` },
          warn(), t.dlvNotDelivered(d.error?.message || t.dlvGaveUp)),
        h('button', { class: 'retry', disabled: busy, onclick: () => void retry(id) }, busy ? t.dlvRetryingButton : t.dlvRetry),
        err ? h('span', { class: 'retry-err' }, t.dlvRetryFailed(err)) : null);
    }
  }
}

/** Fills the bubble's delivery slot from S.delivery (or empties it). */
export function patchDelivery(el: HTMLElement, id: string): void {
  const slot = el.querySelector('.dlv-slot');
  if (!slot) return;
  const d = S.delivery.get(id);
  const next = d ? line(id, d) : undefined;
  // Same state, same text: keep the node (a hovered title or a focused button stays put).
  const cur = slot.firstElementChild as HTMLElement | null;
  if (next && cur && cur.outerHTML === next.outerHTML) return;
  slot.replaceChildren(...(next ? [next] : []));
  el.classList.toggle('undelivered', d?.state === 'failed');
}

function changed(id: string): void {
  S.deliveryDirty.add(id);
  invalidate('delivery');
}

/** A newer state wins; a snapshot (history, HTTP) never overrides a strictly newer frame. */
export function noteDelivery(id: string, d: Delivery, fromFrame: boolean): void {
  const cur = S.delivery.get(id);
  if (!fromFrame && cur && cur.at > d.at) return;
  S.delivery.set(id, d);
  if (fromFrame) { S.retrying.delete(id); S.retryError.delete(id); }
  changed(id);
}

async function retry(id: string): Promise<void> {
  if (S.retrying.has(id)) return;
  const at = S.delivery.get(id)?.at;
  S.retrying.add(id);
  S.retryError.delete(id);
  changed(id);
  try {
    await api(`/api/messages/${encodeURIComponent(id)}/retry`, {});
    // Stays disabled until the `queued` frame arrives (unless it already has): no double retry.
    if (S.delivery.get(id)?.at !== at) S.retrying.delete(id);
  } catch (ex) {
    S.retrying.delete(id);
    S.retryError.set(id, (ex as Error).message || t.networkError);
  }
  changed(id);
}

/**
 * Frames only reach watchers: states that changed while this conversation was not watched (or
 * the socket was down) are read again over HTTP when it is opened, from the oldest one that
 * can still change.
 */
export async function refreshDeliveries(convId: string): Promise<void> {
  const msgs: Msg[] = [...(S.msgs.get(convId)?.values() ?? [])].filter((m) => !m.pending);
  const open = msgs.filter((m) => { const d = S.delivery.get(m.id); return d && d.state !== 'read'; });
  if (open.length === 0) return;
  const from = Math.min(...open.map((m) => m.seq));
  const r = await api(`/api/conversations/${encodeURIComponent(convId)}/messages?after=${from - 1}&limit=500`).catch(() => undefined);
  for (const m of (r?.messages ?? []) as Msg[]) if (m.delivery && S.msgs.get(convId)?.has(m.id)) noteDelivery(m.id, m.delivery, false);
}
