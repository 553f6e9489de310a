import assert from 'node:assert/strict';
import { autoLinkTargets, mergedFields, suggestionsFor } from '../../../core/contacts/linking.js';
import { addressVerified, emailKey, factsOf, isPlaceholderName, phoneKey } from '../../../core/contacts/identity-keys.js';
import { identitySignature, isShopVisitorId, shopVisitorId, signatureMatches } from '../../../core/contacts/identify-signature.js';
import type { ContactRecord, IdentityRecord } from '../../../core/contacts/types.js';
import type { Conversation } from '../../../core/model/message.js';

const row = (key: string, contactId: string, verified: boolean, address = false): IdentityRecord =>
  ({ key, contactId, verified, address, source: key, createdAt: new Date(0) });
const contact = (id: string, over: Partial<ContactRecord> = {}): ContactRecord =>
  ({ id, attributes: {}, tags: [], createdAt: new Date(0), updatedAt: new Date(0), ...over });
const conv = (channel: string, external: string, meta?: Record<string, string>): Conversation => ({
  id: 'C1', ref: { channel, account: 'default', thread: external }, customer: { id: `${channel}:${external}`, role: 'customer' },
  status: 'pending', queue: 'general', priority: 0, aiWeight: 1, createdAt: new Date(), updatedAt: new Date(), lastSeq: 0, tags: [], meta });

describe('contacts: the linking rule (never merging on unverified data)', () => {
  it('a verified key links with every other contact holding the same key verified', () => {
    const holders = new Map([['phone:+15551234567', [row('phone:+15551234567', 'K1', true), row('phone:+15551234567', 'K2', true), row('phone:+15551234567', 'K3', false)]]]);
    assert.deepEqual(autoLinkTargets('K1', [{ key: 'phone:+15551234567', verified: true }], holders), ['K2']);
  });

  it('an unverified incoming key links nothing, even when the other side holds it verified', () => {
    const holders = new Map([['email:li@x.test', [row('email:li@x.test', 'K2', true)]]]);
    assert.deepEqual(autoLinkTargets('K1', [{ key: 'email:li@x.test', verified: false }], holders), []);
  });

  it('a verified incoming key does not link a contact that only claims it', () => {
    const holders = new Map([['shop:42', [row('shop:42', 'K2', false), row('shop:42', 'K3', false)]]]);
    assert.deepEqual(autoLinkTargets('K1', [{ key: 'shop:42', verified: true }], holders), []);
  });

  it('the same name, or a shared unverified e-mail, is a suggestion with its reason, never a link', () => {
    const self = contact('K1', { name: 'Li Lei' });
    const mine = [row('email:li@x.test', 'K1', false), row('shop:42', 'K1', true)];
    const sameKey = [row('email:li@x.test', 'K2', true), row('shop:42', 'K3', false), row('email:li@x.test', 'K1', false)];
    const got = suggestionsFor(self, mine, sameKey, [contact('K4', { name: 'Li Lei' }), contact('K1', { name: 'Li Lei' }), contact('K5', { name: 'Li Lei', mergedInto: 'K4' })]);
    assert.deepEqual(got, [
      { contactId: 'K2', reasons: ['same e-mail li@x.test (verified on one side only)'] },
      { contactId: 'K3', reasons: ['same shop user id 42 (verified on one side only)'] },
      { contactId: 'K4', reasons: ['same name "Li Lei"'] },
    ]);
  });

  it('a link keeps the older contact\'s fields, fills its gaps, joins tags and notes', () => {
    const now = new Date(5);
    const m = mergedFields(contact('K1', { name: 'Li Lei', attributes: { plan: 'gold' }, tags: ['vip'], notes: 'a' }),
      contact('K2', { name: 'L. Lei', company: 'Tea', attributes: { plan: 'free', city: 'Hangzhou' }, tags: ['vip', 'b2b'], notes: 'b' }), now);
    assert.deepEqual(m, contact('K1', { name: 'Li Lei', company: 'Tea', attributes: { plan: 'gold', city: 'Hangzhou' }, tags: ['vip', 'b2b'], notes: 'a\n\nb', updatedAt: now }));
  });
});

describe('contacts: what each channel proves', () => {
  it('SMS: the phone number, verified (the carrier delivered it); only E.164 numbers become a phone key', () => {
    assert.deepEqual(factsOf(conv('sms', '+15551234567')), [{ key: 'phone:+15551234567', verified: true }]);
    assert.deepEqual(factsOf(conv('sms', '+15551234567', { started: 'K1:c1' })), [{ key: 'phone:+15551234567', verified: false }],
      'a conversation an agent started by texting the number proves nothing about it');
    assert.deepEqual(factsOf(conv('sms_gateway', '13800138000')), [], 'a national number would need a guessed country');
    assert.equal(addressVerified(conv('sms', '+15551234567')), true);
  });

  it('e-mail: the sender is unverified (From is forgeable), address and fact alike', () => {
    assert.deepEqual(factsOf(conv('email', 'li@x.test')), [], 'the address already is the e-mail key');
    assert.equal(addressVerified(conv('email', 'li@x.test')), false);
    assert.deepEqual(factsOf(conv('email', 'li@x.test', { email: 'Li@X.test' })), []);
    assert.deepEqual(factsOf(conv('web', 'v1', { email: 'Li@X.test' })), [{ key: 'email:li@x.test', verified: false }]);
  });

  it('WeChat: the unionid from the meta is verified, on the mini-program and the service account alike', () => {
    assert.deepEqual(factsOf(conv('wechat_mp', 'v1', { wechat_appid: 'wx1', wechat_openid: 'o1', wechat_unionid: 'u_123456' })), [{ key: 'wechat_unionid:u_123456', verified: true }]);
    assert.deepEqual(factsOf(conv('wechat', 'o2', { wechat_unionid: 'u_123456' })), [{ key: 'wechat_unionid:u_123456', verified: true }]);
    assert.deepEqual(factsOf(conv('wechat', 'o2', { wechat_unionid: 'x' })), [], 'a malformed id is ignored');
  });

  it('normalizes e-mail and phone, refuses what is not one', () => {
    assert.equal(emailKey(' Li.Lei@Example.COM '), 'email:li.lei@example.com');
    assert.equal(emailKey('not-an-address'), undefined);
    assert.equal(phoneKey('+86 138-0013-8000'), 'phone:+8613800138000');
    assert.equal(phoneKey('13800138000'), undefined);
    assert.deepEqual(['Visitor 3F2A', 'WeChat user AB12', '+15551234567', undefined, 'Li Lei'].map(isPlaceholderName), [true, true, true, true, false]);
  });
});

describe('contacts: identify signatures', () => {
  const secret = 'shop-secret-0123456789';
  it('HMAC-SHA256 hex of the user id; upper-case hex accepted; anything else refused', () => {
    const sig = identitySignature(secret, '42');
    assert.match(sig, /^[0-9a-f]{64}$/);
    assert.equal(signatureMatches(secret, '42', sig), true);
    assert.equal(signatureMatches(secret, '42', sig.toUpperCase()), true);
    assert.equal(signatureMatches(secret, '43', sig), false);
    assert.equal(signatureMatches('another-secret-000000', '42', sig), false);
    assert.equal(signatureMatches(undefined, '42', sig), false, 'no secret configured: nothing verifies');
    assert.equal(signatureMatches(secret, '42', sig.slice(1)), false);
    assert.equal(signatureMatches(secret, '42', 42), false);
  });

  it('the shared visitor id is stable per user, differs between users, and cannot be a random visitor id', () => {
    assert.equal(shopVisitorId('42'), shopVisitorId('42'));
    assert.notEqual(shopVisitorId('42'), shopVisitorId('43'));
    assert.match(shopVisitorId('42'), /^vs[A-Za-z0-9_-]{28}$/);
    assert.equal(isShopVisitorId(shopVisitorId('42')), true);
    assert.equal(isShopVisitorId('vAbCdEfGhIjKlMnOp'), false);
  });
});
