/**
 * The chat widget, embedded with one line: <script src="https://HOST/widget.js" async></script>
 * Optional attributes: data-queue, data-locale (en|zh), data-title, data-welcome, data-color;
 * they override the defaults from the server's [channels.web] (sent with the session).
 * Everything renders inside a shadow root (the shop's CSS cannot break it, ours cannot leak)
 * and every message is rendered as text, never HTML.
 * On a phone the open panel is full-screen (widget-mobile.ts); for the notch and home-indicator
 * insets the host page needs viewport-fit=cover in its meta viewport.
 */
import { STYLE } from './widget-style';
import { strings } from './widget-i18n';
import { bubble, greeting, type Msg } from './widget-render';
import { ratingOf } from './widget-survey';
import { isPhone, phoneMode } from './widget-mobile';
import { postIdentify, type IdentifyInput } from './widget-identify';

const script = document.currentScript as HTMLScriptElement | null;
const base = new URL(script?.src ?? location.href);
const origin = base.origin;
const data = script?.dataset ?? {};
const t = strings(data.locale || navigator.language);
const storeKey = `kefu:visitor:${origin}`;

const state = {
  token: localStorage.getItem(storeKey) ?? '',
  messages: new Map<string, Msg>(), // by id or clientId while pending
  lastSeq: 0,
  open: false,
  unread: 0,
  online: 0,
  ws: undefined as WebSocket | undefined,
  retry: 0,
  outbox: new Map<string, any>(), // clientId -> frame, resent after reconnect until acked
  typingTimer: 0 as any,
  lastTypingSent: 0,
  // Defaults from the server, under the data-* attributes of the script tag.
  widget: {} as { title?: string; welcome?: string; color?: string },
  // The conversation had nothing in it when this page loaded: the greeting stays on top.
  fresh: true,
};

const host = document.createElement('div');
host.id = 'kefu-widget';
const root = host.attachShadow({ mode: 'open' });
const isColor = (c?: string): c is string => /^#[0-9a-fA-F]{3,8}$/.test(c ?? '');
root.innerHTML = `<style>${STYLE}</style>
<button class="launcher" part="launcher" aria-label="${t.open}"><svg viewBox="0 0 24 24" width="28" height="28" aria-hidden="true"><path fill="currentColor" d="M12 3C6.5 3 2 6.9 2 11.6c0 2.4 1.2 4.6 3.1 6.1L4.5 21l3.7-1.9c1.2.4 2.5.6 3.8.6 5.5 0 10-3.9 10-8.6S17.5 3 12 3z"/></svg><span class="badge" hidden></span></button>
<section class="panel" role="dialog" aria-label="chat" hidden>
  <header><div><div class="title"></div><div class="status"><i></i><span></span></div></div><button class="close" aria-label="${t.close}">×</button></header>
  <div class="log" role="log" aria-live="polite"></div>
  <div class="queue" hidden></div>
  <div class="typing" hidden></div>
  <div class="notice" hidden></div>
  <form class="composer"><label class="attach" title="${t.image}"><input type="file" accept="image/png,image/jpeg,image/gif,image/webp" hidden><svg viewBox="0 0 24 24" width="20" height="20"><path fill="currentColor" d="M21 19V5a2 2 0 0 0-2-2H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2zM8.5 13.5l2.5 3 3.5-4.5 4.5 6H5l3.5-4.5z"/></svg></label>
  <textarea rows="1" placeholder="${t.placeholder}" maxlength="4000"></textarea><button type="submit" class="send">${t.send}</button></form>
  <footer>${t.powered}</footer>
</section>`;
const $ = <T extends Element>(sel: string) => root.querySelector(sel) as T;
const launcher = $<HTMLButtonElement>('.launcher');
const panel = $<HTMLElement>('.panel');
const log = $<HTMLDivElement>('.log');
const input = $<HTMLTextAreaElement>('textarea');
const fileInput = $<HTMLInputElement>('input[type=file]');
const badge = $<HTMLSpanElement>('.badge');
const notice = $<HTMLDivElement>('.notice');
const typingEl = $<HTMLDivElement>('.typing');
const queueEl = $<HTMLDivElement>('.queue');
const title = () => data.title || state.widget.title || t.title;

function applyLook(): void {
  $<HTMLDivElement>('.title').textContent = title();
  const color = isColor(data.color) ? data.color : isColor(state.widget.color) ? state.widget.color : '';
  if (color) host.style.setProperty('--kefu-accent', color); else host.style.removeProperty('--kefu-accent');
}
applyLook();

function setStatus(): void {
  const s = $<HTMLDivElement>('.status');
  s.classList.toggle('online', state.online > 0);
  s.querySelector('span')!.textContent = state.ws?.readyState === 1 ? (state.online > 0 ? t.online : t.offline) : t.connecting;
}

function showNotice(text: string, ms = 4000): void {
  notice.textContent = text;
  notice.hidden = false;
  clearTimeout((showNotice as any).timer);
  (showNotice as any).timer = setTimeout(() => { notice.hidden = true; }, ms);
}

function rid(): string {
  const a = new Uint8Array(12);
  crypto.getRandomValues(a);
  return Array.from(a, (b) => b.toString(16).padStart(2, '0')).join('');
}

const toEnd = () => { log.scrollTop = log.scrollHeight; };
const renderContext = { origin, t, onImageLoad: toEnd, rate: (n: number, comment: string) => sendMessage(comment ? `${n} ${comment}` : String(n)),
  ratedAfter: (seq: number) => [...state.messages.values()].filter((m) => !m.seq || m.seq > seq).map(ratingOf).find(Boolean) };

function render(): void {
  const list = [...state.messages.values()].sort((a, b) => (a.seq || 1e15) - (b.seq || 1e15) || a.sentAt.localeCompare(b.sentAt));
  const atBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 40;
  const welcome = data.welcome || state.widget.welcome || t.welcome;
  log.replaceChildren(...(state.fresh || !list.length ? [greeting(welcome, title())] : []), ...list.map((m) => bubble(m, renderContext)));
  if (atBottom || list.length < 3) toEnd();
}

/**
 * `fromAck`: our own message confirmed by an ack. It does not move the resume point: an agent
 * message with a lower seq may still be on its way, and resuming past it would skip it (a replay
 * of our own message is harmless: it is matched by id).
 */
function upsert(m: Msg, fromAck = false): void {
  if (m.clientId) state.messages.delete(m.clientId);
  const known = state.messages.has(m.id);
  state.messages.set(m.id, m); // same id again = an edit or a deletion
  if (known) return;
  if (!fromAck && m.seq > state.lastSeq) state.lastSeq = m.seq;
  if (!state.open && m.direction === 'outbound') {
    state.unread++;
    badge.textContent = String(state.unread);
    badge.hidden = false;
  }
}

// One request in flight at a time: the early session of mount() and the one of start() must not
// each issue a new visitor (the socket and the uploads would end up as two different visitors).
let sessionCall: Promise<void> | undefined;
const session = () => (sessionCall ??= askSession().finally(() => { sessionCall = undefined; }));

async function askSession(): Promise<void> {
  const res = await fetch(`${origin}/v1/visitor/session`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: state.token || undefined }) });
  if (!res.ok) throw new Error(`session ${res.status}`);
  const body = await res.json();
  state.token = body.token;
  state.online = body.agentsOnline;
  if (body.lastSeq > 0 && !state.messages.size) state.fresh = false;
  if (body.widget && typeof body.widget === 'object') { state.widget = body.widget; applyLook(); render(); }
  localStorage.setItem(storeKey, state.token);
}

function connect(): void {
  if (state.ws && state.ws.readyState <= 1) return;
  const ws = new WebSocket(`${origin.replace(/^http/, 'ws')}/ws/visitor`);
  state.ws = ws;
  setStatus();
  ws.onopen = () => {
    state.retry = 0;
    ws.send(JSON.stringify({ type: 'hello', token: state.token, after: state.lastSeq, queue: data.queue || undefined }));
  };
  ws.onmessage = (ev) => {
    const f = JSON.parse(ev.data);
    switch (f.type) {
      case 'welcome':
        state.online = f.agentsOnline;
        setStatus();
        for (const frame of state.outbox.values()) ws.send(JSON.stringify(frame)); // same clientId: the server dedupes
        break;
      case 'queue':
        queueEl.textContent = f.open ? t.queue(f.position, f.etaSeconds) : t.closed;
        queueEl.hidden = false;
        break;
      case 'presence':
        state.online = f.agentsOnline;
        setStatus();
        break;
      case 'message':
        if (f.message.content.kind === 'event' && (f.message.content.event === 'assigned' || f.message.content.event === 'resolved')) queueEl.hidden = true;
        upsert(f.message);
        render();
        break;
      case 'ack': {
        // The ack is the server's copy of our message: the pending bubble becomes the stored one.
        state.outbox.delete(f.clientId);
        const m = state.messages.get(f.clientId);
        if (m) { m.id = f.id; m.seq = f.seq; m.pending = undefined; if (f.sentAt) m.sentAt = f.sentAt; state.messages.delete(f.clientId); upsert(m, true); render(); }
        break;
      }
      case 'typing':
        typingEl.textContent = t.typing(f.from.name ?? t.agent);
        typingEl.hidden = false;
        clearTimeout(state.typingTimer);
        state.typingTimer = setTimeout(() => { typingEl.hidden = true; }, 4000);
        break;
      case 'error':
        if (f.code === 'invalid_token') { state.token = ''; localStorage.removeItem(storeKey); }
        if (f.clientId && state.outbox.has(f.clientId)) {
          const frame = state.outbox.get(f.clientId);
          if (f.code === 'rate_limited') {
            showNotice(t.rateLimited(f.retryAfter ?? 5));
            setTimeout(() => { if (state.outbox.has(f.clientId)) state.ws?.send(JSON.stringify(frame)); }, (f.retryAfter ?? 5) * 1000);
          } else {
            state.outbox.delete(f.clientId);
            const m = state.messages.get(f.clientId);
            if (m) { m.pending = 'failed'; render(); }
            showNotice(f.message);
          }
        }
        break;
    }
  };
  ws.onclose = (ev) => {
    setStatus();
    if (ev.code === 4003) { void start(); return; }
    // Exponential backoff with jitter: a restarting server is not stampeded by every widget at once.
    const delay = Math.min(30_000, 500 * 2 ** state.retry++) * (0.5 + Math.random() / 2);
    setTimeout(connect, delay);
  };
}

async function start(): Promise<void> {
  try {
    await session();
    connect();
  } catch {
    setTimeout(start, Math.min(30_000, 1000 * 2 ** state.retry++));
  }
}

function sendFrame(frame: any, preview: Msg): void {
  state.outbox.set(frame.clientId, frame);
  state.messages.set(frame.clientId, preview);
  render();
  if (state.ws?.readyState === 1) state.ws.send(JSON.stringify(frame));
}

function sendText(): void {
  const text = input.value.trim();
  if (!text) return;
  input.value = '';
  autosize();
  sendMessage(text);
}

function sendMessage(text: string): void {
  const clientId = rid();
  sendFrame({ type: 'send', clientId, text },
    { id: clientId, seq: 0, clientId, direction: 'inbound', from: { role: 'customer' }, content: { kind: 'text', text }, sentAt: new Date().toISOString(), pending: 'sending' });
}

/**
 * One request: the upload carries its message (a `clientId` field, idempotent like any send),
 * so an image costs one round trip. Until it is stored a placeholder shows the file name.
 */
async function sendImage(file: File): Promise<void> {
  const clientId = rid();
  const preview: Msg = { id: clientId, seq: 0, clientId, direction: 'inbound', from: { role: 'customer' }, content: { kind: 'text', text: `🖼 ${file.name}` },
    sentAt: new Date().toISOString(), pending: 'sending' };
  state.messages.set(clientId, preview);
  render();
  const form = new FormData();
  form.append('clientId', clientId);
  form.append('file', file, file.name);
  let res: Response | undefined;
  let body: any = {};
  try {
    res = await fetch(`${origin}/v1/visitor/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${state.token}` }, body: form });
    body = await res.json().catch(() => ({}));
  } catch { /* network: handled as a failure below */ }
  if (!res?.ok || !body.message) {
    preview.pending = 'failed';
    render();
    showNotice(body?.error?.message ?? t.uploadFailed);
    return;
  }
  upsert(body.message, true);
  render();
}

function autosize(): void {
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, 120)}px`;
}

const fitScreen = phoneMode(panel, () => state.open, toEnd);

function toggle(open: boolean): void {
  state.open = open;
  panel.hidden = !open;
  launcher.classList.toggle('hidden', open);
  fitScreen();
  if (open) {
    state.unread = 0;
    badge.hidden = true;
    if (!state.ws) void start();
    render();
    // On a phone the keyboard would cover half the conversation before the visitor asked for it.
    if (!isPhone()) input.focus();
  } else if (root.activeElement) launcher.focus(); // focus was in the panel: give it back where the visitor was
}

launcher.addEventListener('click', () => toggle(true));
panel.addEventListener('keydown', (e) => { if (e.key === 'Escape') toggle(false); });
$<HTMLButtonElement>('.close').addEventListener('click', () => toggle(false));
$<HTMLFormElement>('.composer').addEventListener('submit', (e) => { e.preventDefault(); sendText(); });
input.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); sendText(); } });
input.addEventListener('input', () => {
  autosize();
  if (Date.now() - state.lastTypingSent > 2000 && state.ws?.readyState === 1) {
    state.lastTypingSent = Date.now();
    state.ws.send(JSON.stringify({ type: 'typing' }));
  }
});
fileInput.addEventListener('change', () => {
  const f = fileInput.files?.[0];
  fileInput.value = '';
  if (f) void sendImage(f);
});

function mount(): void {
  document.body.append(host);
  setStatus();
  // A returning visitor reconnects at once so agent replies show up (with an unread badge).
  // A new one only asks for a session: it carries the server's title and colour for the launcher.
  if (state.token) void start(); else session().catch(() => { /* retried when the panel opens */ });
}
if (document.body) mount(); else document.addEventListener('DOMContentLoaded', mount);

/**
 * Becomes another visitor (a signed identify's shared one, or a fresh anonymous one after a
 * logout): what is shown is that visitor's conversation, replayed from the start.
 */
function switchVisitor(token: string): void {
  state.token = token;
  if (token) localStorage.setItem(storeKey, token); else localStorage.removeItem(storeKey);
  state.messages.clear();
  state.lastSeq = 0;
  state.fresh = true;
  state.unread = 0;
  badge.hidden = true;
  render();
  const old = state.ws;
  if (old) {
    old.onclose = null;
    old.close(1000, 'visitor changed');
    state.ws = undefined;
    void start();
  }
}

/** Calls made before the session exists wait for it; calls run one after the other. */
let identifying: Promise<unknown> = Promise.resolve();
function identify(input: IdentifyInput): Promise<{ verified: boolean }> {
  const run = identifying.then(async () => {
    if (!state.token) await session();
    const a = await postIdentify(origin, state.token, input);
    if (a.token && a.token !== state.token) switchVisitor(a.token);
    return { verified: a.verified };
  });
  identifying = run.catch(() => {});
  return run;
}

(window as any).kefu = { open: () => toggle(true), close: () => toggle(false), identify,
  /** The shop's user logged out: this browser becomes a new anonymous visitor. */
  logout: () => { switchVisitor(''); if (!state.ws) session().catch(() => {}); } };
