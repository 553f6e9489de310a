import type { Db, IndexDescription } from 'mongodb';

/**
 * Created at every start (createIndexes is a no-op for an index that exists). Uniqueness that
 * decides correctness is carried by the derived `_id`s (see mongo-docs.ts); the unique indexes
 * here are a second guard on a real MongoDB, which the CI emulator does not enforce.
 */
const INDEXES: Record<string, IndexDescription[]> = {
  conversations: [
    { key: { id: 1 }, unique: true },
    { key: { status: 1, waitSince: 1 } },
    { key: { assigneeId: 1, status: 1 } },
    { key: { customerId: 1, updatedAt: -1 } },
    { key: { tags: 1, updatedAt: -1 } },
  ],
  messages: [
    { key: { conversationId: 1, seq: 1 }, unique: true },
    { key: { id: 1 }, unique: true },
    { key: { conversationId: 1, sentAt: 1 } },
    { key: { conversationId: 1, threadId: 1, seq: 1 }, partialFilterExpression: { threadId: { $type: 'string' } } },
    // Only messages whose outbox item is not yet written carry deliverTo: a scan of a handful at start.
    { key: { deliverTo: 1 }, sparse: true },
  ],
  agents: [{ key: { id: 1 }, unique: true }, { key: { createdAt: 1 } }],
  sessions: [{ key: { expiresAt: 1 }, expireAfterSeconds: 0 }],
  api_tokens: [{ key: { id: 1 }, unique: true }, { key: { tokenHash: 1 }, unique: true }],
  contacts: [{ key: { id: 1 }, unique: true }, { key: { nameKey: 1, createdAt: 1 } }, { key: { mergedInto: 1, updatedAt: -1 } }],
  contact_identities: [{ key: { key: 1 } }, { key: { contactId: 1 } }],
  contact_audit: [{ key: { contactId: 1, at: -1 } }],
  outbox: [
    { key: { id: 1 }, unique: true },
    { key: { status: 1, target: 1, orderingKey: 1, id: 1 } },
    { key: { messageId: 1 }, partialFilterExpression: { messageId: { $type: 'string' } } },
    { key: { target: 1, vendorId: 1 }, partialFilterExpression: { vendorId: { $type: 'string' } } },
  ],
  // Multikey: a query's first word finds its messages from the index, newest first.
  search: [{ key: { tokens: 1, messageId: -1 } }, { key: { conversationId: 1 } }],
};

export async function ensureIndexes(db: Db): Promise<void> {
  for (const [name, indexes] of Object.entries(INDEXES)) await db.collection(name).createIndexes(indexes);
}
