import { resolve } from 'node:path';
import type { KefuConfig } from '../../config/schema.js';
import type { Store } from './store.js';

/**
 * The store `[store] driver` names, for the command-line tools (tokens, agents, export): they
 * must reach the gateway's data, never a fresh SQLite file beside a MongoDB deployment. Each
 * driver is loaded only when chosen. (The gateway builds its store in core/index.ts, with the
 * file lock and commit metrics only it needs.)
 */
export async function openConfiguredStore(cfg: KefuConfig['store']): Promise<Store> {
  if (cfg.driver === 'mongodb') return (await import('./mongo-store.js')).MongoStore.open({ url: cfg.url, database: cfg.database });
  const { SqliteStore } = await import('./sqlite-store.js');
  return new SqliteStore({ path: resolve(cfg.path), commitIntervalMs: 0 });
}
