// The store writer's cost per message row, in isolation: the real schema (MIGRATIONS) and the
// real INSERT (prepareOps), batches of B rows over C active conversations, fsync per commit, in
// one thread; CPU split into user and kernel time. `--log` runs the alternative measured for
// #7: rows go to an append-only log table that is moved into `messages` in bulk (sorted) every
// K rows. Usage: node bench/store-rows.mjs [--log] [rows=200000] [C=256] [B=25] [K=2000]
import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MIGRATIONS } from '../dist/core/store/migrations.js';
import { configure, prepareOps, MESSAGE_COLUMNS } from '../dist/core/store/sqlite-ops.js';

const args = process.argv.slice(2);
const log = args.includes('--log');
const [N = 200000, C = 256, B = 25, K = 2000] = args.filter((a) => a !== '--log').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'kefu-store-rows-'));
const db = new Database(join(dir, 'k.db'));
configure(db, 'full');
for (const m of MIGRATIONS) db.exec(m);

const cols = MESSAGE_COLUMNS.join(', ');
db.exec(`CREATE TABLE message_log AS SELECT ${cols} FROM messages WHERE 0`);
const toLog = db.prepare(`INSERT INTO message_log (${cols}) VALUES (${MESSAGE_COLUMNS.map(() => '?').join(', ')})`);
const apply = prepareOps(db);
const moveRows = db.prepare(`INSERT INTO messages (${cols}) SELECT ${cols} FROM message_log ORDER BY conversation_id, seq`);
const clearLog = db.prepare('DELETE FROM message_log');
const move = db.transaction(() => { moveRows.run(); clearLog.run(); });
const commit = db.transaction((rows) => { for (const r of rows) if (log) toLog.run(r); else apply({ op: 'msgInsert', row: r }); });

// Rows as the gateway builds them, serialized as the writer thread receives them.
const seqs = new Array(C).fill(0);
let clock = Date.now();
const batches = [];
for (let i = 0; i < N; i += B) {
  const rows = [];
  for (let k = 0; k < B; k++) {
    const c = (i + k) % C;
    rows.push([`M${(clock++).toString(36)}RANDOMPART12`, `C${String(c).padStart(21, '0')}`, ++seqs[c], `client-${i + k}`, 'inbound',
      `web:visitor-${c}`, 'customer', null, JSON.stringify({ kind: 'text', text: `bench ${clock} 你好，我想问一下订单什么时候发货` }),
      clock, 0, '订单查询', 0.93, null]);
  }
  batches.push(JSON.stringify(rows));
}

const r0 = process.resourceUsage();
const t0 = performance.now();
let pending = 0;
for (const b of batches) {
  commit(JSON.parse(b));
  if (log && (pending += B) >= K) { move(); pending = 0; }
}
if (log && pending) move();
const wall = performance.now() - t0;
const r1 = process.resourceUsage();
const us = (x) => (x / N).toFixed(1);
console.log(`${log ? `append-only log, moved every ${K} rows` : 'messages table (today)'}: ${N} rows, ${C} conversations, batches of ${B}`);
console.log(`per row: wall ${((wall * 1000) / N).toFixed(1)} µs, CPU ${us(r1.userCPUTime - r0.userCPUTime + r1.systemCPUTime - r0.systemCPUTime)} µs (user ${us(r1.userCPUTime - r0.userCPUTime)}, kernel ${us(r1.systemCPUTime - r0.systemCPUTime)})`);
console.log(`rows stored: ${db.prepare('SELECT COUNT(*) FROM messages').pluck().get()}`);
db.close();
rmSync(dir, { recursive: true, force: true });
