import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { ConversationBus } from '../../../core/bus/conversation-bus.js';
import type { Conversation, Message } from '../../../core/model/message.js';
import type { SnoozeRecord } from '../../../core/store/search-store.js';
import { Snoozes } from '../../../core/search/snooze.js';
import { eventually } from '../../helpers/gateway.js';

/** A bus with an in-memory snooze store and a logger that records its errors: enough for Snoozes alone. */
function fakes() {
  const records = new Map<string, SnoozeRecord>();
  const errors: string[] = [];
  const bus = Object.assign(new EventEmitter(), {
    store: {
      snoozes: { set: async (r: SnoozeRecord) => { records.set(r.conversationId, r); }, clear: async (id: string) => { records.delete(id); }, list: async () => [...records.values()] },
      getConversation: async () => undefined,
    },
  }) as unknown as ConversationBus;
  const logger = { error: (_o: unknown, msg: string) => { errors.push(msg); }, warn() {}, info() {}, debug() {} } as unknown as Logger;
  return { bus, logger, errors, records };
}

const conv = { id: 'C-1', status: 'assigned', assigneeId: 'A-1' } as unknown as Conversation;
const reply = { direction: 'inbound', conversationId: 'C-1' } as unknown as Message;

describe('Snoozes: a listener that fails while a conversation wakes', () => {
  const rejections: unknown[] = [];
  const onRejection = (r: unknown) => { rejections.push(r); };
  before(() => { process.on('unhandledRejection', onRejection); });
  after(() => { process.off('unhandledRejection', onRejection); });
  beforeEach(() => { rejections.length = 0; });

  for (const [what, wakeBy] of [
    ['the customer\'s reply', (bus: ConversationBus) => bus.emit('message', reply, conv)],
    ['resolving', (bus: ConversationBus) => bus.emit('conversation', conv, 'resolved')],
    ['a transfer', (bus: ConversationBus) => bus.emit('conversation', conv, 'transferred')],
  ] as const) {
    it(`woken by ${what}: a bus listener that throws on the wake-up is logged, not an unhandled rejection`, async () => {
      const f = fakes();
      const s = new Snoozes({ bus: f.bus, logger: f.logger });
      await s.snooze(conv, 'A-1', { untilReply: true });
      f.bus.on('conversation', (_c, change) => { if (change === 'updated') throw new Error('a workspace listener broke'); });
      wakeBy(f.bus);
      await eventually(() => f.errors.includes('snooze listener failed'), 'the failure logged');
      assert.equal(s.of(conv.id), undefined, 'it woke all the same');
      assert.equal(f.records.size, 0);
      await new Promise((r) => setImmediate(r));
      assert.deepEqual(rejections, []);
      s.close();
    });
  }

  it('an onWake listener that rejects is logged too', async () => {
    const f = fakes();
    const s = new Snoozes({ bus: f.bus, logger: f.logger, onWake: (async () => { throw new Error('async listener'); }) as unknown as () => void });
    await s.snooze(conv, 'A-1', { untilReply: true });
    f.bus.emit('message', reply, conv);
    await eventually(() => f.errors.includes('snooze wake listener failed'), 'the failure logged');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(rejections, []);
    s.close();
  });
});
