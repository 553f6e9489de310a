import { randomBytes } from 'node:crypto';
import type { AgentAccounts } from './auth/agents.js';
import { randomToken } from './model/ids.js';
import type { Store } from './store/store.js';
import { isKefuError } from './errors.js';

/** The secret visitor tokens are signed with: made on first start, kept in the store. */
export async function ensureSecret(store: Store): Promise<Buffer> {
  let s = await store.getMeta('visitor_secret');
  if (!s) {
    const mine = randomBytes(32).toString('base64url');
    if (store.claimMeta) s = await store.claimMeta('visitor_secret', mine);
    else await store.setMeta('visitor_secret', (s = mine));
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
    // Another node sharing the database made it first (cluster mode, started together).
    if (isKefuError(err) && err.code === 'conflict') return;
    throw err;
  }
  announce?.('admin', process.env.KEFU_ADMIN_PASSWORD ? '(from KEFU_ADMIN_PASSWORD)' : password);
}
