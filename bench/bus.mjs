// The conversation bus alone, per message: validation, conversation lookup, dedupe, seq, the
// five inbound stages each with one pass-through middleware, the agent-facing 'message' event.
// The store is the real SqliteStore whose writer acknowledges without writing (the write path is
// bench/store-rows.mjs). Usage: node bench/bus.mjs [messages=50000] [conversations=256]
import pino from 'pino';
import { ConversationBus } from '../dist/core/bus/conversation-bus.js';
import { SqliteStore } from '../dist/core/store/sqlite-store.js';
import { GcraRateLimiter } from '../dist/core/ratelimit/rate-limiter.js';

const [N = 50000, C = 256] = process.argv.slice(2).map(Number);
const store = new SqliteStore({ path: ':memory:', commitIntervalMs: 0 });
store.writer.enqueue = () => Promise.resolve(); // private in TypeScript; this measures the bus, not SQLite
const limiter = new GcraRateLimiter(0, 0);
const bus = new ConversationBus({ store, limiter, logger: pino({ level: 'silent' }),
  limits: () => ({ maxTextChars: 5000, defaultQueue: 'general' }), sendOut: async () => {} });
for (const s of ['ingest', 'classify', 'decide', 'route', 'deliver']) bus.use(s, async (_ctx, next) => { await next(); });
let delivered = 0;
bus.on('message', () => { delivered++; });

let client = 0;
const send = (i) => bus.ingest({ ref: { channel: 'web', account: 'default', thread: `v${i % C}` }, customer: { externalId: `v${i % C}` },
  sourceId: `c${client++}`, content: { kind: 'text', text: `bench ${i} 你好，我想问一下订单什么时候发货` } });
for (let i = 0; i < C; i++) await send(i); // conversations exist, dedupe sets loaded

for (let round = 1; round <= 3; round++) {
  const c0 = process.cpuUsage();
  for (let i = 0; i < N; i += 32) await Promise.all(Array.from({ length: 32 }, (_, j) => send(i + j)));
  await bus.idle();
  const c = process.cpuUsage(c0);
  console.log(`round ${round}: ${((c.user + c.system) / N).toFixed(2)} µs CPU per message (${N} messages, ${C} conversations)`);
}
console.log(`delivered ${delivered}`);
limiter.close();
process.exit(0);
