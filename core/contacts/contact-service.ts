import type { Logger } from 'pino';
import { KefuError } from '../errors.js';
import { newId } from '../model/ids.js';
import type { Conversation } from '../model/message.js';
import type { Store } from '../store/store.js';
import { addressVerified, factsOf, isPlaceholderName, type Fact } from './identity-keys.js';
import { autoLinkTargets, mergedFields, suggestionsFor, type Suggestion } from './linking.js';
import type { AuditEntry, ContactRecord, ContactStore, IdentityRecord } from './types.js';

export interface Actor { id: string; name?: string }
const SYSTEM: Actor = { id: 'system', name: 'kefu' };

export interface ContactPatch { name?: string | null; company?: string | null; attributes?: Record<string, string | null>; tags?: string[]; notes?: string | null }

export interface ContactView {
  contact: ContactRecord;
  identities: IdentityRecord[];
  /** Every conversation of every address the contact holds, newest first. */
  conversations: Conversation[];
  suggestions: (Suggestion & { name?: string })[];
}

export interface ContactServiceOptions {
  store: Store;
  logger: Logger;
  /** `[contacts] attributes`: the custom attribute keys agents and the shop may set. */
  attributeKeys: () => readonly string[];
  now?: () => Date;
}

const MAX_FIELD = 200;
const MAX_NOTES = 5000;

/**
 * Contacts and their identities: which contact a conversation's customer is (created on first
 * sight), what the channels prove about them (identity-keys.ts), the linking rule
 * (linking.ts), and the agent's manual link and split, each with an audit entry.
 * Mutations run one at a time in this process (they are rare next to messages); across nodes
 * an address's single owner is the store's to enforce (a second claim is a conflict, re-read).
 */
export class ContactService {
  private chain: Promise<unknown> = Promise.resolve();
  /** Addresses whose facts are already stored as they are now: most conversation events change nothing here. */
  private seen = new Map<string, string>();

  constructor(private o: ContactServiceOptions) {}

  private get db(): ContactStore { return this.o.store.contacts; }
  private now(): Date { return this.o.now?.() ?? new Date(); }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => {});
    return run;
  }

  /**
   * The bus listener's entry (every created or updated conversation): no read at all when the
   * customer's name and facts are what this process last stored (a WeChat window counter moving
   * in the meta changes nothing here).
   */
  async notice(conv: Conversation): Promise<void> {
    if (this.seen.get(conv.customer.id) !== signature(conv)) await this.observe(conv);
  }

  /** The contact a conversation's customer belongs to, created and linked as the rules say. */
  observe(conv: Conversation): Promise<string> {
    const facts = factsOf(conv);
    const sig = signature(conv);
    return this.serial(async () => {
      const owner = await this.db.addressOwner(conv.customer.id);
      if (owner && this.seen.get(conv.customer.id) === sig) return this.resolve(owner.contactId);
      const id = await this.attach(conv.customer.id, addressVerified(conv), facts, isPlaceholderName(conv.customer.name) ? undefined : conv.customer.name);
      if (this.seen.size > 50_000) this.seen.clear();
      this.seen.set(conv.customer.id, sig);
      return id;
    });
  }

  /**
   * `kefu.identify()` from a web visitor. `address` is the visitor the conversation continues
   * under (for a signed id, the one all the user's devices share); `alsoAddress` the anonymous
   * visitor of this browser, which the signature proves to be the same person right now.
   */
  identify(address: string, claims: { facts: Fact[]; name?: string; attributes?: Record<string, string> }, alsoAddress?: string): Promise<string> {
    return this.serial(async () => {
      const id = await this.attach(address, true, claims.facts, claims.name);
      if (alsoAddress && alsoAddress !== address) {
        const other = await this.attach(alsoAddress, true, [], undefined);
        if (other !== id) await this.merge(id, other, SYSTEM, 'auto_link', 'signed identify in the same browser', [address, alsoAddress]);
      }
      if (claims.attributes && Object.keys(claims.attributes).length) {
        const c = (await this.db.get(id))!;
        await this.db.update({ ...c, attributes: { ...c.attributes, ...this.allowed(claims.attributes) }, updatedAt: this.now() });
      }
      this.seen.delete(address);
      return id;
    });
  }

  private async attach(address: string, verified: boolean, facts: Fact[], name: string | undefined): Promise<string> {
    let owner = await this.db.addressOwner(address);
    const now = this.now();
    if (!owner) {
      const c: ContactRecord = { id: newId('K'), name, attributes: {}, tags: [], createdAt: now, updatedAt: now };
      await this.db.create(c);
      try {
        await this.db.putIdentities([{ key: address, contactId: c.id, verified, address: true, source: address, createdAt: now }]);
        await this.db.audit({ contactId: c.id, at: now, actorId: SYSTEM.id, actorName: SYSTEM.name, action: 'created', keys: [address] });
      } catch (err) {
        // Another node created it first: theirs is the contact, and the one made here is nobody's.
        if (!(err instanceof KefuError && err.code === 'conflict')) throw err;
        await this.db.removeOrphan(c.id);
        this.o.logger.debug({ address, orphan: c.id }, 'contact address taken by another node; removed the contact made here');
      }
      owner = (await this.db.addressOwner(address))!;
    }
    const id = await this.resolve(owner.contactId);
    const contact = (await this.db.get(id))!;
    if (name && !contact.name) await this.db.update({ ...contact, name, updatedAt: now });
    const have = new Map((await this.db.identities(id)).filter((r) => !r.address).map((r) => [r.key, r]));
    const fresh = facts.filter((f) => !have.has(f.key) || (f.verified && !have.get(f.key)!.verified));
    if (fresh.length === 0) return id;
    await this.db.putIdentities(fresh.map((f) => ({ key: f.key, contactId: id, verified: f.verified, address: false, source: address, createdAt: now })));
    const holders = new Map<string, IdentityRecord[]>();
    for (const f of fresh) if (f.verified) holders.set(f.key, await this.db.withKey(f.key));
    let into = id;
    for (const other of autoLinkTargets(id, fresh, holders)) {
      const target = await this.resolve(other);
      if (target === into) continue;
      // The older contact stays: its id is the one agents and exports have seen longest.
      const keep = await this.older(into, target);
      const gone = keep === into ? target : into;
      const proof = fresh.filter((f) => f.verified && holders.get(f.key)!.some((h) => h.contactId === other && h.verified)).map((f) => f.key);
      await this.merge(keep, gone, SYSTEM, 'auto_link', 'the same verified identity', proof);
      into = keep;
    }
    return into;
  }

  private async older(a: string, b: string): Promise<string> {
    const [x, y] = [await this.db.get(a), await this.db.get(b)];
    return !x || !y || x.createdAt <= y.createdAt ? a : b;
  }

  private async merge(into: string, from: string, actor: Actor, action: 'auto_link' | 'link', reason: string, keys: string[]): Promise<void> {
    const [a, b] = [await this.db.get(into), await this.db.get(from)];
    if (!a || !b) throw new KefuError('not_found', 'No such contact.');
    const at = this.now();
    await this.db.update(mergedFields(a, b, at));
    await this.db.moveIdentities(from, into, { merge: true });
    for (const [self, other] of [[into, from], [from, into]]) {
      await this.db.audit({ contactId: self, at, actorId: actor.id, actorName: actor.name, action, otherId: other, keys, reason });
    }
    this.seen.clear();
  }

  /** Follows links: a contact merged into another answers as that one. */
  async resolve(id: string): Promise<string> {
    for (let i = 0, cur = id; i < 32; i++) {
      const c = await this.db.get(cur);
      if (!c?.mergedInto) return cur;
      cur = c.mergedInto;
    }
    return id;
  }

  async get(id: string): Promise<ContactRecord> {
    const c = await this.db.get(await this.resolve(id));
    if (!c) throw new KefuError('not_found', 'No such contact.');
    return c;
  }

  async view(id: string): Promise<ContactView> {
    const contact = await this.get(id);
    const identities = await this.db.identities(contact.id);
    const convs = new Map<string, Conversation>();
    for (const r of identities) if (r.address) for (const c of await this.o.store.findConversationsByCustomer(r.key)) convs.set(c.id, c);
    const at = (c: Conversation) => (c.lastMessageAt ?? c.updatedAt).getTime();
    const sameKey: IdentityRecord[] = [];
    for (const r of identities) sameKey.push(...(await this.db.withKey(r.key)).filter((x) => x.contactId !== contact.id));
    const sameName = contact.name && !isPlaceholderName(contact.name) ? await this.db.byName(contact.name, 10) : [];
    const suggestions = [];
    for (const s of suggestionsFor(contact, identities, sameKey, sameName)) {
      const other = await this.db.get(s.contactId);
      if (other && !other.mergedInto) suggestions.push({ ...s, name: other.name });
    }
    return { contact, identities, conversations: [...convs.values()].sort((x, y) => at(y) - at(x)), suggestions };
  }

  search(q: string, limit = 50): Promise<ContactRecord[]> {
    return this.db.search(q.trim().slice(0, 100), Math.min(Math.max(limit, 1), 100));
  }

  /** The conversations of the contacts a search finds (by name, company or identity), for the workspace search. */
  async conversationsMatching(q: string, limit: number): Promise<Conversation[]> {
    const out = new Map<string, Conversation>();
    for (const c of await this.search(q, limit)) {
      for (const r of await this.db.identities(c.id)) {
        if (r.address) for (const conv of await this.o.store.findConversationsByCustomer(r.key)) out.set(conv.id, conv);
      }
      if (out.size >= limit) break;
    }
    return [...out.values()].slice(0, limit);
  }

  auditOf(id: string): Promise<AuditEntry[]> { return this.db.auditOf(id, 200); }

  /** Agents edit name, company, the configured attributes, tags and notes; null clears. */
  edit(id: string, patch: ContactPatch, actor: Actor): Promise<ContactRecord> {
    return this.serial(async () => {
      const c = await this.get(id);
      const next: ContactRecord = { ...c, attributes: { ...c.attributes }, updatedAt: this.now() };
      const text = (v: string | null | undefined, max: number) => (v === null ? undefined : v === undefined ? undefined : bounded(v, max));
      if (patch.name !== undefined) next.name = text(patch.name, MAX_FIELD);
      if (patch.company !== undefined) next.company = text(patch.company, MAX_FIELD);
      if (patch.notes !== undefined) next.notes = text(patch.notes, MAX_NOTES);
      if (patch.tags) next.tags = [...new Set(patch.tags.map((t) => bounded(t, 40)).filter(Boolean))].slice(0, 50);
      for (const [k, v] of Object.entries(patch.attributes ?? {})) {
        if (!this.o.attributeKeys().includes(k)) throw new KefuError('validation_failed', `"${k}" is not one of the configured contact attributes.`);
        if (v === null || v === '') delete next.attributes[k]; else next.attributes[k] = bounded(v, MAX_FIELD);
      }
      await this.db.update(next);
      const changed = Object.keys(patch).filter((k) => (patch as Record<string, unknown>)[k] !== undefined);
      await this.db.audit({ contactId: c.id, at: next.updatedAt, actorId: actor.id, actorName: actor.name, action: 'edit', reason: changed.join(', ') });
      return next;
    });
  }

  /** An agent says two contacts are one person: `from` joins `into`. */
  link(into: string, from: string, actor: Actor): Promise<ContactRecord> {
    return this.serial(async () => {
      const [a, b] = [await this.resolve(into), await this.resolve(from)];
      if (a === b) throw new KefuError('invalid_state', 'These are already the same contact.');
      const keys = (await this.db.identities(b)).filter((r) => r.address).map((r) => r.key);
      await this.merge(a, b, actor, 'link', 'linked by an agent', keys);
      return this.get(a);
    });
  }

  /**
   * An agent starts a conversation on one of the contact's identities: its channel address
   * (`email:li@…`, `sms:+86…`) becomes the contact's before the conversation exists, so the
   * conversation is theirs from its first event. An address another contact holds is refused:
   * the agent links the two first (never a merge on the agent's guess, silently).
   */
  claimAddress(id: string, address: string, verified: boolean, actor: Actor, identity: string): Promise<string> {
    return this.serial(async () => {
      const c = await this.get(id);
      const owner = await this.db.addressOwner(address);
      if (owner) {
        if (await this.resolve(owner.contactId) === c.id) return c.id;
        throw new KefuError('identity_not_of_contact', `${address} belongs to another contact: link the two contacts first.`);
      }
      const now = this.now();
      await this.db.putIdentities([{ key: address, contactId: c.id, verified, address: true, source: address, createdAt: now }]);
      await this.db.audit({ contactId: c.id, at: now, actorId: actor.id, actorName: actor.name, action: 'start', keys: [identity, address], reason: 'conversation started by an agent' });
      this.seen.delete(address);
      return c.id;
    });
  }

  /** An agent says an address (and what it taught us) is someone else: it moves to a new contact. */
  split(id: string, address: string, actor: Actor): Promise<ContactRecord> {
    return this.serial(async () => {
      const c = await this.get(id);
      const mine = await this.db.identities(c.id);
      if (!mine.some((r) => r.address && r.key === address)) throw new KefuError('validation_failed', 'The contact holds no such address.');
      if (mine.filter((r) => r.address).length < 2) throw new KefuError('invalid_state', 'A contact keeps at least one address.');
      const now = this.now();
      const fresh: ContactRecord = { id: newId('K'), attributes: {}, tags: [], createdAt: now, updatedAt: now };
      await this.db.create(fresh);
      await this.db.moveIdentities(c.id, fresh.id, { sources: [address] });
      const keys = mine.filter((r) => r.source === address).map((r) => r.key);
      for (const [self, other] of [[c.id, fresh.id], [fresh.id, c.id]]) {
        await this.db.audit({ contactId: self, at: now, actorId: actor.id, actorName: actor.name, action: 'split', otherId: other, keys, reason: 'split by an agent' });
      }
      this.seen.clear();
      return fresh;
    });
  }

  private allowed(attrs: Record<string, string>): Record<string, string> {
    const keys = this.o.attributeKeys();
    return Object.fromEntries(Object.entries(attrs).filter(([k, v]) => keys.includes(k) && typeof v === 'string').map(([k, v]) => [k, bounded(v, MAX_FIELD)]));
  }
}

const signature = (conv: Conversation) => JSON.stringify([conv.customer.name, factsOf(conv)]);

function bounded(v: string, max: number): string {
  const s = String(v).trim();
  return s.length > max ? s.slice(0, max) : s;
}
