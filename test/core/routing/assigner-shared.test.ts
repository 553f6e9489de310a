import assert from 'node:assert/strict';
import pino from 'pino';
import { ConversationBus } from '../../../core/bus/conversation-bus.js';
import { SqliteStore } from '../../../core/store/sqlite-store.js';
import { GcraRateLimiter } from '../../../core/ratelimit/rate-limiter.js';
import { AgentPool } from '../../../core/routing/agent-pool.js';
import { Assigner, type SharedAssignment } from '../../../core/routing/assigner.js';
import { KefuError } from '../../../core/errors.js';
import { parseConfig } from '../../../config/load.js';
import { eventually } from '../../helpers/gateway.js';

/**
 * The assigner with a cluster lock that fails (Redis away, another node holding it past the wait):
 * what was waiting stays in line and is assigned once the lock can be had again.
 */
describe('Assigner in cluster mode: a change of hands that cannot take the lock', () => {
  it('leaves the conversation waiting (in line and queued in the store) and assigns it when the lock is back', async () => {
    const store = new SqliteStore({ path: ':memory:', commitIntervalMs: 1 });
    const limiter = new GcraRateLimiter(0, 0);
    const bus = new ConversationBus({ store, limiter, logger: pino({ level: 'silent' }),
      limits: () => ({ maxTextChars: 100, defaultQueue: 'general' }), sendOut: async () => {} });
    let lockUp = false;
    let refused = 0;
    const shared: SharedAssignment = {
      exclusive: async (fn) => { if (!lockUp) { refused++; throw new KefuError('unavailable'); } return fn(); },
      reread: (id) => store.getConversation(id),
      presenceChanged: () => {},
    };
    const routing = parseConfig('', 'test.toml').routing;
    const pool = new AgentPool();
    const assigner = new Assigner({ bus, pool, logger: pino({ level: 'silent' }), routing: () => routing, shared });
    try {
      const agent = { id: 'A1', login: 'ann', name: 'Ann', role: 'agent' as const, passwordHash: '', capacity: 2, skills: [], disabled: false, createdAt: new Date() };
      pool.upsert(agent);
      assigner.connected('A1');
      const res = await bus.ingest({ ref: { channel: 'web', account: 'default', thread: 'v1' }, customer: { externalId: 'v1' }, content: { kind: 'text', text: 'hi' } });
      const conv = (await store.getConversation(res.message.conversationId))!;
      await bus.handOff(conv);
      await eventually(() => refused >= 2, 'the lock refused at least twice (the first try and a tick)');
      assert.equal(assigner.waitingCount(), 1, 'still in line');
      assert.equal((await store.getConversation(conv.id))!.status, 'queued');
      lockUp = true;
      await eventually(async () => (await store.getConversation(conv.id))!.status === 'assigned', 'assigned once the lock is back');
      assert.equal((await store.getConversation(conv.id))!.assigneeId, 'A1');
      assert.equal(assigner.waitingCount(), 0);
    } finally {
      assigner.close();
      limiter.close();
      await store.close();
    }
  });
});
