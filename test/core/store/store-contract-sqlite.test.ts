import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteStore } from '../../../core/store/sqlite-store.js';
import { storeContract } from './store-contract.js';

storeContract('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kefu-contract-'));
  const path = join(dir, 'k.db');
  // The inline writer: the thread writer's extra thread per test would only slow the suite down.
  const openOne = () => new SqliteStore({ path, writer: 'inline', commitIntervalMs: 1, synchronous: 'normal' });
  let store = openOne();
  return {
    store,
    async reopen() { await store.close(); return (store = openOne()); },
    async close() { await store.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}, {
  uniqueIndex: true,
  ttl: 'the SQLite store deletes expired sessions at start only',
  transactions: true,
  changeStreams: 'SQLite has no change streams',
});
