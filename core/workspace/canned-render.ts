/**
 * Shared by the server (tests, API) and the workspace client: no imports. A canned reply's
 * variables filled in for one conversation; an unknown variable, or one with no value, is left
 * as written so the agent sees it before sending instead of the customer seeing a gap.
 */
export interface CannedVars {
  customer: { name?: string };
  agent: { name?: string };
  conversation: { id: string };
}

export function renderCanned(text: string, v: CannedVars): string {
  const values: Record<string, string | undefined> = {
    'customer.name': v.customer.name, 'agent.name': v.agent.name, 'conversation.id': v.conversation.id,
  };
  return text.replace(/\{([a-z]+\.[a-z]+)\}/g, (all, key: string) => values[key] || all);
}

export interface RankableReply { shortcut: string; title?: string; text: string; lang?: string; intents: string[]; scope: string }

/**
 * The picker's order for what the agent typed after `/`: shortcut prefix matches before matches
 * in the title or text; within those, replies for the conversation's intent, then the agent's own,
 * then the agent's language, then by shortcut.
 */
export function rankCanned<T extends RankableReply>(all: T[], query: string, ctx: { intent?: string; lang?: string }): T[] {
  const q = query.toLowerCase();
  const score = (r: T) => {
    const prefix = r.shortcut.startsWith(q) ? 0 : 1;
    return [prefix, ctx.intent && r.intents.includes(ctx.intent) ? 0 : 1, r.scope === 'personal' ? 0 : 1, ctx.lang && r.lang === ctx.lang ? 0 : 1];
  };
  const hits = all.filter((r) => !q || r.shortcut.startsWith(q) || (r.title ?? '').toLowerCase().includes(q) || r.text.toLowerCase().includes(q));
  const keyed = hits.map((r) => ({ r, s: score(r) }));
  keyed.sort((a, b) => {
    for (let i = 0; i < a.s.length; i++) if (a.s[i] !== b.s[i]) return a.s[i] - b.s[i];
    return a.r.shortcut.localeCompare(b.r.shortcut);
  });
  return keyed.map((k) => k.r);
}
