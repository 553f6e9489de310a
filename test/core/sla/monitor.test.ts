import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import { parseConfig } from '../../../config/load.js';
import { idTimePrefix } from '../../../core/model/ids.js';
import type { Conversation, Message } from '../../../core/model/message.js';
import type { ConversationBus } from '../../../core/bus/conversation-bus.js';
import { SlaMonitor } from '../../../core/sla/monitor.js';
import type { Breach } from '../../../core/sla/notify.js';

const M = 60_000;
const T0 = Date.UTC(2026, 11, 7, 2); // Monday 10:00 in Shanghai
const CONFIG = parseConfig(`[routing]\ndefault_queue = "support"\n[[routing.queues]]\nname = "support"\nhours = "mon-fri 09:00-18:00"
sla = { first_response = "10m", next_response = "30m", resolution = "2h", on_breach = ["raise_priority", "notify"], raise_to = 8 }\n`, 'test.toml');

/** The bus as the monitor uses it: events, a store to read the past from, updateConversation. */
class FakeBus extends EventEmitter {
  convs: Conversation[] = [];
  msgs = new Map<string, Message[]>();
  updates: Partial<Conversation>[] = [];
  store = {
    listConversations: async () => this.convs.filter((c) => c.status !== 'resolved'),
    listMessages: async (id: string, q: { afterSeq?: number }) => (this.msgs.get(id) ?? []).filter((m) => m.seq > (q.afterSeq ?? 0)),
  };
  async updateConversation(c: Conversation, patch: Partial<Conversation>, change: string) {
    Object.assign(c, patch);
    this.updates.push(patch);
    this.emit('conversation', c, change);
    return c;
  }
}

function conversation(bus: FakeBus, id: string, at: number): Conversation {
  const c: Conversation = { id, ref: { channel: 'web', account: 'default', thread: id }, customer: { id: `web:${id}`, role: 'customer' }, status: 'assigned',
    queue: 'support', priority: 0, aiWeight: 1, assigneeId: 'A1', createdAt: new Date(at), updatedAt: new Date(at), lastSeq: 0, tags: [] };
  bus.convs.push(c);
  bus.msgs.set(id, []);
  return c;
}

/** A stored message received at `at` (its id carries the time, as the gateway's ids do). */
function message(bus: FakeBus, c: Conversation, at: number, kind: 'customer' | 'agent' | 'resolved'): Message {
  const m: Message = { id: `M${idTimePrefix(at)}ABCDEFGHJKMN`, seq: ++c.lastSeq, conversationId: c.id, direction: kind === 'customer' ? 'inbound' : 'outbound',
    from: kind === 'customer' ? c.customer : kind === 'agent' ? { id: 'A1', role: 'agent' } : { id: 'system', role: 'system' },
    content: kind === 'resolved' ? { kind: 'event', event: 'resolved' } : { kind: 'text', text: 'x' }, sentAt: new Date(0) };
  bus.msgs.get(c.id)!.push(m);
  return m;
}

describe('sla monitor (fake bus and clock)', () => {
  let bus: FakeBus;
  let now: number;
  let monitor: SlaMonitor;
  let breaches: Breach[];
  let notified: Breach[];
  beforeEach(() => {
    bus = new FakeBus();
    now = T0;
    breaches = [];
    notified = [];
    monitor = new SlaMonitor({ bus: bus as unknown as ConversationBus, config: () => CONFIG, logger: pino({ level: 'silent' }), now: () => now,
      notify: async (b) => { notified.push(b); } });
    monitor.on('breached', (b) => breaches.push(b));
  });
  afterEach(() => monitor.close());

  it('live: a breach is announced once, raises the priority and notifies; the resolution forgets the conversation', async () => {
    const c = conversation(bus, 'C1', now);
    bus.emit('conversation', c, 'created');
    bus.emit('message', message(bus, c, now, 'customer'), c);
    assert.equal(monitor.view(c)!.targets[0].state, 'running');
    now += 9 * M;
    monitor.check();
    assert.equal(breaches.length, 0);
    now += 2 * M;
    monitor.check();
    monitor.check();
    assert.deepEqual(breaches.map((b) => [b.conversationId, b.target, b.dueAt, b.agentId]), [['C1', 'first_response', T0 + 10 * M, 'A1']]);
    await new Promise((r) => setImmediate(r));
    assert.equal(notified.length, 1);
    assert.deepEqual(bus.updates, [{ priority: 8 }]);
    assert.equal(monitor.supervisor().queues[0].active, 1);
    bus.emit('message', message(bus, c, now, 'agent'), c);
    bus.emit('message', message(bus, c, now + M, 'resolved'), c);
    c.status = 'resolved';
    assert.equal(monitor.view(c), undefined);
    assert.equal(monitor.supervisor().queues[0].tracked, 0);
    assert.equal(breaches.length, 1);
  });

  it('a queue without targets costs nothing: its conversations are not tracked; moved into an SLA queue, one is read from the store', async () => {
    const c = conversation(bus, 'NOSLA', now);
    c.queue = 'other';
    let reads = 0;
    const list = bus.store.listMessages;
    bus.store.listMessages = async (id, q) => { reads++; return list(id, q); };
    bus.emit('conversation', c, 'created');
    for (let i = 0; i < 5; i++) bus.emit('message', message(bus, c, now, 'customer'), c);
    await new Promise((r) => setImmediate(r));
    assert.equal(reads, 0, 'no timeline read');
    assert.equal(monitor.view(c), undefined);
    c.queue = 'support'; // transferred
    bus.emit('conversation', c, 'updated');
    for (let i = 0; i < 100 && !monitor.view(c); i++) await new Promise((r) => setImmediate(r));
    assert.equal(reads, 1);
    assert.equal(monitor.view(c)!.targets[0].state, 'running', 'its past customer messages start the clock');
  });

  it('restore: an open breach is announced again (at least once); one answered late before the restart is history', async () => {
    const late = conversation(bus, 'LATE', T0);
    message(bus, late, T0, 'customer');
    message(bus, late, T0 + 12 * M, 'agent');
    const open = conversation(bus, 'OPEN', T0);
    message(bus, open, T0, 'customer');
    now = T0 + 20 * M;
    await monitor.restore();
    assert.deepEqual(breaches.map((b) => [b.conversationId, b.target]), [['OPEN', 'first_response']]);
    assert.equal(monitor.view(late)!.targets.find((t) => t.target === 'first_response')!.state, 'breached', 'still shown as breached (late)');
    const sup = monitor.supervisor();
    assert.deepEqual([sup.queues[0].tracked, sup.queues[0].active, sup.queues[0].breached], [2, 1, 2]);
    assert.deepEqual(sup.agents, [{ agentId: 'A1', active: 1, breached: 2 }]);
  });

  it('a resolved conversation written to again is read back from the store: the next-response clock runs from the new message', async () => {
    const c = conversation(bus, 'C2', T0);
    message(bus, c, T0, 'customer');
    message(bus, c, T0 + M, 'agent');
    message(bus, c, T0 + 2 * M, 'resolved');
    now = T0 + 3 * 3600_000;
    c.status = 'queued'; // the bus re-queued it for the new message
    const m = message(bus, c, now, 'customer');
    bus.emit('message', m, c);
    await new Promise((r) => setTimeout(r, 0));
    const next = monitor.view(c)!.targets.find((t) => t.target === 'next_response')!;
    assert.equal(next.state, 'running');
    assert.equal(next.startedAt, now);
    assert.equal(next.dueAt, now + 30 * M);
  });

  it('messages of queues without targets, edits, and private notes move nothing', () => {
    const c = conversation(bus, 'C3', now);
    c.queue = 'elsewhere';
    bus.emit('conversation', c, 'created');
    bus.emit('message', message(bus, c, now, 'customer'), c);
    assert.equal(monitor.view(c), undefined);
    const d = conversation(bus, 'C4', now);
    bus.emit('conversation', d, 'created');
    bus.emit('message', message(bus, d, now, 'customer'), d);
    bus.emit('message', { ...message(bus, d, now, 'agent'), private: true }, d);
    bus.emit('message', { ...message(bus, d, now, 'agent'), editedAt: new Date() }, d);
    assert.equal(monitor.view(d)!.targets[0].state, 'running');
  });

  it('a reopening does not announce again what breached in the conversation\'s earlier life; its new cycle can breach', async () => {
    const c = conversation(bus, 'C5', T0);
    message(bus, c, T0, 'customer');
    message(bus, c, T0 + 3 * 3600_000, 'agent'); // late: first response and resolution breached
    message(bus, c, T0 + 3 * 3600_000 + M, 'resolved');
    now = T0 + 5 * 3600_000;
    c.status = 'queued';
    bus.emit('message', message(bus, c, now, 'customer'), c);
    await new Promise((r) => setTimeout(r, 0));
    monitor.check();
    assert.equal(breaches.length, 0);
    assert.equal(monitor.view(c)!.targets.find((t) => t.target === 'resolution')!.state, 'breached', 'still shown');
    now += 31 * M;
    monitor.check();
    assert.deepEqual(breaches.map((b) => b.target), ['next_response']);
  });
});
