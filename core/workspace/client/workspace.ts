import { CSS } from './style';
import { h } from './dom';
import { S, addMessage, api, invalidate, lastSeq, onPaint, rid, sendFrame, toast, type ChannelHealth, type Conv, type Part, type Tab } from './state';
import { ConversationList } from './list';
import { ChatPane, placeholderPane } from './chat';
import { sideContent, supervisorView } from './side';
import { noteDelivery, refreshDeliveries } from './delivery-view';
import { openCannedManager } from './canned';
import { SLA_CSS, onBreachFrame, onSlaFrame, onSupervisorSla, receiveSla } from './sla-view';
import { CSAT_CSS, onSupervisorCsat } from './csat-view';
import { CONTACT_CSS, keepFocus, setContactOpener } from './contact-view';
import { LANGS, lang, setLang, t, type Lang } from './i18n';
import { SEARCH_CSS, openSearch } from './search-view';
import { initNotify, noteFrame, titleTick } from './notify';

document.head.append(h('style', {}, CSS + SLA_CSS + CSAT_CSS + CONTACT_CSS + SEARCH_CSS));
// A conversation of the contact may be resolved or not in the list yet: known first, then opened.
setContactOpener((c) => { if (!S.convs.has(c.id)) { receiveSla(c); S.convs.set(c.id, c); } open(c.id); });
const app = document.getElementById('app')!;

/** The screen is built once after login; events patch its parts (see paint). */
let ui: undefined | { shell: HTMLElement; conn: HTMLElement; status: HTMLSelectElement; list: ConversationList; center: HTMLElement; side: HTMLElement };
let pane: ChatPane | undefined;
let centerKey: string | undefined;
let focusOnMount = false;
let sideSig = '';

function loginView(error = ''): void {
  ui = undefined;
  pane = undefined;
  centerKey = undefined;
  sideSig = '';
  const login = h('input', { name: 'login', placeholder: t.login, autocomplete: 'username', required: true }) as HTMLInputElement;
  const password = h('input', { name: 'password', type: 'password', placeholder: t.password, autocomplete: 'current-password', required: true }) as HTMLInputElement;
  const err = h('div', { class: 'err' }, error);
  const form = h('form', { onsubmit: async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api('/api/login', { login: login.value, password: password.value });
      S.me = r.agent;
      await boot();
    } catch (ex) { err.textContent = (ex as Error).message; }
  } }, h('h1', {}, t.loginTitle), login, password, h('button', { class: 'primary', type: 'submit' }, t.logIn), err);
  app.replaceChildren(h('div', { class: 'login' }, form));
  login.focus();
}

async function boot(): Promise<void> {
  try {
    S.me = (await api('/api/me')).agent;
  } catch {
    return loginView();
  }
  await refreshList();
  buildShell();
  connect();
}

function buildShell(): void {
  const status = h('select', { 'aria-label': t.status, onchange: () => { S.status = status.value; sendFrame({ type: 'status', status: S.status }); } },
    h('option', { value: 'online' }, t.online), h('option', { value: 'away' }, t.away)) as HTMLSelectElement;
  // In the bar, and at the foot of the list on a phone, where the bar has no room left for it.
  const languageSelect = (cls: string) => {
    const s = h('select', { class: cls, 'aria-label': t.language, onchange: () => switchLanguage(s.value as Lang) },
      ...LANGS.map(([v, label]) => h('option', { value: v }, label))) as HTMLSelectElement;
    s.value = lang;
    return s;
  };
  const language = languageSelect('lang');
  status.value = S.status;
  const conn = h('span', { class: 'conn down' }, t.connecting);
  const list = new ConversationList(open, (t: Tab) => { S.tab = t; if (t === 'queues') refreshProblems(); invalidate('list', 'center'); });
  const center = placeholderPane();
  const side = h('div', { class: 'side' });
  const shell = h('div', { class: 'shell' },
    h('div', { class: 'bar' }, h('div', { class: 'brand' }, 'ke', h('span', {}, 'fu'), h('i', { class: 'wide' }, t.brandWorkspace)), h('div', { class: 'grow' }),
      conn, status, h('button', { class: 'search-open', title: t.search, 'aria-label': t.search, onclick: () => openSearch(openAt) },
        h('span', { class: 'wide' }, t.search), h('span', { class: 'narrow' }, t.searchShort)),
      h('button', { class: 'canned-open', title: t.canned, 'aria-label': t.canned, onclick: () => void openCannedManager() },
        h('span', { class: 'wide' }, t.canned), h('span', { class: 'narrow' }, '/…')), language,
      h('span', { class: 'me' }, S.me!.name),
      h('button', { class: 'logout', title: t.logOut, 'aria-label': t.logOut, onclick: async () => { await api('/api/logout', {}).catch(() => {}); S.ws?.close(); location.reload(); } },
        h('span', { class: 'wide' }, t.logOut), h('span', { class: 'narrow' }, '⎋'))),
    h('div', { class: 'main' }, list.el, center, side));
  list.el.append(h('div', { class: 'list-foot' }, t.language, ' ', languageSelect('lang-foot')));
  ui = { shell, conn, status, list, center, side };
  sideSig = '';
  app.replaceChildren(shell);
  invalidate('bar', 'list', 'center', 'side');
}

/** Conversations changed by frames while a list request is in flight: the frame is at least as new as the answer. */
let touched: Set<string> | undefined;
let agentFrames = 0;

async function refreshList(): Promise<void> {
  const mine = (touched = new Set());
  const frames = agentFrames;
  try {
    const [r, a] = await Promise.all([api('/api/conversations?status=queued,assigned,pending,bot'), api('/api/agents')]);
    const fresh = new Map<string, Conv>(r.conversations.map((c: Conv) => { receiveSla(c); return [c.id, c]; }));
    for (const id of mine) { const c = S.convs.get(id); if (c) fresh.set(id, c); else fresh.delete(id); }
    const open = S.current ? S.convs.get(S.current) : undefined;
    if (open && !fresh.has(open.id)) fresh.set(open.id, open); // a just-resolved open conversation stays readable
    S.convs = fresh;
    if (agentFrames === frames) S.agents = a.agents;
  } finally {
    if (touched === mine) touched = undefined;
  }
  invalidate('list', 'head', 'side');
}

/** No frame announces a kept mail: re-read on every opening of the Queues tab (admins only; agents get 403). */
function refreshProblems(): void {
  if (S.me?.role !== 'admin') return;
  api('/api/channels/problems').then((r) => { S.problems = r.channels; if (S.tab === 'queues') invalidate('center'); },
    (err) => toast(t.needsAttention((err as Error).message)));
}

/** The server sends no `agents` frame when loads change: re-read the list after an assignment change. */
let agentsFetch: 'idle' | 'running' | 'again' = 'idle';
function refreshAgents(): void {
  if (agentsFetch !== 'idle') { agentsFetch = 'again'; return; }
  agentsFetch = 'running';
  api('/api/agents').then((r) => { S.agents = r.agents; invalidate('side', 'head'); }, () => {}).finally(() => {
    const again = agentsFetch === 'again';
    agentsFetch = 'idle';
    if (again) refreshAgents();
  });
}

function connect(): void {
  const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/ws/agent`);
  S.ws = ws;
  ws.onopen = () => {
    S.retry = 0;
    if (S.status !== 'online') ws.send(JSON.stringify({ type: 'status', status: S.status }));
    if (S.current) {
      ws.send(JSON.stringify({ type: 'open', conversationId: S.current, after: lastSeq(S.current) }));
      void refreshDeliveries(S.current); // delivery frames sent while the socket was down are lost
    }
    for (const f of S.outbox.values()) ws.send(JSON.stringify(f));
    void refreshList().catch(() => {});
    invalidate('bar');
  };
  ws.onmessage = (ev) => onFrame(JSON.parse(ev.data));
  ws.onclose = (ev) => {
    if (ev.code === 4003) return loginView(t.sessionEnded);
    invalidate('bar');
    setTimeout(connect, Math.min(30_000, 500 * 2 ** S.retry++) * (0.5 + Math.random() / 2));
  };
}

const paneOf = (id: string) => (pane?.convId === id ? pane : undefined);

/** One timer per conversation: a typing frame only moves the deadline; the timer re-arms itself. */
const typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
function onTyping(id: string): void {
  const was = (S.typingUntil.get(id) ?? 0) > Date.now();
  S.typingUntil.set(id, Date.now() + 4000);
  if (!typingTimers.has(id)) armTyping(id, 4000);
  if (!was) paneOf(id)?.updateTyping();
}
function armTyping(id: string, ms: number): void {
  typingTimers.set(id, setTimeout(() => {
    const left = (S.typingUntil.get(id) ?? 0) - Date.now();
    if (left > 0) return armTyping(id, left);
    typingTimers.delete(id);
    S.typingUntil.delete(id);
    paneOf(id)?.updateTyping();
  }, ms));
}

function onFrame(f: any): void {
  noteFrame(f, S.convs.get(f.conversation?.id ?? f.message?.conversationId));
  switch (f.type) {
    case 'batch': for (const x of f.frames) onFrame(x); return;
    case 'conversation': {
      const c: Conv = f.conversation;
      receiveSla(c);
      const prev = S.convs.get(c.id);
      touched?.add(c.id);
      if (c.status === 'resolved' && c.id !== S.current) S.convs.delete(c.id);
      else S.convs.set(c.id, c);
      if (prev?.assigneeId !== c.assigneeId || (prev?.status === 'assigned') !== (c.status === 'assigned')) refreshAgents();
      return invalidate('list', ...(c.id === S.current ? ['head', 'side'] as Part[] : []));
    }
    case 'message': {
      const m = f.message;
      addMessage(m);
      const c = S.convs.get(m.conversationId);
      if (c && m.seq > c.lastSeq) {
        c.lastSeq = m.seq; c.lastMessageAt = m.sentAt;
        // The same rule as the server's (Conversation.waitingOn), so a ticket turns pending as the reply lands.
        if (!m.private && m.content?.kind !== 'event') c.waitingOn = m.direction === 'inbound' ? 'agent' : 'customer';
      }
      if (m.conversationId !== S.current && m.direction === 'inbound') S.unread.set(m.conversationId, (S.unread.get(m.conversationId) ?? 0) + 1);
      if (S.typingUntil.has(m.conversationId)) { S.typingUntil.set(m.conversationId, 0); paneOf(m.conversationId)?.updateTyping(); }
      return invalidate('list', ...(m.conversationId === S.current ? ['log', 'side', 'head'] as Part[] : []));
    }
    case 'history':
      for (const m of f.messages) addMessage(m);
      return invalidate('list', ...(f.conversationId === S.current ? ['log'] as Part[] : []));
    case 'delivery': {
      const { type: _t, messageId, conversationId: _c, channel: _ch, ...d } = f;
      return noteDelivery(messageId, d, true);
    }
    case 'ack':
      S.outbox.delete(f.clientId);
      return;
    case 'sla':
      return onSlaFrame(f);
    case 'sla.breached':
      return onBreachFrame(f);
    case 'typing':
      return onTyping(f.conversationId);
    case 'agents':
      S.agents = f.agents;
      agentFrames++;
      return invalidate('side', 'head');
    case 'supervisor': {
      S.queues = f.queues;
      // A channel whose health changed may have something new for admins (wechaty: a fresh login QR code).
      const moved = Object.entries((f.channels ?? {}) as Record<string, ChannelHealth>).some(([n, c]) => S.channels[n]?.since !== c.since);
      S.channels = f.channels ?? {};
      if (moved && S.tab === 'queues') refreshProblems();
      onSupervisorSla(f.sla);
      onSupervisorCsat(f.csat);
      // The supervisor frame carries current loads: the team panel must agree with it.
      for (const q of f.queues) for (const a of q.agents) {
        const row = S.agents.find((x) => x.id === a.id);
        if (row) Object.assign(row, { load: a.load, capacity: a.capacity, status: a.status });
      }
      return invalidate('side', 'head', ...(S.tab === 'queues' ? ['center'] as Part[] : []));
    }
    case 'error':
      if (f.clientId) S.outbox.delete(f.clientId);
      toast(f.message);
      return;
  }
}

/** A search result: the conversation (fetched when it is not in the list, e.g. resolved), then its message. */
async function openAt(convId: string, messageId?: string, seq?: number): Promise<void> {
  if (!S.convs.has(convId)) {
    try { const c = (await api(`/api/conversations/${encodeURIComponent(convId)}`)).conversation; receiveSla(c); S.convs.set(c.id, c); } catch (ex) { return toast((ex as Error).message); }
  }
  if (S.current !== convId) open(convId);
  if (messageId && seq !== undefined) await showMessage(convId, messageId, seq);
}

/** Loads the page of history around the message (it may be far above the last one) and brings it into view, marked. */
async function showMessage(convId: string, messageId: string, seq: number): Promise<void> {
  try {
    const r = await api(`/api/conversations/${encodeURIComponent(convId)}/messages?after=${Math.max(0, seq - 20)}&limit=60`);
    for (const m of r.messages) addMessage(m);
  } catch (ex) { return toast((ex as Error).message); }
  invalidate('log');
  await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
  pane?.reveal(messageId);
}

/** Rebuilt in the new language; the open conversation's draft is kept (the pane remembers it first). */
function switchLanguage(next: Lang): void {
  setLang(next);
  pane?.remember();
  pane = undefined;
  centerKey = undefined;
  if (ui) buildShell();
}

/** Below 980 px the side panel (customer, contact) is hidden; the chat head's ⓘ shows it over the conversation. */
export function showSide(on: boolean): void { ui?.shell.classList.toggle('side-open', on); }

function open(id: string): void {
  showSide(false);
  if (S.current && S.current !== id) sendFrame({ type: 'leave', conversationId: S.current });
  S.current = id;
  S.unread.delete(id);
  if (S.tab === 'queues') S.tab = 'all';
  focusOnMount = true;
  sendFrame({ type: 'open', conversationId: id, after: lastSeq(id) });
  void refreshDeliveries(id);
  invalidate('list', 'center', 'side');
}

function back(): void {
  showSide(false);
  if (S.current) sendFrame({ type: 'leave', conversationId: S.current });
  S.current = undefined;
  invalidate('list', 'center', 'side');
}

function leaveQueues(): void {
  S.tab = 'all';
  invalidate('list', 'center');
}

function send(convId: string, text: string, priv: boolean, attachments?: any[]): void {
  const clientId = rid();
  const frame = attachments ? { type: 'send', conversationId: convId, clientId, attachments: attachments.map((a) => ({ mediaId: a.mediaId })), private: priv }
    : { type: 'send', conversationId: convId, clientId, text, private: priv };
  S.outbox.set(clientId, frame);
  addMessage({ id: clientId, seq: 1e15, conversationId: convId, direction: 'outbound', from: { id: S.me!.id, role: 'agent', name: S.me!.name },
    content: attachments ? { kind: 'media', attachments } : { kind: 'text', text }, sentAt: new Date().toISOString(), private: priv, pending: true });
  sendFrame(frame);
  invalidate('log', 'list');
}

function paint(parts: Set<Part>): void {
  if (!ui) return;
  if (parts.has('list')) titleTick();
  if (parts.has('bar')) {
    const down = S.ws?.readyState !== 1;
    ui.conn.className = `conn${down ? ' down' : ''}`;
    ui.conn.textContent = down ? t.reconnecting : t.connected;
  }
  if (parts.has('list')) ui.list.update();
  const key = S.tab === 'queues' ? 'queues' : S.current && S.convs.has(S.current) ? S.current : '';
  if (key !== centerKey || (key === 'queues' && parts.has('center'))) {
    if (key !== centerKey) { pane?.remember(); pane = undefined; }
    centerKey = key;
    if (key && key !== 'queues') pane = new ChatPane(key, { send, back });
    const el = key === 'queues' ? supervisorView(leaveQueues) : pane ? pane.el : placeholderPane();
    ui.center.replaceWith(el);
    ui.center = el;
    // On a phone the Queues tab takes the screen like an open conversation, with the same back button.
    ui.shell.classList.toggle('has-conv', !!pane || key === 'queues');
    pane?.mounted(focusOnMount);
    focusOnMount = false;
  } else if (pane) {
    if (parts.has('head')) pane.updateHead();
    if (parts.has('log')) pane.updateLog();
  }
  if (parts.has('delivery')) {
    // A bubble built in this paint already read its state; the others are patched.
    pane?.updateDeliveries(S.deliveryDirty);
    S.deliveryDirty.clear();
  }
  if (parts.has('side')) {
    // Supervisor frames come every few seconds: rebuild only when what the panel shows changed.
    const sig = JSON.stringify([S.agents, S.current && S.convs.get(S.current)]);
    if (sig !== sideSig) { sideSig = sig; keepFocus(() => ui!.side.replaceChildren(...sideContent())); }
  }
}

onPaint(paint);
initNotify((id) => void openAt(id));
// Relative times in the list ("3m") and SLA time left age without any event (the head patches its badge only).
setInterval(() => invalidate('list', 'head'), 30_000);
void boot();
