import type { Conversation, ConversationRef } from '../model/message.js';

/**
 * Conversation objects by id and by ref, least recently used evicted past `limit`. Both stores
 * hand out the cached object: callers mutate and save the conversation they read, and a
 * conversation whose creation has not reached the database yet is still found by its ref.
 */
export class ConversationCache {
  private byId = new Map<string, Conversation>();
  private byRef = new Map<string, string>();

  /** `canEvict(id)`: false while a write of that conversation may still be in flight (it could not be read back). */
  constructor(private canEvict: (id: string) => boolean, private limit = 50_000) {}

  get(id: string): Conversation | undefined { return this.byId.get(id); }

  idOf(ref: ConversationRef): string | undefined { return this.byRef.get(refKeyOf(ref)); }

  put(conv: Conversation): Conversation {
    this.byId.delete(conv.id);
    this.byId.set(conv.id, conv);
    this.byRef.set(refKeyOf(conv.ref), conv.id);
    if (this.byId.size > this.limit) {
      const [oldId, old] = this.byId.entries().next().value as [string, Conversation];
      if (this.canEvict(oldId)) { this.byId.delete(oldId); this.byRef.delete(refKeyOf(old.ref)); }
    }
    return conv;
  }

  /** Drops `conv` if it is the cached object (a save of it was refused). */
  forget(conv: Conversation): void {
    if (this.byId.get(conv.id) !== conv) return;
    this.byId.delete(conv.id);
    if (this.byRef.get(refKeyOf(conv.ref)) === conv.id) this.byRef.delete(refKeyOf(conv.ref));
  }
}

export function refKeyOf(ref: ConversationRef): string { return `${ref.channel}\u0000${ref.account}\u0000${ref.thread}`; }
