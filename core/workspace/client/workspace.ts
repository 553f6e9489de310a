import { CSS } from './style';
import { ago, avatar, h } from './dom';

type Conv = { id: string; channel: string; customer: { id: string; name?: string }; status: string; queue: string; assigneeId?: string;
  createdAt: string; updatedAt: string; queuedAt?: string; lastSeq: number; lastMessageAt?: string; tags: string[] };
type Msg = { id: string; seq: number; conversationId: string; sourceId?: string; direction: string; from: { id: string; role: string; name?: string };
  content: any; sentAt: string; private?: boolean; pending?: boolean };
type AgentRow = { id: string; name: string; status: string; load: number; capacity: number };
type QueueRow = { name: string; label: string; priority: number; weight: number; maxWaitS: number; open: boolean; waiting: number; longestWaitS: number; agents: AgentRow[] };

const S = {
  me: undefined as undefined | { id: string; name: string; role: string },
  convs: new Map<string, Conv>(),
  msgs: new Map<string, Map<string, Msg>>(),
  preview: new Map<string, string>(),
  unread: new Map<string, number>(),
  agents: [] as AgentRow[],
  queues: [] as QueueRow[],
  tab: 'mine' as 'mine' | 'waiting' | 'all' | 'queues',
  current: undefined as string | undefined,
  ws: undefined as WebSocket | undefined,
  retry: 0,
  outbox: new Map<string, any>(),
  typing: new Map<string, number>(),
  status: 'online',
};

document.head.append(h('style', {}, CSS));
const app = document.getElementById('app')!;

async function api(path: string, body?: unknown): Promise<any> {
  const res = await fetch(path, body === undefined ? { credentials: 'same-origin' }
    : { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  const json = await res.json().catch(() => ({}));
  if (!res.ok || json.ok === false) throw Object.assign(new Error(json?.error?.message ?? res.statusText), { code: json?.error?.code, status: res.status });
  return json;
}

function toast(text: string): void {
  const el = h('div', { class: 'toast' }, text);
  document.body.append(el);
  setTimeout(() => el.remove(), 3500);
}

function rid(): string {
  const a = new Uint8Array(12);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
}

function loginView(error = ''): void {
  const login = h('input', { name: 'login', placeholder: 'Login', autocomplete: 'username', required: true }) as HTMLInputElement;
  const password = h('input', { name: 'password', type: 'password', placeholder: 'Password', autocomplete: 'current-password', required: true }) as HTMLInputElement;
  const err = h('div', { class: 'err' }, error);
  const form = h('form', { onsubmit: async (e: Event) => {
    e.preventDefault();
    try {
      const r = await api('/api/login', { login: login.value, password: password.value });
      S.me = r.agent;
      await boot();
    } catch (ex) { err.textContent = (ex as Error).message; }
  } }, h('h1', {}, 'kefu workspace'), login, password, h('button', { class: 'primary', type: 'submit' }, 'Log in'), err);
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
  connect();
  render();
}

async function refreshList(): Promise<void> {
  const r = await api('/api/conversations?status=queued,assigned,pending,bot');
  S.convs = new Map(r.conversations.map((c: Conv) => [c.id, c]));
  S.agents = (await api('/api/agents')).agents;
}

function connect(): void {
  const ws = new WebSocket(`${location.origin.replace(/^http/, 'ws')}/ws/agent`);
  S.ws = ws;
  ws.onopen = () => {
    S.retry = 0;
    if (S.status !== 'online') ws.send(JSON.stringify({ type: 'status', status: S.status }));
    if (S.current) ws.send(JSON.stringify({ type: 'open', conversationId: S.current, after: lastSeq(S.current) }));
    for (const f of S.outbox.values()) ws.send(JSON.stringify(f));
    void refreshList().then(render);
    render();
  };
  ws.onmessage = (ev) => onFrame(JSON.parse(ev.data));
  ws.onclose = (ev) => {
    render();
    if (ev.code === 4003) return loginView('Your session ended. Please log in again.');
    setTimeout(connect, Math.min(30_000, 500 * 2 ** S.retry++) * (0.5 + Math.random() / 2));
  };
}

/** Highest seq up to which we hold every message: resume from there, never skip a gap. */
function lastSeq(convId: string): number {
  const seqs = new Set<number>();
  for (const m of S.msgs.get(convId)?.values() ?? []) if (!m.pending) seqs.add(m.seq);
  let n = 0;
  while (seqs.has(n + 1)) n++;
  return n;
}

function addMessage(m: Msg): void {
  let map = S.msgs.get(m.conversationId);
  if (!map) S.msgs.set(m.conversationId, (map = new Map()));
  if (m.sourceId) map.delete(m.sourceId);
  map.set(m.id, m);
  S.preview.set(m.conversationId, m.content.kind === 'text' ? m.content.text : m.content.kind === 'media' ? '[image]' : m.content.text ?? '');
}

function onFrame(f: any): void {
  if (f.type === 'batch') { for (const x of f.frames) onFrame(x); return; }
  switch (f.type) {
    case 'conversation': {
      if (f.conversation.status === 'resolved' && f.conversation.id !== S.current) S.convs.delete(f.conversation.id);
      else S.convs.set(f.conversation.id, f.conversation);
      break;
    }
    case 'message': {
      addMessage(f.message);
      const c = S.convs.get(f.message.conversationId);
      if (c && f.message.seq > c.lastSeq) { c.lastSeq = f.message.seq; c.lastMessageAt = f.message.sentAt; }
      if (f.message.conversationId !== S.current && f.message.direction === 'inbound') {
        S.unread.set(f.message.conversationId, (S.unread.get(f.message.conversationId) ?? 0) + 1);
      }
      S.typing.delete(f.message.conversationId);
      break;
    }
    case 'history':
      for (const m of f.messages) addMessage(m);
      break;
    case 'ack':
      S.outbox.delete(f.clientId);
      break;
    case 'typing':
      S.typing.set(f.conversationId, Date.now());
      setTimeout(render, 4100);
      break;
    case 'agents':
      S.agents = f.agents;
      break;
    case 'supervisor':
      S.queues = f.queues;
      if (S.tab !== 'queues') return; // the list view does not show it: skip the re-render
      break;
    case 'error':
      if (f.clientId) S.outbox.delete(f.clientId);
      toast(f.message);
      break;
    default:
      return;
  }
  render();
}

function open(id: string): void {
  if (S.current && S.current !== id) S.ws?.send(JSON.stringify({ type: 'leave', conversationId: S.current }));
  S.current = id;
  S.unread.delete(id);
  S.ws?.send(JSON.stringify({ type: 'open', conversationId: id, after: lastSeq(id) }));
  render();
}

function send(text: string, priv: boolean, attachments?: any[]): void {
  if (!S.current) return;
  const clientId = rid();
  const frame = attachments ? { type: 'send', conversationId: S.current, clientId, attachments: attachments.map((a) => ({ mediaId: a.mediaId })), private: priv }
    : { type: 'send', conversationId: S.current, clientId, text, private: priv };
  S.outbox.set(clientId, frame);
  addMessage({ id: clientId, seq: 1e15, conversationId: S.current, direction: 'outbound', from: { id: S.me!.id, role: 'agent', name: S.me!.name },
    content: attachments ? { kind: 'media', attachments } : { kind: 'text', text }, sentAt: new Date().toISOString(), private: priv, pending: true });
  if (S.ws?.readyState === 1) S.ws.send(JSON.stringify(frame));
  render();
}

function visible(): Conv[] {
  const all = [...S.convs.values()];
  if (S.tab === 'queues') return [];
  const list = S.tab === 'mine' ? all.filter((c) => c.assigneeId === S.me?.id && c.status === 'assigned')
    : S.tab === 'waiting' ? all.filter((c) => c.status === 'queued' || c.status === 'pending') : all;
  return list.sort((a, b) => (b.lastMessageAt ?? b.updatedAt).localeCompare(a.lastMessageAt ?? a.updatedAt));
}

function render(): void {
  if (!S.me) return;
  const down = S.ws?.readyState !== 1;
  const count = (t: typeof S.tab) => { const keep = S.tab; S.tab = t; const n = visible().length; S.tab = keep; return n; };
  const tab = (t: typeof S.tab, label: string) => h('button', { class: S.tab === t ? 'on' : '', onclick: () => { S.tab = t; render(); } }, `${label} (${count(t)})`);
  const items = visible().map((c) => {
    const name = c.customer.name ?? c.customer.id;
    const unread = S.unread.get(c.id);
    return h('div', { class: `item${c.id === S.current ? ' on' : ''}`, 'data-id': c.id, onclick: () => open(c.id) }, avatar(name),
      h('div', {}, h('div', { class: 'name' }, name), h('div', { class: 'sub' }, S.preview.get(c.id) ?? `${c.channel} · ${c.queue}`)),
      h('div', { class: 'when' }, h('div', {}, ago(c.lastMessageAt ?? c.updatedAt)), unread ? h('span', { class: 'unread' }, unread) : h('span', { class: `chip ${c.status}` }, c.status)));
  });
  const statusSel = h('select', { 'aria-label': 'status', onchange: (e: Event) => {
    S.status = (e.target as HTMLSelectElement).value;
    S.ws?.send(JSON.stringify({ type: 'status', status: S.status }));
  } }, h('option', { value: 'online', selected: S.status === 'online' }, '● Online'), h('option', { value: 'away', selected: S.status === 'away' }, '◐ Away'));
  app.replaceChildren(h('div', { class: 'shell' },
    h('div', { class: 'bar' }, h('div', { class: 'brand' }, 'ke', h('span', {}, 'fu'), ' workspace'), h('div', { class: 'grow' }),
      h('span', { class: `conn${down ? ' down' : ''}` }, down ? 'Reconnecting…' : 'Connected'), statusSel, h('span', {}, S.me.name),
      h('button', { onclick: async () => { await api('/api/logout', {}).catch(() => {}); S.ws?.close(); location.reload(); } }, 'Log out')),
    h('div', { class: 'main' },
      h('div', { class: 'list' }, h('div', { class: 'tabs' }, tab('mine', 'Mine'), tab('waiting', 'Waiting'), tab('all', 'All'),
        h('button', { class: S.tab === 'queues' ? 'on' : '', onclick: () => { S.tab = 'queues'; render(); } }, 'Queues')),
        h('div', { class: 'items' }, ...(S.tab === 'queues' ? [] : items.length ? items : [h('div', { class: 'empty' }, 'Nothing here right now.')]))),
      S.tab === 'queues' ? supervisorView() : chatView(), sideView())));
  const log = app.querySelector('.log');
  if (log) log.scrollTop = log.scrollHeight;
}

function chatView(): HTMLElement {
  const c = S.current ? S.convs.get(S.current) : undefined;
  if (!c) return h('div', { class: 'chat' }, h('div', { class: 'placeholder' }, h('h2', {}, 'Pick a conversation'), 'Waiting conversations are assigned to you automatically while you are online.'));
  const msgs = [...(S.msgs.get(c.id)?.values() ?? [])].sort((a, b) => a.seq - b.seq);
  const mine = c.assigneeId === S.me!.id && c.status === 'assigned';
  const others = S.agents.filter((a) => a.id !== S.me!.id && a.status === 'online');
  const transfer = h('select', { 'aria-label': 'transfer', disabled: !mine, onchange: async (e: Event) => {
    const id = (e.target as HTMLSelectElement).value;
    if (!id) return;
    const body = id.startsWith('queue:') ? { queue: id.slice(6) } : { agentId: id };
    try { await api(`/api/conversations/${c.id}/transfer`, body); toast('Transferred'); } catch (ex) { toast((ex as Error).message); }
  } }, h('option', { value: '' }, 'Transfer to…'), ...others.map((a) => h('option', { value: a.id }, `${a.name} (${a.load}/${a.capacity})`)),
    ...S.queues.filter((q) => q.name !== c.queue).map((q) => h('option', { value: `queue:${q.name}` }, `Queue: ${q.label || q.name}`)));
  const action = (label: string, path: string, show: boolean, primary = false) => show && h('button', { class: primary ? 'primary' : '', onclick: async () => {
    try { await api(`/api/conversations/${c.id}/${path}`, {}); } catch (ex) { toast((ex as Error).message); }
  } }, label);
  const ta = h('textarea', { placeholder: mine ? 'Reply… (Enter to send, Shift+Enter for a new line)' : 'Reply to take this conversation…', rows: 2 }) as HTMLTextAreaElement;
  const priv = h('input', { type: 'checkbox' }) as HTMLInputElement;
  const file = h('input', { type: 'file', accept: 'image/png,image/jpeg,image/gif,image/webp', hidden: true, onchange: async () => {
    const f = file.files?.[0];
    if (!f) return;
    const form = new FormData();
    form.append('file', f, f.name);
    const res = await fetch('/api/uploads', { method: 'POST', body: form, credentials: 'same-origin' });
    const body = await res.json();
    if (!res.ok) return toast(body?.error?.message ?? 'Upload failed');
    send('', priv.checked, [body.attachment]);
  } }) as HTMLInputElement;
  const submit = () => { const text = ta.value.trim(); if (text) { send(text, priv.checked); ta.value = ''; } };
  ta.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); } });
  let lastTyping = 0;
  ta.addEventListener('input', () => {
    if (Date.now() - lastTyping > 2000) { lastTyping = Date.now(); S.ws?.send(JSON.stringify({ type: 'typing', conversationId: c.id })); }
  });
  const typingAt = S.typing.get(c.id);
  return h('div', { class: 'chat' },
    h('div', { class: 'head' }, avatar(c.customer.name ?? c.customer.id), h('div', { class: 'who' }, c.customer.name ?? c.customer.id),
      h('span', { class: `chip ${c.status}` }, c.status), h('span', { class: 'chip' }, c.channel), h('div', { class: 'grow' }),
      action('Take', 'claim', c.status === 'queued' || c.status === 'pending', true), transfer,
      action('Return to queue', 'requeue', mine), action('Close', 'close', c.status !== 'resolved')),
    h('div', { class: 'log' }, ...msgs.map(bubble)),
    h('div', { class: 'typing' }, typingAt && Date.now() - typingAt < 4000 ? `${c.customer.name ?? 'Customer'} is typing…` : ''),
    h('div', { class: 'composer' }, h('button', { title: 'Send an image', onclick: () => file.click() }, 'Image'), file, ta,
      h('label', {}, priv, 'Private note'), h('button', { class: 'primary', onclick: submit }, 'Send')));
}

function fmtWait(s: number): string {
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m ${s % 60}s` : `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

/** Supervisor view: per queue waiting, longest wait (red past max wait), agents and load. Live. */
function supervisorView(): HTMLElement {
  const rows = S.queues.map((q) => h('tr', {},
    h('td', {}, h('b', {}, q.label || q.name), h('div', { class: 'dim' }, `${q.name} · priority ${q.priority} · weight ${q.weight}`)),
    h('td', {}, q.open ? 'open' : 'closed'),
    h('td', { class: 'num' }, q.waiting),
    h('td', { class: `num${q.longestWaitS > q.maxWaitS ? ' late' : ''}` }, q.waiting ? fmtWait(q.longestWaitS) : '—', h('div', { class: 'dim' }, `max ${fmtWait(q.maxWaitS)}`)),
    h('td', {}, ...(q.agents.length ? q.agents.map((a) => h('div', {}, h('span', { class: `dot ${a.status}` }), `${a.name} ${a.load}/${a.capacity}`)) : ['no agent']))));
  return h('div', { class: 'chat' }, h('div', { class: 'head' }, h('div', { class: 'who' }, 'Queues'), h('div', { class: 'grow' }), h('span', { class: 'dim' }, 'live')),
    h('div', { class: 'sup' }, h('table', {}, h('thead', {}, h('tr', {}, ...['Queue', 'Hours', 'Waiting', 'Longest wait', 'Agents (load/capacity)'].map((t) => h('th', {}, t)))), h('tbody', {}, ...rows))));
}

function bubble(m: Msg): HTMLElement {
  if (m.content.kind === 'event') return h('div', { class: 'event' }, m.content.event === 'deleted' ? 'Message deleted' : m.content.text ?? m.content.event);
  const body = h('div', { class: 'body' });
  if (m.content.kind === 'text') body.textContent = m.content.text;
  else for (const a of m.content.attachments ?? []) body.append(h('img', { src: `/media/${encodeURIComponent(a.mediaId)}`, alt: a.name ?? 'image' }));
  const when = m.pending ? 'sending…' : new Date(m.sentAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return h('div', { class: `msg ${m.from.role}${m.private ? ' private' : ''}` }, body,
    h('div', { class: 'meta' }, `${m.from.role === 'customer' ? '' : (m.from.name ?? '') + ' · '}${when}${m.private ? ' · private note' : ''}`));
}

function sideView(): HTMLElement {
  const c = S.current ? S.convs.get(S.current) : undefined;
  return h('div', { class: 'side' },
    c ? h('div', {}, h('h3', {}, 'Customer'), h('dl', {}, h('dt', {}, 'Name'), h('dd', {}, c.customer.name ?? '—'), h('dt', {}, 'Id'), h('dd', {}, c.customer.id),
      h('dt', {}, 'Channel'), h('dd', {}, c.channel), h('dt', {}, 'Queue'), h('dd', {}, c.queue), h('dt', {}, 'Since'), h('dd', {}, new Date(c.createdAt).toLocaleString()),
      h('dt', {}, 'Messages'), h('dd', {}, c.lastSeq), h('dt', {}, 'Tags'), h('dd', {}, c.tags.join(', ') || '—'))) : null,
    h('h3', {}, 'Team'), ...S.agents.map((a) => h('div', { class: 'agent-row' }, h('span', {}, h('span', { class: `dot ${a.status}` }), a.name), h('span', {}, `${a.load}/${a.capacity}`))));
}

setInterval(() => { if (S.typing.size) render(); }, 5000);
void boot();
