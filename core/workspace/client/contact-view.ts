import { h, ago } from './dom';
import { S, api, customerName, toast, type Conv } from './state';
import { lang, locale, statusName, t } from './i18n';

/**
 * The contact in the side panel: who the customer is across channels (name, company, the
 * configured attributes, tags, notes: editable), their identities (verified or not), their
 * conversations on every channel newest first (a click opens one, to reply there), "this may be
 * the same person as …" with Link, Split per address, and the audit trail. The panel is one
 * element per conversation that side repaints move rather than rebuild, so a draft edit survives.
 */
type Identity = { key: string; verified: boolean; address: boolean; source: string };
type Contact = { id: string; name?: string; company?: string; attributes: Record<string, string>; tags: string[]; notes?: string };
type View = { contact: Contact; identities: Identity[]; conversations: Conv[]; suggestions: { contactId: string; name?: string; reasons: string[] }[]; attributeKeys: string[];
  /** Running channels that can write first, and to which identity kinds (`email`, `phone`). */
  starters?: { channel: string; kinds: string[] }[] };

export const CONTACT_CSS = `
.contact { border-top: 1px solid #e1e4ea; margin-top: 12px; padding-top: 4px; }
.contact form { display: grid; grid-template-columns: 84px 1fr; gap: 6px 8px; align-items: center; font-size: 13px; }
.contact form label { color: #69707d; } .contact form input, .contact form textarea { padding: 4px 8px; min-width: 0; }
.contact form .actions { grid-column: 2; display: flex; gap: 8px; align-items: center; }
.contact ul { list-style: none; margin: 4px 0 10px; padding: 0; font-size: 13px; } .contact li { padding: 3px 0; display: flex; gap: 6px; align-items: center; flex-wrap: wrap; }
.contact .ident { overflow-wrap: anywhere; } .contact .chip.verified { background: #e3f5e8; color: #17663a; } .contact .chip.unverified { background: #fff4d6; color: #8a5a00; }
.contact li.conv { cursor: pointer; border-radius: 6px; padding: 4px 6px; } .contact li.conv:hover { background: #f0f3fa; } .contact li.conv.on { background: #e8effd; }
.contact .suggest { background: #fffbeb; border: 1px solid #f5e3a3; border-radius: 8px; padding: 6px 8px; }
.contact li button { padding: 1px 8px; font-size: 12px; }
.contact li.start form { display: grid; gap: 6px; width: 100%; grid-template-columns: 1fr; } .contact li.start input, .contact li.start textarea { width: 100%; box-sizing: border-box; padding: 4px 8px; }
.contact li.start .actions { display: flex; gap: 8px; grid-column: 1; } .contact .found { max-height: 160px; overflow-y: auto; }
`;

let opener: (c: Conv) => void = () => {};
/** workspace.ts hands over how a conversation is opened. */
export function setContactOpener(fn: (c: Conv) => void): void { opener = fn; }

/** `lang`: the language the panel was painted in; a switch repaints it from the view it holds. */
const panels = new Map<string, { el: HTMLElement; view?: View; lang: string }>();

/** side.ts's hook: the contact block of the open conversation (loaded once per opening). */
export function contactSection(convId: string | undefined): HTMLElement[] {
  if (!convId) return [];
  let p = panels.get(convId);
  if (!p) {
    p = { el: h('div', { class: 'contact', 'data-conversation': convId }, h('h3', {}, t.ctContact), h('div', { class: 'dim' }, t.loading)), lang };
    for (const k of panels.keys()) if (k !== S.current) panels.delete(k);
    panels.set(convId, p);
    void load(convId);
  } else if (p.lang !== lang && p.view) paintPanel(convId);
  return [p.el];
}

async function load(convId: string, path = `/api/conversations/${encodeURIComponent(convId)}/contact`, body?: unknown): Promise<void> {
  const p = panels.get(convId);
  if (!p) return;
  try {
    p.view = await api(path, body);
    paintPanel(convId);
  } catch (err) {
    toast(t.ctError((err as Error).message));
    if (!p.view) p.el.replaceChildren(h('h3', {}, t.ctContact), h('div', { class: 'dim' }, (err as Error).message));
  }
}

const cid = (v: View) => encodeURIComponent(v.contact.id);

function paintPanel(convId: string): void {
  const p = panels.get(convId)!;
  const v = p.view!;
  p.lang = lang;
  const field = (name: string, label: string, value = '', area = false) => [h('label', { for: `ct-${name}` }, label),
    area ? h('textarea', { id: `ct-${name}`, name, rows: 2 }, value) : h('input', { id: `ct-${name}`, name, value })];
  const form = h('form', { class: 'edit', onsubmit: (e: Event) => { e.preventDefault(); save(convId, form as HTMLFormElement); } },
    ...field('name', t.ctName, v.contact.name), ...field('company', t.ctCompany, v.contact.company),
    ...v.attributeKeys.flatMap((k) => field(`attr:${k}`, k, v.contact.attributes[k])),
    ...field('tags', t.ctTags, v.contact.tags.join(', ')), ...field('notes', t.ctNotes, v.contact.notes, true),
    h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary save' }, t.ctSave)));
  const addresses = v.identities.filter((i) => i.address).length;
  const identities = h('ul', { class: 'identities' }, ...v.identities.map((i) => h('li', { 'data-key': i.key },
    h('span', { class: 'ident' }, i.key),
    h('span', { class: `chip ${i.verified ? 'verified' : 'unverified'}` }, i.verified ? t.ctVerified : t.ctUnverified),
    writeButton(convId, v, i),
    i.address && addresses > 1 ? h('button', { class: 'split', title: t.ctSplitTitle,
      onclick: () => confirm(t.ctSplitConfirm(i.key)) && void load(convId, `/api/contacts/${cid(v)}/split`, { address: i.key }) }, t.ctSplit) : null)));
  const convs = h('ul', { class: 'conversations' }, ...v.conversations.map((c, n) => h('li', {
    class: `conv${c.id === S.current ? ' on' : ''}`, 'data-id': c.id, 'data-channel': c.channel, title: t.ctOpenTitle, onclick: () => opener(c) },
    h('span', { class: 'chip' }, c.channel), h('span', { class: `chip ${c.status}` }, statusName(c.status)), h('span', {}, customerName(c)),
    h('span', { class: 'dim' }, ago(c.lastMessageAt ?? c.updatedAt)), n === 0 ? h('span', { class: 'chip last' }, t.ctLastUsed) : null)));
  const suggestions = v.suggestions.map((s) => h('div', { class: 'suggest', 'data-contact': s.contactId },
    h('div', {}, t.ctMaybeSame, h('b', {}, s.name ?? s.contactId)), h('div', { class: 'dim' }, s.reasons.join('; ')),
    h('button', { class: 'link', onclick: () => void load(convId, `/api/contacts/${cid(v)}/link`, { other: s.contactId }) }, t.ctLink)));
  const found = h('ul', { class: 'found' });
  const search = h('input', { class: 'find', placeholder: t.ctFindPlaceholder, 'aria-label': t.ctFind,
    onkeydown: (e: KeyboardEvent) => { if (e.key === 'Enter') { e.preventDefault(); void find(convId, (e.target as HTMLInputElement).value, found); } } });
  const history = h('details', { class: 'audit', ontoggle: (e: Event) => { if ((e.target as HTMLDetailsElement).open) void audit(v, history); } }, h('summary', {}, t.ctHistory));
  p.el.replaceChildren(h('h3', {}, t.ctContact), form, h('h3', {}, t.ctIdentities), identities, ...suggestions,
    h('h3', {}, t.ctConversations(v.conversations.length)), convs, search, found, history);
}

function save(convId: string, form: HTMLFormElement): void {
  const v = panels.get(convId)!.view!;
  const value = (n: string) => ((form.elements.namedItem(n) as HTMLInputElement | null)?.value ?? '').trim();
  const attributes: Record<string, string | null> = {};
  for (const k of v.attributeKeys) attributes[k] = value(`attr:${k}`) || null;
  void load(convId, `/api/contacts/${cid(v)}`, { name: value('name'), company: value('company'), notes: value('notes'),
    tags: value('tags').split(',').map((t) => t.trim()).filter(Boolean), attributes });
}

async function find(convId: string, q: string, into: HTMLElement): Promise<void> {
  const v = panels.get(convId)?.view;
  if (!v) return;
  try {
    const r = await api(`/api/contacts?q=${encodeURIComponent(q)}`);
    const others = (r.contacts as Contact[]).filter((c) => c.id !== v.contact.id);
    into.replaceChildren(...(others.length ? others.map((c) => h('li', { 'data-contact': c.id }, h('span', {}, c.name ?? c.id), c.company ? h('span', { class: 'dim' }, c.company) : null,
      h('button', { class: 'link', onclick: () => confirm(t.ctLinkConfirm(c.name ?? c.id)) && void load(convId, `/api/contacts/${cid(v)}/link`, { other: c.id }) }, t.ctLink)))
      : [h('li', { class: 'dim' }, t.ctNoMatch)]));
  } catch (err) { toast(t.ctSearchError((err as Error).message)); }
}

async function audit(v: View, into: HTMLElement): Promise<void> {
  try {
    const r = await api(`/api/contacts/${cid(v)}/audit`);
    into.replaceChildren(into.firstChild!, h('ul', {}, ...r.audit.map((e: any) => h('li', { 'data-action': e.action },
      h('span', { class: 'dim' }, new Date(e.at).toLocaleString(locale())), h('b', {}, auditName(e.action)), h('span', {}, e.actorName ?? e.actorId),
      h('span', { class: 'dim' }, [e.keys?.join(', '), e.reason].filter(Boolean).join(' · '))))));
  } catch (err) { toast(t.ctHistoryError((err as Error).message)); }
}

const auditName = (a: string) => {
  const key = `ctAudit_${a}` as keyof typeof t;
  return typeof t[key] === 'string' ? t[key] as string : a.replace('_', ' ');
};

/** The channel that can write first to this identity, unless the contact already has a conversation there (reply in it). */
function starterFor(v: View, i: Identity): string | undefined {
  if (i.address) return undefined;
  const colon = i.key.indexOf(':');
  const channel = v.starters?.find((s) => s.kinds.includes(i.key.slice(0, colon)))?.channel;
  const address = channel && `${channel}:${i.key.slice(colon + 1)}`;
  return channel && !v.conversations.some((c) => c.customer.id === address) ? channel : undefined;
}

/** "Write by e-mail / SMS": a first message (and an e-mail's subject) to an identity the contact has no conversation on. */
function writeButton(convId: string, v: View, i: Identity): HTMLElement | null {
  const channel = starterFor(v, i);
  if (!channel) return null;
  const label = channel === 'email' ? t.ctWriteEmail : channel === 'sms' ? t.ctWriteSms : t.ctWriteOn(channel);
  return h('button', { class: 'write', 'data-channel': channel, onclick: (e: Event) => {
    const li = (e.target as HTMLElement).closest('li')!;
    if (li.nextElementSibling?.classList.contains('start')) return;
    li.after(startForm(convId, v, i, channel));
  } }, label);
}

function startForm(convId: string, v: View, i: Identity, channel: string): HTMLElement {
  const clientId = `s${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
  const subject = channel === 'email' ? h('input', { name: 'subject', placeholder: t.ctSubject, 'aria-label': t.ctSubject }) as HTMLInputElement : undefined;
  const text = h('textarea', { name: 'text', rows: 3, placeholder: t.ctFirstMessage, 'aria-label': t.ctFirstMessage }) as HTMLTextAreaElement;
  const form = h('li', { class: 'start', 'data-key': i.key }, h('form', { onsubmit: async (e: Event) => {
    e.preventDefault();
    if (!text.value.trim()) return;
    const button = form.querySelector('button[type=submit]') as HTMLButtonElement;
    button.disabled = true;
    try {
      const r = await api(`/api/contacts/${cid(v)}/start`, { identity: i.key, channel, text: text.value, subject: subject?.value || undefined, clientId });
      form.remove();
      await load(convId);
      opener(r.conversation);
    } catch (err) {
      button.disabled = false;
      toast(t.ctStartError((err as Error).message));
    }
  } }, ...(subject ? [subject] : []), text,
  h('div', { class: 'actions' }, h('button', { type: 'submit', class: 'primary send-start' }, t.send), h('button', { type: 'button', onclick: () => form.remove() }, t.ctCancel))));
  return form;
}

/** Runs a side repaint that moves the contact panel without taking the cursor out of a field being edited. */
export function keepFocus(repaint: () => void): void {
  const el = document.activeElement as HTMLInputElement | null;
  const inPanel = el?.closest?.('.contact') ? el : undefined;
  const sel = inPanel && typeof inPanel.selectionStart === 'number' ? [inPanel.selectionStart, inPanel.selectionEnd ?? inPanel.selectionStart] : undefined;
  repaint();
  if (inPanel && inPanel.isConnected && document.activeElement !== inPanel) {
    inPanel.focus();
    if (sel) inPanel.setSelectionRange(sel[0], sel[1]);
  }
}
