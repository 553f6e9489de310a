import type Router from '@koa/router';
import type Koa from 'koa';
import { KefuError } from '../errors.js';
import type { Conversation } from '../model/message.js';
import type { AgentRecord, Store } from '../store/store.js';
import { readJson, str } from '../http/body.js';
import { newId } from '../model/ids.js';
import type { ContactPatch, ContactService, ContactView } from './contact-service.js';
import { startConversation, type StartDeps } from './outbound-start.js';

export interface ContactRouteDeps {
  contacts: ContactService;
  store: Store;
  /** What the workspace sees of a conversation (with its SLA clocks). */
  conversationView: (c: Conversation) => unknown;
  attributeKeys: () => readonly string[];
  me: (ctx: Koa.Context) => AgentRecord;
  /** Starting a conversation on another identity of the contact (absent: the panel offers none). */
  start?: Omit<StartDeps, 'contacts'>;
}

/**
 * The workspace's contact API (agents' session required, like every /api route): the side
 * panel's contact of a conversation, search, edits, and the manual link and split, each of
 * which leaves an audit entry naming the agent.
 */
export function mountContactRoutes(r: Router, d: ContactRouteDeps): void {
  const json = (v: ContactView) => ({ ok: true, contact: v.contact, identities: v.identities.map(({ key, verified, address, source }) => ({ key, verified, address, source })),
    conversations: v.conversations.map(d.conversationView), suggestions: v.suggestions, attributeKeys: d.attributeKeys(),
    starters: d.start?.starters.list() ?? [] });
  const actor = (ctx: Koa.Context) => ({ id: d.me(ctx).id, name: d.me(ctx).name });

  r.get('/conversations/:id/contact', async (ctx) => {
    const conv = await d.store.getConversation(ctx.params.id);
    if (!conv) throw new KefuError('conversation_not_found');
    ctx.body = json(await d.contacts.view(await d.contacts.observe(conv)));
  });
  r.get('/contacts', async (ctx) => {
    const q = String(ctx.query.q ?? '');
    if (q.trim().length < 2) throw new KefuError('validation_failed', 'Search with at least 2 characters.');
    ctx.body = { ok: true, contacts: await d.contacts.search(q, Number(ctx.query.limit ?? 50) || 50) };
  });
  r.get('/contacts/:id', async (ctx) => { ctx.body = json(await d.contacts.view(ctx.params.id)); });
  r.get('/contacts/:id/audit', async (ctx) => {
    const c = await d.contacts.get(ctx.params.id);
    ctx.body = { ok: true, audit: await d.contacts.auditOf(c.id) };
  });
  r.post('/contacts/:id', async (ctx) => {
    const b = await readJson(ctx, 16 * 1024);
    await d.contacts.edit(ctx.params.id, patchOf(b), actor(ctx));
    ctx.body = json(await d.contacts.view(ctx.params.id));
  });
  r.post('/contacts/:id/link', async (ctx) => {
    const b = await readJson(ctx, 1024);
    const merged = await d.contacts.link(ctx.params.id, str(b, 'other', { required: true, max: 64 })!, actor(ctx));
    ctx.body = json(await d.contacts.view(merged.id));
  });
  // The first message of a conversation on another of the contact's identities (e-mail, SMS).
  r.post('/contacts/:id/start', async (ctx) => {
    if (!d.start) throw new KefuError('channel_cannot_start');
    const b = await readJson(ctx, 64 * 1024);
    const text = str(b, 'text', { required: true })!;
    if (!text.trim()) throw new KefuError('validation_failed', 'Write the first message.');
    const agent = d.me(ctx);
    const res = await startConversation({ ...d.start, contacts: d.contacts }, {
      contactId: ctx.params.id, identity: str(b, 'identity', { required: true, max: 300 })!, channel: str(b, 'channel', { max: 40 }),
      text, subject: str(b, 'subject', { max: 200 }), clientId: str(b, 'clientId', { max: 64 }) ?? newId('S'),
      agent: { id: agent.id, role: 'agent', name: agent.name } });
    ctx.status = res.created ? 201 : 200;
    ctx.body = { ok: true, conversation: d.conversationView(res.conversation), message: res.message };
  });
  r.post('/contacts/:id/split', async (ctx) => {
    const b = await readJson(ctx, 1024);
    const fresh = await d.contacts.split(ctx.params.id, str(b, 'address', { required: true, max: 300 })!, actor(ctx));
    ctx.body = { ...json(await d.contacts.view(ctx.params.id)), split: fresh.id };
  });
}

function patchOf(b: Record<string, unknown>): ContactPatch {
  const text = (k: string, max: number): string | null | undefined => {
    if (b[k] === null || b[k] === '') return null; // an emptied field clears it
    return str(b, k, { max });
  };
  const p: ContactPatch = { name: text('name', 200), company: text('company', 200), notes: text('notes', 5000) };
  if (b.tags !== undefined) {
    if (!Array.isArray(b.tags) || b.tags.length > 50 || !b.tags.every((t) => typeof t === 'string' && t.length <= 40)) throw new KefuError('validation_failed', 'tags must be up to 50 strings of at most 40 characters');
    p.tags = b.tags as string[];
  }
  if (b.attributes !== undefined) {
    const a = b.attributes;
    if (!a || typeof a !== 'object' || Array.isArray(a) || !Object.values(a).every((v) => v === null || (typeof v === 'string' && v.length <= 200))) {
      throw new KefuError('validation_failed', 'attributes must be an object of strings (null removes one)');
    }
    p.attributes = a as Record<string, string | null>;
  }
  return p;
}
