import type Router from '@koa/router';
import type Koa from 'koa';
import { KefuError } from '../errors.js';
import type { ConversationBus } from '../bus/conversation-bus.js';
import type { Conversation } from '../model/message.js';
import type { AgentRecord } from '../store/store.js';
import { readJson } from '../http/body.js';
import type { Search, SearchParams } from './search.js';
import type { Snoozes } from './snooze.js';

export const MAX_LABEL_CHARS = 40;
export const MAX_LABELS = 30;

export interface SearchRouteDeps {
  bus: ConversationBus;
  search: Search;
  snoozes: Snoozes;
  /** A conversation as the workspace sees it (SLA clocks, snooze). */
  view: (c: Conversation) => unknown;
}

/** Trimmed, NFC, no control characters; a label is shown as text everywhere, never parsed. */
export function cleanLabel(v: unknown): string {
  if (typeof v !== 'string') throw new KefuError('validation_failed', 'labels are strings');
  const s = v.normalize('NFC').trim();
  if (!s || s.length > MAX_LABEL_CHARS || /\p{Cc}/u.test(s)) throw new KefuError('validation_failed', `a label is 1-${MAX_LABEL_CHARS} characters, no control characters`);
  return s;
}

const list = (v: unknown, key: string): string[] => {
  if (v === undefined) return [];
  if (!Array.isArray(v) || v.length > MAX_LABELS) throw new KefuError('validation_failed', `${key} must be an array of at most ${MAX_LABELS} labels`);
  return v.map(cleanLabel);
};

/**
 * GET /api/search, GET /api/labels, POST /api/conversations/:id/labels, POST /api/conversations/:id/snooze
 * and /unsnooze, GET /api/snoozed; all behind the workspace session (mounted on its authed router).
 */
export function mountSearchRoutes(router: Router, d: SearchRouteDeps, me: (ctx: Koa.Context) => AgentRecord): void {
  const conversation = async (id: string) => {
    const c = await d.bus.store.getConversation(id);
    if (!c) throw new KefuError('conversation_not_found');
    return c;
  };
  // Someone else's assigned conversation is theirs to put aside; admins may always.
  const mayChange = (ctx: Koa.Context, c: Conversation) => {
    if (c.status === 'assigned' && c.assigneeId && c.assigneeId !== me(ctx).id && me(ctx).role !== 'admin') {
      throw new KefuError('forbidden', 'Only the assigned agent or an admin can snooze it.');
    }
  };

  router.get('/search', async (ctx) => {
    const p: SearchParams = {};
    for (const k of ['q', 'channel', 'queue', 'agent', 'status', 'label', 'from', 'to', 'before', 'limit'] as const) {
      const v = ctx.query[k];
      if (Array.isArray(v)) throw new KefuError('validation_failed', `${k} is given twice`);
      if (v !== undefined) p[k] = v;
    }
    ctx.body = { ok: true, ...(await d.search.run(p, d.view)) };
  });

  router.get('/labels', async (ctx) => {
    ctx.body = { ok: true, labels: await d.bus.store.search.labels(200) };
  });

  router.post('/conversations/:id/labels', async (ctx) => {
    const c = await conversation(ctx.params.id);
    const b = await readJson(ctx, 8192);
    const add = list(b.add, 'add');
    const remove = new Set(list(b.remove, 'remove'));
    const next = [...new Set([...c.tags.filter((t) => !remove.has(t)), ...add.filter((t) => !remove.has(t))])];
    if (next.length > MAX_LABELS) throw new KefuError('validation_failed', `A conversation has at most ${MAX_LABELS} labels.`);
    if (next.length !== c.tags.length || next.some((t, i) => t !== c.tags[i])) await d.bus.updateConversation(c, { tags: next }, 'updated');
    ctx.body = { ok: true, conversation: d.view(c) };
  });

  router.post('/conversations/:id/snooze', async (ctx) => {
    const c = await conversation(ctx.params.id);
    mayChange(ctx, c);
    const b = await readJson(ctx, 1024);
    let until: number | undefined;
    if (b.until !== undefined && b.until !== null) {
      until = typeof b.until === 'number' ? b.until : typeof b.until === 'string' ? Date.parse(b.until) : NaN;
      if (!Number.isFinite(until)) throw new KefuError('validation_failed', 'until must be an ISO time or milliseconds since the epoch');
    }
    if (b.untilReply !== undefined && typeof b.untilReply !== 'boolean') throw new KefuError('validation_failed', 'untilReply must be true or false');
    const snooze = await d.snoozes.snooze(c, me(ctx).id, { until, untilReply: b.untilReply === true });
    ctx.body = { ok: true, snooze, conversation: d.view(c) };
  });

  router.post('/conversations/:id/unsnooze', async (ctx) => {
    const c = await conversation(ctx.params.id);
    mayChange(ctx, c);
    await d.snoozes.wake(c, 'agent');
    ctx.body = { ok: true, conversation: d.view(c) };
  });

  router.get('/snoozed', async (ctx) => {
    const out: unknown[] = [];
    for (const id of d.snoozes.ids()) {
      const c = await d.bus.store.getConversation(id);
      if (c) out.push(d.view(c));
    }
    ctx.body = { ok: true, conversations: out };
  });
}
