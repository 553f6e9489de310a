/**
 * Contacts: the person behind conversations. A contact holds identities; an identity is a key
 * such as `email:li@example.com`, `phone:+8613800138000`, `shop:42`, `wechat_unionid:o6_b…`, or
 * a conversation's own customer id (`web:v…`, `sms:+1…`), which is an *address*: the contact
 * that holds an address owns that customer's conversations, and an address has one owner.
 */
export interface ContactRecord {
  id: string;
  name?: string;
  company?: string;
  /** Custom attributes, only the keys `[contacts] attributes` names (string values). */
  attributes: Record<string, string>;
  tags: string[];
  notes?: string;
  createdAt: Date;
  updatedAt: Date;
  /** Set once this contact was linked into another one; kept so old references still resolve. */
  mergedInto?: string;
}

export interface IdentityRecord {
  key: string;
  contactId: string;
  /**
   * Proven by the channel or a signature (a signed shop id, a carrier-delivered phone, a
   * WeChat unionid), not merely claimed. Only verified keys ever link contacts by themselves.
   */
  verified: boolean;
  /** A conversation customer id: the contact holding it owns that customer's conversations. */
  address: boolean;
  /** The address whose traffic taught us this key; a split moves an address with its keys. */
  source: string;
  createdAt: Date;
}

/** `start`: an agent started a conversation on one of the contact's identities, which became an address. */
export type AuditAction = 'created' | 'auto_link' | 'link' | 'split' | 'edit' | 'start';

export interface AuditEntry {
  contactId: string;
  at: Date;
  /** An agent id, or `system` for what the linking rules did by themselves. */
  actorId: string;
  actorName?: string;
  action: AuditAction;
  /** The other contact of a link or split. */
  otherId?: string;
  /** The identity keys involved (moved, or the verified key that proved a link). */
  keys?: string[];
  reason?: string;
}

/** The contacts part of the store; every write resolves once durable, reads see resolved writes. */
export interface ContactStore {
  create(c: ContactRecord): Promise<void>;
  update(c: ContactRecord): Promise<void>;
  get(id: string): Promise<ContactRecord | undefined>;
  /** Name, company or an identity key containing `q` (case-insensitive), newest first. */
  search(q: string, limit: number): Promise<ContactRecord[]>;
  /** Contacts (not merged away) whose name is exactly this, ignoring case. */
  byName(name: string, limit: number): Promise<ContactRecord[]>;
  /** Adds identities or upgrades them to verified; an address already owned by another contact is refused (conflict). */
  putIdentities(rows: IdentityRecord[]): Promise<void>;
  /** Addresses first, then in the order they were learned. */
  identities(contactId: string): Promise<IdentityRecord[]>;
  /** Every contact's row for this key. */
  withKey(key: string): Promise<IdentityRecord[]>;
  addressOwner(key: string): Promise<IdentityRecord | undefined>;
  /**
   * Moves identities from one contact to another in one commit (all of them when `sources` is
   * absent, else those learned from these addresses); a key both hold stays once, verified if
   * either was. With `merge`, the source contact is marked as merged into the target.
   */
  moveIdentities(from: string, to: string, opts: { sources?: string[]; merge?: boolean }): Promise<void>;
  audit(e: AuditEntry): Promise<void>;
  /** Deletes a contact that holds no identity (made for an address another node claimed first); one that holds any stays. */
  removeOrphan(id: string): Promise<void>;
  auditOf(contactId: string, limit: number): Promise<AuditEntry[]>;
}
