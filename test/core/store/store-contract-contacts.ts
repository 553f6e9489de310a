import assert from 'node:assert/strict';
import { newId } from '../../../core/model/ids.js';
import type { ContactRecord, IdentityRecord } from '../../../core/contacts/types.js';
import type { ContractContext } from './store-contract.js';

const contact = (over: Partial<ContactRecord> = {}): ContactRecord => {
  const now = new Date();
  return { id: newId('K'), attributes: {}, tags: [], createdAt: now, updatedAt: now, ...over };
};
const identity = (key: string, contactId: string, over: Partial<IdentityRecord> = {}): IdentityRecord =>
  ({ key, contactId, verified: false, address: false, source: key, createdAt: new Date(), ...over });
const keysOf = (rows: IdentityRecord[]) => rows.map((r) => `${r.key}${r.address ? ' address' : ''}${r.verified ? ' verified' : ''}`).sort();

/** Contacts: records, identities (one owner per address, facts shared), moves, search, audit. */
export function contactContract(c: ContractContext): void {
  describe('contacts', () => {
    it('a contact: created, updated, read back with every field, kept across a restart', async () => {
      const k = contact({ name: 'Li Lei', company: 'Tea House', attributes: { plan: 'gold' }, tags: ['vip'], notes: 'prefers phone' });
      await c.s.contacts.create(k);
      await c.s.contacts.update({ ...k, company: 'Tea House Ltd', tags: ['vip', 'wholesale'], updatedAt: new Date(k.updatedAt.getTime() + 1000) });
      const s = await c.reopen();
      assert.deepEqual(await s.contacts.get(k.id), { ...k, company: 'Tea House Ltd', tags: ['vip', 'wholesale'], updatedAt: new Date(k.updatedAt.getTime() + 1000), mergedInto: undefined });
      assert.equal(await s.contacts.get('K-none'), undefined);
    });

    it('removeOrphan deletes a contact with no identity and keeps one that has any', async () => {
      const lost = contact(); const kept = contact();
      await c.s.contacts.create(lost); await c.s.contacts.create(kept);
      await c.s.contacts.putIdentities([identity('web:v-orphan-test', kept.id, { address: true })]);
      await c.s.contacts.removeOrphan(lost.id);
      await c.s.contacts.removeOrphan(kept.id);
      const s = await c.reopen();
      assert.equal(await s.contacts.get(lost.id), undefined);
      assert.equal((await s.contacts.get(kept.id))?.id, kept.id);
    });

    it('an address has one owner (a second claim is a conflict); a fact may be held by several; verified is never taken back', async () => {
      const a = contact(); const b = contact();
      await c.s.contacts.create(a); await c.s.contacts.create(b);
      await c.s.contacts.putIdentities([identity('web:v1', a.id, { address: true, verified: true }), identity('email:li@x.test', a.id)]);
      await assert.rejects(c.s.contacts.putIdentities([identity('web:v1', b.id, { address: true })]), { code: 'conflict' });
      await c.s.contacts.putIdentities([identity('email:li@x.test', b.id, { verified: true })]);
      await c.s.contacts.putIdentities([identity('email:li@x.test', b.id, { verified: false })]);
      const s = await c.reopen();
      assert.equal((await s.contacts.addressOwner('web:v1'))?.contactId, a.id);
      assert.equal(await s.contacts.addressOwner('email:li@x.test'), undefined, 'a fact is nobody\'s address');
      assert.deepEqual((await s.contacts.withKey('email:li@x.test')).map((r) => [r.contactId, r.verified]).sort(),
        [[a.id, false], [b.id, true]].sort());
      assert.deepEqual(keysOf(await s.contacts.identities(a.id)), ['email:li@x.test', 'web:v1 address verified']);
    });

    it('moving all identities with merge: a key both hold stays once (verified if either was), the source is marked merged', async () => {
      const a = contact(); const b = contact();
      await c.s.contacts.create(a); await c.s.contacts.create(b);
      await c.s.contacts.putIdentities([identity('sms:+15551234567', a.id, { address: true, verified: true }), identity('phone:+15551234567', a.id)]);
      await c.s.contacts.putIdentities([identity('web:v2', b.id, { address: true, verified: true }),
        identity('phone:+15551234567', b.id, { verified: true, source: 'web:v2' }), identity('shop:42', b.id, { verified: true, source: 'web:v2' })]);
      await c.s.contacts.moveIdentities(b.id, a.id, { merge: true });
      const s = await c.reopen();
      assert.deepEqual(keysOf(await s.contacts.identities(a.id)),
        ['phone:+15551234567 verified', 'shop:42 verified', 'sms:+15551234567 address verified', 'web:v2 address verified']);
      assert.deepEqual(await s.contacts.identities(b.id), []);
      assert.equal((await s.contacts.get(b.id))?.mergedInto, a.id);
      assert.equal((await s.contacts.addressOwner('web:v2'))?.contactId, a.id);
    });

    it('moving by source takes an address with what it taught, and leaves the rest', async () => {
      const a = contact(); const b = contact();
      await c.s.contacts.create(a); await c.s.contacts.create(b);
      await c.s.contacts.putIdentities([identity('web:v3', a.id, { address: true }), identity('shop:7', a.id, { source: 'web:v3' }),
        identity('sms:+15550000001', a.id, { address: true }), identity('phone:+15550000001', a.id, { source: 'sms:+15550000001' })]);
      await c.s.contacts.moveIdentities(a.id, b.id, { sources: ['web:v3'] });
      assert.deepEqual(keysOf(await c.s.contacts.identities(b.id)), ['shop:7', 'web:v3 address']);
      assert.deepEqual(keysOf(await c.s.contacts.identities(a.id)), ['phone:+15550000001', 'sms:+15550000001 address']);
      assert.equal((await c.s.contacts.get(a.id))?.mergedInto, undefined);
    });

    it('search: name, company or identity key, any case, merged contacts left out, % taken literally; byName exact ignoring case', async () => {
      const li = contact({ name: 'Li Lei', updatedAt: new Date(Date.now() - 1000) });
      const han = contact({ name: 'Han Meimei', company: 'Lei Trading' });
      const gone = contact({ name: 'Li Lei', mergedInto: li.id });
      const pct = contact({ name: '100% Tea' });
      for (const k of [li, han, gone, pct]) await c.s.contacts.create(k);
      await c.s.contacts.putIdentities([identity('email:meimei@shop.test', han.id)]);
      assert.deepEqual((await c.s.contacts.search('lei', 10)).map((k) => k.id), [han.id, li.id], 'newest first');
      assert.deepEqual((await c.s.contacts.search('MEIMEI@', 10)).map((k) => k.id), [han.id]);
      assert.deepEqual((await c.s.contacts.search('0%', 10)).map((k) => k.id), [pct.id]);
      assert.deepEqual(await c.s.contacts.search('0_ ', 10), []);
      assert.deepEqual((await c.s.contacts.byName(' li lei', 10)).map((k) => k.id), [li.id]);
    });

    it('audit entries: per contact, newest first, every field, kept across a restart', async () => {
      const at = new Date(Date.now() - 5000);
      await c.s.contacts.audit({ contactId: 'K1', at, actorId: 'system', action: 'created', keys: ['web:v1'] });
      await c.s.contacts.audit({ contactId: 'K1', at: new Date(at.getTime() + 1000), actorId: 'A1', actorName: 'Han', action: 'link', otherId: 'K2',
        keys: ['sms:+15551234567'], reason: 'linked by an agent' });
      await c.s.contacts.audit({ contactId: 'K2', at, actorId: 'A1', action: 'edit' });
      const s = await c.reopen();
      const log = await s.contacts.auditOf('K1', 10);
      assert.deepEqual(log.map((e) => e.action), ['link', 'created']);
      assert.deepEqual(log[0], { contactId: 'K1', at: new Date(at.getTime() + 1000), actorId: 'A1', actorName: 'Han', action: 'link', otherId: 'K2',
        keys: ['sms:+15551234567'], reason: 'linked by an agent' });
      assert.deepEqual(log[1], { contactId: 'K1', at, actorId: 'system', actorName: undefined, action: 'created', otherId: undefined, keys: ['web:v1'], reason: undefined });
    });
  });
}
