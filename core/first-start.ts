import { randomBytes } from 'node:crypto';
import type { AgentAccounts } from './auth/agents.js';
import { randomToken } from './model/ids.js';
import type { Store } from './store/store.js';

/**
 * The secret visitor tokens are signed with: made on first start, kept in the store. On a shared
 * store every node reads the same one, so a visitor token from any node is good on every other;
 * nodes (workers) starting together on an empty store agree on one through setMetaOnce.
 */
export async function ensureSecret(store: Store): Promise<Buffer> {
  let s = await store.getMeta('visitor_secret');
  if (!s) {
    const made = randomBytes(32).toString('base64url');
    if (store.setMetaOnce) s = await store.setMetaOnce('visitor_secret', made);
    else await store.setMeta('visitor_secret', (s = made));
  }
  return Buffer.from(s, 'base64url');
}

/** An empty database gets an `admin` (password from KEFU_ADMIN_PASSWORD or generated and announced once). */
export async function ensureAdmin(accounts: AgentAccounts, announce?: (login: string, password: string) => void): Promise<void> {
  if (await accounts.any()) return;
  const password = process.env.KEFU_ADMIN_PASSWORD || randomToken(12);
  try {
    await accounts.create({ login: 'admin', name: 'Admin', password, role: 'admin' });
  } catch (err) {
    // Another node (a worker started at the same moment) made it first: its password is the one announced.
    if (await accounts.any()) return;
    throw err;
  }
  announce?.('admin', process.env.KEFU_ADMIN_PASSWORD ? '(from KEFU_ADMIN_PASSWORD)' : password);
}
