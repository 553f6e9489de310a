// appendMessage throughput of the MongoDB store next to the SQLite store, in one run: C
// conversations each appending its messages one after another (as the bus does), all
// conversations at once. MongoDB is MONGODB_URL when set, else the CongoDB emulator from
// KEFU_MONGO_EMULATOR_DIR started in a child process (so it does not share this event loop).
// Usage: npm run build:server (or npx tsc) && node bench/store-mongo.mjs [messages=3000] [C=30]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { SqliteStore } from '../dist/core/store/sqlite-store.js';
import { MongoStore } from '../dist/core/store/mongo-store.js';
import { newId } from '../dist/core/model/ids.js';

const [N = 3000, C = 30] = process.argv.slice(2).map(Number);
const EMULATOR = 'node_modules/@push.rocks/smartmongo/dist_ts/congodb/index.js';

async function emulator(dir) {
  const port = 27190 + (process.pid % 10);
  const code = `const { CongoServer } = await import(${JSON.stringify(pathToFileURL(join(dir, EMULATOR)).href)});
    await new CongoServer({ port: ${port}, host: '127.0.0.1' }).start(); console.log('ready');`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve, reject) => {
    child.once('exit', (c) => reject(new Error(`emulator exited with ${c}`)));
    child.stdout.on('data', (d) => { if (String(d).includes('ready')) resolve(); });
  });
  // poll: the emulator does not speak the streaming heartbeat (the driver would clear its pool after 10 s).
  return { url: `mongodb://127.0.0.1:${port}/?serverMonitoringMode=poll`, stop: () => child.kill() };
}

function conversation(i) {
  const now = new Date();
  return { id: newId('C'), ref: { channel: 'web', account: 'default', thread: `bench-${i}-${newId()}` }, customer: { id: `web:v${i}`, role: 'customer' },
    status: 'queued', queue: 'general', priority: 0, aiWeight: 1, createdAt: now, updatedAt: now, lastSeq: 0, tags: [] };
}

/** Messages per second of appendMessage with a source id, the hot path of every inbound message. */
async function run(store) {
  const convs = Array.from({ length: C }, (_, i) => conversation(i));
  for (const c of convs) await store.saveConversation(c);
  const per = Math.ceil(N / C);
  const t0 = performance.now();
  await Promise.all(convs.map(async (c) => {
    for (let k = 0; k < per; k++) {
      const m = { id: newId('M'), seq: ++c.lastSeq, conversationId: c.id, sourceId: `client-${k}`, direction: 'inbound', from: c.customer,
        content: { kind: 'text', text: `bench ${k} 你好，我想问一下订单什么时候发货` }, sentAt: new Date() };
      await store.appendMessage(m, c);
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const stored = (await store.listMessages(convs[0].id, { limit: 1000 })).length;
  if (stored !== Math.min(per, 1000)) throw new Error(`expected ${per} messages in a conversation, found ${stored}`);
  return (per * C) / seconds;
}

const dir = mkdtempSync(join(tmpdir(), 'kefu-bench-mongo-'));
let server;
try {
  const sqlite = new SqliteStore({ path: join(dir, 'k.db') });
  const sqliteRate = await run(sqlite);
  await sqlite.close();

  let url = process.env.MONGODB_URL;
  const kind = url ? 'MongoDB at MONGODB_URL' : 'CongoDB emulator';
  if (!url) {
    if (!process.env.KEFU_MONGO_EMULATOR_DIR) throw new Error('set MONGODB_URL or KEFU_MONGO_EMULATOR_DIR (scripts/install-mongo-emulator.sh <dir>)');
    server = await emulator(process.env.KEFU_MONGO_EMULATOR_DIR);
    url = server.url;
  }
  const mongo = await MongoStore.open({ url, database: `kefu_bench_${process.pid}` });
  const mongoRate = await run(mongo);
  await mongo.db.dropDatabase();
  await mongo.close();

  console.log(`appendMessage, ${C} conversations at once, ${Math.ceil(N / C)} messages each (source ids, no outbox):`);
  console.log(`  sqlite (thread writer, synchronous = full): ${sqliteRate.toFixed(0)} messages/s`);
  console.log(`  mongodb store on the ${kind}: ${mongoRate.toFixed(0)} messages/s`);
  console.log(`  ratio sqlite / mongodb: ${(sqliteRate / mongoRate).toFixed(1)}x`);
  if (!process.env.MONGODB_URL) {
    console.log('  The emulator is a pure-JavaScript wire server (full scans, no real indexes): this measures the store\'s round trips');
    console.log('  against it, not MongoDB\'s performance. Run with MONGODB_URL for a real server.');
  }
} finally {
  server?.stop();
  rmSync(dir, { recursive: true, force: true });
}
