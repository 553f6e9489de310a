import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { MongoClient } from 'mongodb';

/**
 * Where the MongoDB tests run: a real MongoDB at MONGODB_URL when set (a replica set gives
 * transactions and change streams), else the CongoDB wire emulator installed by
 * scripts/install-mongo-emulator.sh into KEFU_MONGO_EMULATOR_DIR, started in this process.
 * Neither: `skip` says why, and the suites skip loudly instead of passing.
 */
export interface MongoTarget {
  kind: 'real' | 'emulator';
  url: string;
  /** A database name no other test uses. */
  freshDatabase(): string;
  /** Drops the databases this target handed out (real MongoDB only keeps them otherwise); the emulator lives as long as the process. */
  stop(): Promise<void>;
}

const ENTRY = 'node_modules/@push.rocks/smartmongo/dist_ts/congodb/index.js';
/** Fixed ports: the emulator reports a wrong URI for port 0. */
const PORTS = { first: 27100, last: 27199 };

let shared: Promise<MongoTarget | { skip: string }> | undefined;

/** One target per test process, started on first use. */
export function mongoTarget(): Promise<MongoTarget | { skip: string }> {
  return (shared ??= start());
}

async function start(): Promise<MongoTarget | { skip: string }> {
  const url = process.env.MONGODB_URL;
  if (url) return target('real', url);
  const dir = process.env.KEFU_MONGO_EMULATOR_DIR;
  if (!dir) return { skip: 'neither MONGODB_URL nor KEFU_MONGO_EMULATOR_DIR is set (scripts/install-mongo-emulator.sh <dir> installs the emulator)' };
  const entry = join(dir, ENTRY);
  if (!existsSync(entry)) return { skip: `KEFU_MONGO_EMULATOR_DIR=${dir} has no ${ENTRY}: run scripts/install-mongo-emulator.sh ${dir}` };
  const { CongoServer } = await import(pathToFileURL(entry).href);
  // Another test process (or a crashed run) may hold a port: walk the range from a pid-based start.
  const span = PORTS.last - PORTS.first + 1;
  for (let i = 0; i < span; i++) {
    const port = PORTS.first + ((process.pid + i) % span);
    const server = new CongoServer({ port, host: '127.0.0.1' });
    try {
      await server.start();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') continue;
      throw err;
    }
    // The emulator does not speak the streaming heartbeat: with it the driver clears its pool at the
    // first heartbeat (10 s). A short poll puts heartbeats inside every test, so a regression shows.
    return target('emulator', `mongodb://127.0.0.1:${port}/?serverMonitoringMode=poll&heartbeatFrequencyMS=500`);
  }
  throw new Error(`no free port for the MongoDB emulator in ${PORTS.first}–${PORTS.last}`);
}

function target(kind: MongoTarget['kind'], url: string): MongoTarget {
  const used: string[] = [];
  let n = 0;
  return {
    kind, url,
    freshDatabase() {
      const name = `kefu_test_${process.pid}_${++n}`;
      used.push(name);
      return name;
    },
    async stop() {
      if (kind === 'real') {
        const client = await MongoClient.connect(url);
        try { for (const db of used) await client.db(db).dropDatabase(); } finally { await client.close(); }
        used.length = 0;
      }
      // The in-process emulator is shared by every test file of the process (each took this target
      // when it loaded): stopping it after one file left the later ones a dead server. It ends with
      // the process.
    },
  };
}

/** The mongodb part of a test gateway's config. */
export function mongoStoreConfig(t: MongoTarget, database: string): string {
  return `[store]\ndriver = "mongodb"\nurl = "${t.url}"\ndatabase = "${database}"\n`;
}

/**
 * For the gateway tests on MongoDB, called inside a describe: each test gets a temp dir and a fresh
 * database; after it, `close` runs (stop the gateway) and the database is dropped, the dir removed.
 */
export function perTestMongo(target: MongoTarget, prefix: string, close: () => Promise<void>): { readonly dir: string; readonly database: string } {
  const t = { dir: '', database: '' };
  beforeEach(() => { t.dir = mkdtempSync(join(tmpdir(), prefix)); t.database = target.freshDatabase(); });
  afterEach(async () => {
    await close();
    const client = await MongoClient.connect(target.url);
    try { await client.db(t.database).dropDatabase(); } finally { await client.close(); }
    rmSync(t.dir, { recursive: true, force: true });
  });
  return t;
}

