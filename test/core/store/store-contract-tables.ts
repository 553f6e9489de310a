import assert from 'node:assert/strict';
import { newId } from '../../../core/model/ids.js';
import type { AgentRecord, OutboxItem } from '../../../core/store/store.js';
import type { ContractContext } from './store-contract.js';

const plain = (v: unknown) => JSON.parse(JSON.stringify(v));

/** The store's other tables: outbox, channel state, sessions, agents, API tokens, media records, meta. */
export function tableContract(c: ContractContext): void {
  outboxContract(c);

  describe('channel state and meta', () => {
    it('channel state: per channel and key, overwritten, deleted, kept across a restart', async () => {
      assert.equal(await c.s.channelState.get('imap', 'uid'), undefined);
      await c.s.channelState.set('imap', 'uid', '41');
      await c.s.channelState.set('imap', 'uid', '42');
      await c.s.channelState.set('feishu', 'uid', 'other');
      await c.s.channelState.set('imap', 'gone', 'x');
      await c.s.channelState.delete('imap', 'gone');
      const s = await c.reopen();
      assert.deepEqual([await s.channelState.get('imap', 'uid'), await s.channelState.get('feishu', 'uid'), await s.channelState.get('imap', 'gone')],
        ['42', 'other', undefined]);
    });

    it('writes not awaited one by one land in call order (the last one wins)', async () => {
      await Promise.all(['1', '2', '3', '4'].map((v) => c.s.channelState.set('wechat', 'token', v)));
      await Promise.all(['a', 'b', 'c'].map((v) => c.s.setMeta('k', v)));
      const s = await c.reopen();
      assert.equal(await s.channelState.get('wechat', 'token'), '4');
      assert.equal(await s.getMeta('k'), 'c');
    });

    it('meta: set, overwritten, kept across a restart', async () => {
      assert.equal(await c.s.getMeta('visitor_secret'), undefined);
      await c.s.setMeta('visitor_secret', 'one');
      await c.s.setMeta('visitor_secret', 'two');
      assert.equal(await (await c.reopen()).getMeta('visitor_secret'), 'two');
    });
  });

  describe('sessions', () => {
    it('are created, read and deleted', async () => {
      const expires = new Date(Date.now() + 3600_000);
      await c.s.createSession('hash-1', 'A1', expires);
      assert.deepEqual(await c.s.getSession('hash-1'), { agentId: 'A1', expiresAt: expires });
      await c.s.deleteSession('hash-1');
      assert.equal(await c.s.getSession('hash-1'), undefined);
    });

    it('an expired session is gone after a restart; a valid one stays', async () => {
      await c.s.createSession('old', 'A1', new Date(Date.now() - 1000));
      await c.s.createSession('new', 'A1', new Date(Date.now() + 3600_000));
      const s = await c.reopen();
      assert.equal(await s.getSession('old'), undefined);
      assert.equal((await s.getSession('new'))?.agentId, 'A1');
    });

    c.needs('ttl', 'an expired session disappears without a restart (the TTL monitor runs every 60 s)', async () => {
      await c.s.createSession('ttl', 'A1', new Date(Date.now() - 1000));
      for (let i = 0; i < 150 && (await c.s.getSession('ttl')); i++) await new Promise((r) => setTimeout(r, 1000));
      assert.equal(await c.s.getSession('ttl'), undefined);
    }, 180_000);
  });

  describe('agents, tokens, media', () => {
    const agent = (login: string, over: Partial<AgentRecord> = {}): AgentRecord => ({ id: newId('A'), login, name: login.toUpperCase(),
      role: 'agent', passwordHash: 'scrypt$x', capacity: 3, skills: [], disabled: false, createdAt: new Date(), ...over });

    it('agents: created, found by id and login, listed oldest first, updated (login kept), a login only once', async () => {
      const a = agent('lilei', { createdAt: new Date(Date.now() - 1000), skills: ['sales'] });
      const b = agent('hanmeimei', { role: 'admin' });
      await c.s.createAgent(b);
      await c.s.createAgent(a);
      await assert.rejects(c.s.createAgent(agent('lilei')));
      await c.s.updateAgent({ ...a, login: 'ignored', name: 'Li Lei', role: 'admin', passwordHash: 'scrypt$y', capacity: 5, skills: ['vip'], disabled: true });
      const s = await c.reopen();
      assert.deepEqual((await s.listAgents()).map((x) => x.login), ['lilei', 'hanmeimei']);
      assert.deepEqual(await s.getAgent(a.id), { ...a, name: 'Li Lei', role: 'admin', passwordHash: 'scrypt$y', capacity: 5, skills: ['vip'], disabled: true });
      assert.deepEqual(await s.getAgentByLogin('hanmeimei'), b);
      assert.equal(await s.getAgentByLogin('ignored'), undefined);
      assert.equal(await s.getAgent('A-none'), undefined);
    });

    c.needs('uniqueIndex', 'agents: an id only once', async () => {
      const a = agent('one');
      await c.s.createAgent(a);
      await assert.rejects(c.s.createAgent(agent('two', { id: a.id })));
    });

    it('API tokens: found by hash, name or id, listed, revoked; a name only once', async () => {
      const t = { id: newId('T'), name: 'orderbot', tokenHash: 'h1', scopes: ['chat:write'], createdAt: new Date(Date.now() - 1000) };
      const u = { id: newId('T'), name: 'crm', tokenHash: 'h2', scopes: [], createdAt: new Date() };
      await c.s.tokens.create(t);
      await c.s.tokens.create(u);
      await assert.rejects(c.s.tokens.create({ ...u, id: newId('T'), tokenHash: 'h3' }));
      assert.deepEqual(plain(await c.s.tokens.byHash('h1')), plain(t));
      assert.deepEqual(plain(await c.s.tokens.byNameOrId('crm')), plain(u));
      assert.deepEqual(plain(await c.s.tokens.byNameOrId(t.id)), plain(t));
      assert.equal(await c.s.tokens.byHash('nope'), undefined);
      await c.s.tokens.revoke(t.id);
      const s = await c.reopen();
      assert.deepEqual((await s.tokens.list()).map((x) => x.name), ['orderbot', 'crm']);
      assert.ok((await s.tokens.byHash('h1'))!.revokedAt instanceof Date);
      assert.equal((await s.tokens.byHash('h2'))!.revokedAt, undefined);
    });

    c.needs('uniqueIndex', 'API tokens: a token hash only once', async () => {
      await c.s.tokens.create({ id: newId('T'), name: 'a', tokenHash: 'same', scopes: [], createdAt: new Date() });
      await assert.rejects(c.s.tokens.create({ id: newId('T'), name: 'b', tokenHash: 'same', scopes: [], createdAt: new Date() }));
    });

    it('media records: every field, optional ones absent, kept across a restart', async () => {
      const img = { id: 'i'.repeat(32), mime: 'image/png', size: 1234, name: 'shot.png', owner: 'web:v1', createdAt: new Date(), width: 640, height: 480 };
      const file = { id: 'f'.repeat(32), mime: 'application/pdf', size: 99, owner: 'A1', createdAt: new Date() };
      await c.s.putMedia(img);
      await c.s.putMedia(file);
      const s = await c.reopen();
      assert.deepEqual(await s.getMedia(img.id), img);
      assert.deepEqual(await s.getMedia(file.id), { ...file, name: undefined, width: undefined, height: undefined });
      assert.equal(await s.getMedia('n'.repeat(32)), undefined);
    });
  });
}

function outboxContract(c: ContractContext): void {
  describe('outbox', () => {
    const add = async (...items: [target: string, key: string, payload?: string][]) => {
      await c.s.outbox.add(items.map(([target, orderingKey, payload]) => ({ target, orderingKey, payload: payload ?? `${target}/${orderingKey}` })));
    };
    const payloads = (items: OutboxItem[]) => items.map((i) => i.payload);

    it('offers the oldest pending item of each (target, key), of the given targets, up to the limit', async () => {
      await add(['channel:sms', 'c1', 'a1'], ['channel:sms', 'c1', 'a2'], ['channel:sms', 'c2', 'b1'], ['bot:x', 'c1', 'x1']);
      const now = Date.now();
      assert.deepEqual(payloads(await c.s.outbox.due(now, 10)), ['a1', 'b1', 'x1']);
      assert.deepEqual(payloads(await c.s.outbox.due(now, 10, ['channel:sms'])), ['a1', 'b1']);
      assert.deepEqual(payloads(await c.s.outbox.due(now, 1)), ['a1']);
      assert.deepEqual(await c.s.outbox.due(now, 10, []), []);
      const [a1] = await c.s.outbox.due(now, 1);
      assert.deepEqual([a1.attempts, a1.status, a1.target, a1.orderingKey, typeof a1.id, typeof a1.createdAt], [0, 'pending', 'channel:sms', 'c1', 'number', 'number']);
    });

    it('an item added with notBefore is not offered before then, also after a restart', async () => {
      const now = Date.now();
      await c.s.outbox.add([{ target: 'csat', orderingKey: 'c1', payload: 'later', notBefore: now + 60_000 }, { target: 'csat', orderingKey: 'c2', payload: 'now' }]);
      assert.deepEqual(payloads(await c.s.outbox.due(now, 10, ['csat'])), ['now']);
      const s = await c.reopen();
      assert.deepEqual(payloads(await s.outbox.due(now + 59_999, 10, ['csat'])), ['now']);
      assert.deepEqual(payloads(await s.outbox.due(now + 60_000, 10, ['csat'])), ['later', 'now']);
    });

    it('a settled head lets the next of its key through; a head waiting for a retry holds the ones behind it', async () => {
      await add(['channel:sms', 'c1', 'a1'], ['channel:sms', 'c1', 'a2'], ['channel:sms', 'c2', 'b1'], ['channel:sms', 'c2', 'b2']);
      const now = Date.now();
      const [a1, b1] = await c.s.outbox.due(now, 10);
      await c.s.outbox.settle(a1.id, { status: 'sent', attempts: 1, nextAt: now, vendorId: 'SM1' });
      await c.s.outbox.settle(b1.id, { status: 'pending', attempts: 1, nextAt: now + 5000, lastError: 'timeout' });
      assert.deepEqual(payloads(await c.s.outbox.due(now, 10)), ['a2']);
      const later = await c.s.outbox.due(now + 5000, 10);
      assert.deepEqual(payloads(later), ['a2', 'b1']);
      assert.deepEqual([later[1].attempts, later[1].lastError], [1, 'timeout']);
    });

    it('keeps the vendor id through later settles, finds an item by it, by id and by message', async () => {
      const conv = { id: newId('C') };
      await c.s.outbox.add([{ target: 'channel:sms', orderingKey: conv.id, payload: '', messageId: 'M1' }, { target: 'channel:sms', orderingKey: conv.id, payload: '', messageId: 'M2' }]);
      const [item] = await c.s.outbox.due(Date.now(), 10);
      await c.s.outbox.settle(item.id, { status: 'sent', attempts: 1, nextAt: 0, vendorId: 'SM42' });
      await c.s.outbox.settle(item.id, { status: 'delivered', attempts: 1, nextAt: 0 });
      const got = (await c.s.outbox.get(item.id))!;
      assert.deepEqual([got.status, got.vendorId, got.messageId, got.lastError, typeof got.updatedAt], ['delivered', 'SM42', 'M1', undefined, 'number']);
      assert.equal((await c.s.outbox.byVendorId('channel:sms', 'SM42'))?.id, item.id);
      assert.equal(await c.s.outbox.byVendorId('channel:other', 'SM42'), undefined);
      const byMsg = await c.s.outbox.byMessage(['M1', 'M2', 'M3']);
      assert.deepEqual([...byMsg.keys()].sort(), ['M1', 'M2']);
      assert.equal(byMsg.get('M2')!.status, 'pending');
      assert.equal(await c.s.outbox.get(987654), undefined);
    });

    it('retry puts a failed item back in line, due now, attempts from 0; other items are left alone', async () => {
      await add(['webhook:0', 'k', 'w1'], ['webhook:0', 'j', 'w2']);
      const now = Date.now();
      const [w1, w2] = await c.s.outbox.due(now, 10);
      await c.s.outbox.settle(w1.id, { status: 'failed', attempts: 5, nextAt: now, lastError: 'HTTP 500' });
      await c.s.outbox.settle(w2.id, { status: 'sent', attempts: 1, nextAt: now });
      await c.s.outbox.retry(w1.id, now + 1);
      await c.s.outbox.retry(w2.id, now + 1);
      const back = (await c.s.outbox.get(w1.id))!;
      assert.deepEqual([back.status, back.attempts, back.nextAt, back.lastError], ['pending', 0, now + 1, undefined]);
      assert.equal((await c.s.outbox.get(w2.id))!.status, 'sent');
      assert.deepEqual(payloads(await c.s.outbox.due(now + 1, 10)), ['w1']);
    });

    it('counts pending items per target, reports depth, purges only settled items older than the cut', async () => {
      const before = Date.now();
      await add(['channel:sms', 'c1', 's1'], ['channel:sms', 'c2', 's2'], ['bot:x', 'c1', 'x1']);
      const [s1] = await c.s.outbox.due(Date.now(), 1);
      await c.s.outbox.settle(s1.id, { status: 'sent', attempts: 1, nextAt: 0 });
      assert.deepEqual([await c.s.outbox.pending(), await c.s.outbox.pending('channel:sms'), await c.s.outbox.pending('nobody')], [2, 1, 0]);
      const depth = (await c.s.outbox.depth()).sort((a, b) => a.target.localeCompare(b.target));
      assert.deepEqual(depth.map((d) => [d.target, d.pending]), [['bot:x', 1], ['channel:sms', 1]]);
      assert.ok(depth.every((d) => d.oldestAt >= before && d.oldestAt <= Date.now()));
      await c.s.outbox.purge(before - 1);
      assert.ok(await c.s.outbox.get(s1.id), 'settled after the cut: kept');
      await c.s.outbox.purge(Date.now() + 1000);
      assert.equal(await c.s.outbox.get(s1.id), undefined);
      assert.deepEqual(payloads(await (await c.reopen()).outbox.due(Date.now(), 10)), ['s2', 'x1'], 'pending items survive purge and restart');
    });
  });
}
