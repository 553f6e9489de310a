import type Router from '@koa/router';
import type Koa from 'koa';
import { z } from 'zod';
import { KefuError } from '../errors.js';
import { randomToken } from '../model/ids.js';
import type { AgentRecord, ChannelStateStore } from '../store/store.js';
import { readJson } from '../http/body.js';

/**
 * Canned replies: a team library (admins edit it) and each agent's own, picked in the reply box
 * with `/shortcut`. Kept in the store's key-value table, one JSON document per library, so both
 * stores carry them without a schema of their own; a library is small (capped below) and edited
 * rarely, and edits to one library are serialized here. (Cluster mode: edits on two nodes at the
 * same instant can race; the last write wins.)
 */
export interface CannedReply {
  id: string;
  scope: 'team' | 'personal';
  shortcut: string;
  title?: string;
  text: string;
  /** 'zh', 'en', … shown as a hint; the picker lists the agent's language first. */
  lang?: string;
  /** Intent labels this reply answers: ranked first when the conversation has that intent. */
  intents: string[];
  updatedAt: number;
  updatedBy: string;
}

export const MAX_TEAM = 1000;
export const MAX_PERSONAL = 200;
const KV = 'core';
const keyOf = (scope: CannedReply['scope'], agentId: string) => (scope === 'team' ? 'canned:team' : `canned:personal:${agentId}`);

/** Letters or digits of any script (so `/退款` works), then `_` and `-`; compared lowercased. */
const shortcut = z.string().trim().toLowerCase().regex(/^[\p{L}\p{N}][\p{L}\p{N}_-]{0,31}$/u, 'shortcut: 1–32 letters, digits, _ or -, no spaces');
const fields = z.object({
  shortcut,
  title: z.string().trim().max(100).optional(),
  text: z.string().trim().min(1, 'text is required').max(4000),
  lang: z.string().trim().regex(/^[a-z]{2}(-[A-Za-z]{2,4})?$/, 'lang: e.g. zh, en, zh-TW').optional(),
  intents: z.array(z.string().trim().min(1).max(64)).max(20).default([]),
});
const createSchema = fields.extend({ scope: z.enum(['team', 'personal']).default('personal') });

export class CannedReplies {
  private chains = new Map<string, Promise<unknown>>();
  constructor(private kv: ChannelStateStore) {}

  /** The team's replies and the agent's own. */
  async list(agentId: string): Promise<CannedReply[]> {
    return [...await this.read(keyOf('team', agentId)), ...await this.read(keyOf('personal', agentId))];
  }

  async create(agent: AgentRecord, input: unknown): Promise<CannedReply> {
    const f = parse(createSchema, input);
    this.mayEdit(agent, f.scope);
    const { scope, ...rest } = f;
    return this.edit(keyOf(scope, agent.id), (list) => {
      if (list.length >= (scope === 'team' ? MAX_TEAM : MAX_PERSONAL)) throw new KefuError('conflict', `The ${scope} library is full.`);
      unique(list, rest.shortcut);
      const reply: CannedReply = { id: `C${randomToken(9)}`, scope, ...rest, updatedAt: Date.now(), updatedBy: agent.id };
      return { list: [...list, reply], result: reply };
    });
  }

  async update(agent: AgentRecord, id: string, input: unknown): Promise<CannedReply> {
    const { key, scope } = await this.find(agent, id);
    const patch = parse(fields.partial(), input);
    return this.edit(key, (list) => {
      const old = list.find((r) => r.id === id);
      if (!old) throw new KefuError('not_found', 'No such canned reply.');
      if (patch.shortcut && patch.shortcut !== old.shortcut) unique(list, patch.shortcut);
      const next: CannedReply = { ...old, ...stripUndefined(patch), scope, updatedAt: Date.now(), updatedBy: agent.id };
      return { list: list.map((r) => (r.id === id ? next : r)), result: next };
    });
  }

  async remove(agent: AgentRecord, id: string): Promise<void> {
    const { key } = await this.find(agent, id);
    await this.edit(key, (list) => ({ list: list.filter((r) => r.id !== id), result: undefined }));
  }

  /** Where a reply lives, checking that this agent may change it (team: admins; personal: its owner). */
  private async find(agent: AgentRecord, id: string): Promise<{ key: string; scope: CannedReply['scope'] }> {
    for (const scope of ['personal', 'team'] as const) {
      const key = keyOf(scope, agent.id);
      if ((await this.read(key)).some((r) => r.id === id)) {
        this.mayEdit(agent, scope);
        return { key, scope };
      }
    }
    throw new KefuError('not_found', 'No such canned reply.');
  }

  private mayEdit(agent: AgentRecord, scope: CannedReply['scope']): void {
    if (scope === 'team' && agent.role !== 'admin') throw new KefuError('forbidden', 'Only admins edit the team\'s canned replies.');
  }

  private async read(key: string): Promise<CannedReply[]> {
    return JSON.parse((await this.kv.get(KV, key)) ?? '[]') as CannedReply[];
  }

  /** Read-modify-write of one library, one at a time. */
  private edit<T>(key: string, f: (list: CannedReply[]) => { list: CannedReply[]; result: T }): Promise<T> {
    const run = (this.chains.get(key) ?? Promise.resolve()).catch(() => undefined).then(async () => {
      const { list, result } = f(await this.read(key));
      await this.kv.set(KV, key, JSON.stringify(list));
      return result;
    });
    this.chains.set(key, run);
    return run;
  }
}

function unique(list: CannedReply[], s: string): void {
  if (list.some((r) => r.shortcut === s)) throw new KefuError('conflict', `/${s} already exists in this library.`);
}

function parse<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const r = schema.safeParse(input);
  if (!r.success) throw new KefuError('validation_failed', r.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; '));
  return r.data;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** GET/POST /api/canned, POST /api/canned/:id (update), POST /api/canned/:id/delete; all need a session. */
export function mountCannedRoutes(router: Router, canned: CannedReplies, me: (ctx: Koa.Context) => AgentRecord): void {
  router.get('/canned', async (ctx) => { ctx.body = { ok: true, replies: await canned.list(me(ctx).id) }; });
  router.post('/canned', async (ctx) => {
    const reply = await canned.create(me(ctx), await readJson(ctx, 16_384));
    ctx.status = 201;
    ctx.body = { ok: true, reply };
  });
  router.post('/canned/:id', async (ctx) => { ctx.body = { ok: true, reply: await canned.update(me(ctx), ctx.params.id, await readJson(ctx, 16_384)) }; });
  router.post('/canned/:id/delete', async (ctx) => {
    await canned.remove(me(ctx), ctx.params.id);
    ctx.body = { ok: true };
  });
}
