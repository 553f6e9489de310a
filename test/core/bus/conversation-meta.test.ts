import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { json, loginAgent } from '../../helpers/clients.js';
import { mergeMeta, MAX_META_KEYS, MAX_META_VALUE } from '../../../core/bus/conversation-bus.js';
import type { InboundMessage } from '../../../core/model/message.js';

describe('conversation meta: merged on ingest, stored, shown to the workspace', () => {
  describe('mergeMeta', () => {
    it('returns undefined when nothing changes, so the hot path saves nothing', () => {
      assert.equal(mergeMeta(undefined, undefined), undefined);
      assert.equal(mergeMeta({ a: '1' }, { a: '1' }), undefined);
      assert.equal(mergeMeta(undefined, { a: '' }), undefined);
    });
    it("merges, and a '' value removes its key", () => {
      assert.deepEqual(mergeMeta({ a: '1', b: '2' }, { b: '', c: '3' }), { a: '1', c: '3' });
    });
    it('cuts long values and drops keys past the cap instead of refusing the message', () => {
      const full = Object.fromEntries(Array.from({ length: MAX_META_KEYS }, (_, i) => [`k${i}`, 'v']));
      assert.equal(mergeMeta(full, { extra: 'x' }), undefined);
      assert.deepEqual(mergeMeta(full, { k0: 'w', extra: 'x' }), { ...full, k0: 'w' });
      assert.equal(mergeMeta(undefined, { s: 'x'.repeat(MAX_META_VALUE + 50) })!.s.length, MAX_META_VALUE);
      assert.deepEqual(mergeMeta(undefined, { n: 5 as unknown as string, ['k'.repeat(65)]: 'x', ok: 'y' }), { ok: 'y' });
    });
  });

  describe('through the gateway', () => {
    let dir: string;
    let gw: TestGateway | undefined;
    beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'kefu-meta-')); });
    afterEach(async () => { await gw?.close(); gw = undefined; rmSync(dir, { recursive: true, force: true }); });

    const msg = (n: number, meta?: Record<string, string>): InboundMessage => ({
      ref: { channel: 'api', account: 'default', thread: 'meta-1' }, customer: { externalId: 'cust-1' },
      sourceId: `s${n}`, content: { kind: 'text', text: `hello ${n}` }, meta,
    });

    it('stores, merges, survives a restart and reaches GET /api/conversations/:id', async () => {
      gw = await startGateway('', { dir });
      const first = await gw.bus.ingest(msg(1, { subject: 'Order 1', cc: 'a@x.test' }));
      assert.deepEqual(first.conversation.meta, { subject: 'Order 1', cc: 'a@x.test' });
      await gw.bus.ingest(msg(2, { cc: '', email: 'c@x.test' }));
      await gw.bus.ingest(msg(3)); // no meta: the conversation keeps what it had
      await gw.bus.idle();
      const id = first.conversation.id;
      assert.deepEqual((await gw.store.getConversation(id))!.meta, { subject: 'Order 1', email: 'c@x.test' });
      await gw.close();

      gw = await startGateway('', { dir });
      assert.deepEqual((await gw.store.getConversation(id))!.meta, { subject: 'Order 1', email: 'c@x.test' });
      const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
      const r = await json(`${gw.workspaceUrl}/api/conversations/${id}`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(r.status, 200);
      assert.deepEqual(r.body.conversation.meta, { subject: 'Order 1', email: 'c@x.test' });
    });

    it('waitingOn follows the last public message (notes and events do not count) and survives a restart', async () => {
      gw = await startGateway('', { dir });
      const { conversation } = await gw.bus.ingest(msg(1));
      const id = conversation.id;
      assert.equal(conversation.waitingOn, 'agent');
      const agent = { id: 'A1', role: 'agent' as const, name: 'Ann' };
      await gw.bus.send({ conversationId: id, from: agent, content: { kind: 'text', text: 'on it' } });
      assert.equal((await gw.store.getConversation(id))!.waitingOn, 'customer');
      await gw.bus.send({ conversationId: id, from: agent, content: { kind: 'text', text: 'note to self' }, private: true });
      await gw.bus.send({ conversationId: id, from: { id: 'system', role: 'system' }, content: { kind: 'event', event: 'handoff', text: 'x' } });
      assert.equal((await gw.store.getConversation(id))!.waitingOn, 'customer');
      await gw.bus.idle();
      await gw.close();

      gw = await startGateway('', { dir });
      assert.equal((await gw.store.getConversation(id))!.waitingOn, 'customer', 'derived again from the stored messages');
      const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
      const r = await json(`${gw.workspaceUrl}/api/conversations/${id}`, { headers: { Authorization: `Bearer ${token}` } });
      assert.equal(r.body.conversation.waitingOn, 'customer');
      await gw.bus.ingest(msg(2));
      assert.equal((await gw.store.getConversation(id))!.waitingOn, 'agent');
    });

    it('a conversation without meta has none stored and shows {}', async () => {
      gw = await startGateway('', { dir });
      const { conversation } = await gw.bus.ingest(msg(1));
      await gw.bus.idle();
      assert.equal((await gw.store.getConversation(conversation.id))!.meta, undefined);
      const token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
      const r = await json(`${gw.workspaceUrl}/api/conversations/${conversation.id}`, { headers: { Authorization: `Bearer ${token}` } });
      assert.deepEqual(r.body.conversation.meta, {});
    });
  });
});
