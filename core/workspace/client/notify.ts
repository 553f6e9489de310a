import { S, customerName, invalidate, toast, type Conv } from './state';
import { t } from './i18n';

/**
 * Tells an agent about a new assignment or a customer's reply while the tab is in the background:
 * a desktop notification (permission asked once, on the first click or key press, since browsers
 * refuse a request made without one), a short tone made with WebAudio (no sound file to fetch),
 * and the unread count in the tab's title.
 */
const ASKED = 'kefu.workspace.notifyAsked';
const BASE_TITLE = document.title;
let audio: AudioContext | undefined;
let opener: (id: string) => void = () => {};

const hidden = () => document.visibilityState === 'hidden';

export function initNotify(open: (id: string) => void): void {
  opener = open;
  const gesture = () => {
    document.removeEventListener('pointerdown', gesture, true);
    document.removeEventListener('keydown', gesture, true);
    // An AudioContext made outside a gesture starts suspended (autoplay rules): this one may play later.
    try { audio ??= new AudioContext(); void audio.resume(); } catch { /* no WebAudio: notifications only */ }
    askOnce();
  };
  document.addEventListener('pointerdown', gesture, true);
  document.addEventListener('keydown', gesture, true);
  document.addEventListener('visibilitychange', () => {
    if (hidden() || !S.current || !S.unread.has(S.current)) return;
    S.unread.delete(S.current); // back on the tab: the open conversation has been seen
    invalidate('list');
  });
}

function askOnce(): void {
  if (typeof Notification === 'undefined' || Notification.permission !== 'default') return;
  try { if (localStorage.getItem(ASKED)) return; localStorage.setItem(ASKED, '1'); } catch { /* asked this page only */ }
  void Notification.requestPermission().then((p) => { if (p === 'denied') toast(t.enableNotify); }, (err) => unavailable('permission request failed', err));
}

let warned = false;
/** Said once: the agent learns that only the title and the tone will tell them, and the console why. */
function unavailable(what: string, err: unknown): void {
  console.warn(`kefu: desktop notification ${what}`, err);
  if (warned) return;
  warned = true;
  toast(t.notifyUnavailable);
}

/** Two short falling tones, quiet; nothing when the page never had a gesture to unlock audio. */
function chime(): void {
  if (!audio || audio.state !== 'running') return;
  const at = audio.currentTime;
  for (const [i, hz] of [880, 660].entries()) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = hz;
    gain.gain.setValueAtTime(0.0001, at + i * 0.16);
    gain.gain.exponentialRampToValueAtTime(0.15, at + i * 0.16 + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, at + i * 0.16 + 0.15);
    osc.connect(gain).connect(audio.destination);
    osc.start(at + i * 0.16);
    osc.stop(at + i * 0.16 + 0.16);
  }
}

function alertAgent(title: string, body: string, convId: string): void {
  if (!hidden()) return;
  chime();
  if (typeof Notification === 'undefined' || Notification.permission !== 'granted') return;
  try {
    // One per conversation (tag): a burst of replies replaces the notice instead of stacking them.
    const n = new Notification(title, { body: body.slice(0, 140), tag: `kefu-${convId}` });
    n.onclick = () => { window.focus(); opener(convId); n.close(); };
  } catch (err) {
    unavailable('failed', err); // some browsers only allow them from a service worker; the title still counts
  }
}

/** Every frame, before the workspace applies it (`prev`: the conversation as it was). */
export function noteFrame(f: any, prev: Conv | undefined): void {
  const me = S.me?.id;
  if (!me) return;
  if (f.type === 'conversation') {
    const c: Conv = f.conversation;
    const mineNow = c.assigneeId === me && c.status === 'assigned';
    if (mineNow && !(prev?.assigneeId === me && prev.status === 'assigned')) alertAgent(t.notifyAssigned(customerName(c)), c.queue, c.id);
    if (prev?.snooze && !c.snooze && c.assigneeId === me) {
      if (hidden()) alertAgent(t.snoozeBack(customerName(c)), '', c.id); else toast(t.snoozeBack(customerName(c)));
    }
    return;
  }
  if (f.type === 'message') {
    const m = f.message;
    if (m.direction !== 'inbound' || m.editedAt || !prev || m.seq <= prev.lastSeq) return;
    if (prev.assigneeId !== me && m.conversationId !== S.current) return;
    // The open conversation counts as unread too while nobody is looking at the tab.
    if (hidden() && m.conversationId === S.current) S.unread.set(m.conversationId, (S.unread.get(m.conversationId) ?? 0) + 1);
    const text = m.content?.kind === 'text' ? m.content.text : m.content?.caption ?? '';
    alertAgent(t.notifyReply(customerName(prev)), text, m.conversationId);
  }
}

/** "(3) kefu · Agent workspace": the number of unread customer messages, on every list paint. */
export function titleTick(): void {
  let n = 0;
  for (const v of S.unread.values()) n += v;
  const title = n ? `(${n > 99 ? '99+' : n}) ${BASE_TITLE}` : BASE_TITLE;
  if (document.title !== title) document.title = title;
}
