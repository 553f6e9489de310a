import type { Fact } from './identity-keys.js';
import type { ContactRecord, IdentityRecord } from './types.js';

/**
 * The linking rule, the only place contacts join by themselves: a *verified* key arriving on
 * one contact links it with every other contact that holds the *same key verified*. Anything
 * else (an unverified e-mail, a claimed shop id, the same name) is at most a suggestion.
 * Pure, so the rule is tested without a store.
 */
export function autoLinkTargets(selfId: string, incoming: readonly Fact[], holders: ReadonlyMap<string, readonly IdentityRecord[]>): string[] {
  const out = new Set<string>();
  for (const f of incoming) {
    if (!f.verified) continue;
    for (const h of holders.get(f.key) ?? []) if (h.verified && h.contactId !== selfId) out.add(h.contactId);
  }
  return [...out];
}

export interface Suggestion { contactId: string; reasons: string[] }

const KIND_LABEL: Record<string, string> = { email: 'e-mail', phone: 'phone', shop: 'shop user id', wechat_unionid: 'WeChat unionid' };

function label(key: string, mine: boolean, theirs: boolean): string {
  const kind = key.slice(0, key.indexOf(':'));
  const state = mine && theirs ? 'verified on both' : mine || theirs ? 'verified on one side only' : 'unverified';
  return `same ${KIND_LABEL[kind] ?? kind} ${key.slice(kind.length + 1)} (${state})`;
}

/**
 * "This may be the same person as …": other contacts sharing a key with this one, or its exact
 * name. Never acted on without an agent.
 */
export function suggestionsFor(self: ContactRecord, mine: readonly IdentityRecord[], sameKey: readonly IdentityRecord[],
  sameName: readonly ContactRecord[]): Suggestion[] {
  const by = new Map<string, Set<string>>();
  const add = (id: string, reason: string) => {
    if (id === self.id) return;
    let s = by.get(id);
    if (!s) by.set(id, (s = new Set()));
    s.add(reason);
  };
  const myKeys = new Map(mine.map((r) => [r.key, r]));
  for (const other of sameKey) {
    const m = myKeys.get(other.key);
    if (m) add(other.contactId, label(other.key, m.verified, other.verified));
  }
  for (const c of sameName) if (!c.mergedInto) add(c.id, `same name "${c.name}"`);
  return [...by].map(([contactId, reasons]) => ({ contactId, reasons: [...reasons] }));
}

/** What a link keeps: the target's fields, gaps filled from the other, tags joined, notes one after the other. */
export function mergedFields(into: ContactRecord, from: ContactRecord, now: Date): ContactRecord {
  return {
    ...into,
    name: into.name ?? from.name,
    company: into.company ?? from.company,
    attributes: { ...from.attributes, ...into.attributes },
    tags: [...new Set([...into.tags, ...from.tags])],
    notes: [into.notes, from.notes].filter(Boolean).join('\n\n') || undefined,
    updatedAt: now,
  };
}
