import assert from 'node:assert/strict';
import pino from 'pino';
import { ContactService } from '../../../core/contacts/contact-service.js';
import { SqliteStore } from '../../../core/store/sqlite-store.js';
import { newId } from '../../../core/model/ids.js';
import type { Conversation } from '../../../core/model/message.js';

const agent = { id: 'A1', name: 'Han Meimei' };

describe('ContactService (on the SQLite store)', () => {
  let store: SqliteStore;
  let svc: ContactService;
  let clock = 1_000_000;
  beforeEach(() => {
    store = new SqliteStore({ path: ':memory:' });
    svc = new ContactService({ store, logger: pino({ level: 'silent' }), attributeKeys: () => ['plan'], now: () => new Date(clock += 1000) });
  });
  afterEach(() => store.close());

  async function conversation(channel: string, external: string, o: { name?: string; meta?: Record<string, string>; at?: number } = {}): Promise<Conversation> {
    const at = new Date(o.at ?? clock);
    const c: Conversation = { id: newId('C'), ref: { channel, account: 'default', thread: external }, customer: { id: `${channel}:${external}`, role: 'customer', name: o.name },
      status: 'pending', queue: 'general', priority: 0, aiWeight: 1, createdAt: at, updatedAt: at, lastMessageAt: at, lastSeq: 1, tags: [], meta: o.meta };
    await store.saveConversation(c);
    return c;
  }
  const actions = async (id: string) => (await svc.auditOf(id)).map((e) => `${e.action} ${e.actorId}${e.keys ? ` ${e.keys.join(',')}` : ''}`);

  it('one contact per customer, made on first sight; seeing it again changes nothing; a made-up name is not the contact\'s', async () => {
    const sms = await conversation('sms', '+15551234567', { name: 'Li Lei' });
    const web = await conversation('web', 'vAAAAAAAAAAAAAAAA', { name: 'Visitor AAAA' });
    const a = await svc.observe(sms);
    assert.equal(await svc.observe(sms), a);
    const b = await svc.observe(web);
    assert.notEqual(a, b);
    assert.equal((await svc.get(a)).name, 'Li Lei');
    assert.equal((await svc.get(b)).name, undefined);
    const v = await svc.view(a);
    assert.deepEqual(v.identities.map((i) => [i.key, i.verified, i.address]), [['sms:+15551234567', true, true], ['phone:+15551234567', true, false]]);
    assert.deepEqual(await actions(a), ['created system sms:+15551234567']);
  });

  it('a signed phone and an SMS from that number are one person: linked by themselves, the older contact kept, audited as system', async () => {
    const sms = await conversation('sms', '+15551234567', { at: clock - 60_000 });
    const web = await conversation('web', 'vsXXXXXXXXXXXXXXXXXXXXXXXXXXXX');
    const older = await svc.observe(sms);
    const id = await svc.identify('web:vsXXXXXXXXXXXXXXXXXXXXXXXXXXXX', { facts: [{ key: 'shop:42', verified: true }, { key: 'phone:+15551234567', verified: true }], name: 'Li Lei' });
    assert.equal(id, older);
    const v = await svc.view(id);
    assert.deepEqual(v.conversations.map((c) => c.id), [web.id, sms.id], 'every channel, newest first');
    assert.equal(v.contact.name, 'Li Lei');
    assert.deepEqual(v.suggestions, []);
    assert.ok((await actions(id)).includes('auto_link system phone:+15551234567'));
    assert.equal(await svc.observe(web), older, 'the web customer now answers as the linked contact');
  });

  it('never merges on unverified data: a typed-in e-mail and a mail from that address stay two contacts, suggested to the agent', async () => {
    const mail = await conversation('email', 'li@x.test', { meta: { email: 'li@x.test' } });
    const m = await svc.observe(mail);
    const w = await svc.identify('web:vBBBBBBBBBBBBBBBB', { facts: [{ key: 'email:li@x.test', verified: false }, { key: 'shop:42', verified: false }] });
    assert.notEqual(m, w);
    // Even a verified e-mail on one side does not link with the forgeable sender of a mail.
    const s = await svc.identify('web:vsYYYYYYYYYYYYYYYYYYYYYYYYYYYY', { facts: [{ key: 'shop:43', verified: true }, { key: 'email:li@x.test', verified: true }] });
    assert.notEqual(s, m);
    assert.notEqual(s, w);
    const v = await svc.view(w);
    assert.deepEqual(v.suggestions.map((x) => [x.contactId, x.reasons]).sort(), [
      [m, ['same e-mail li@x.test (unverified)']],
      [s, ['same e-mail li@x.test (verified on one side only)']],
    ].sort());
    assert.deepEqual((await svc.view(m)).identities.map((i) => [i.key, i.verified]), [['email:li@x.test', false]]);
  });

  it('the same unionid on a mini-program and a service account: one contact', async () => {
    const a = await svc.observe(await conversation('wechat_mp', 'v1aaaaaaaaaaa', { meta: { wechat_unionid: 'union_1234' } }));
    const b = await svc.observe(await conversation('wechat', 'oOPENID2', { meta: { wechat_unionid: 'union_1234' } }));
    assert.equal(a, b);
    const c = await svc.observe(await conversation('wechat', 'oOPENID3', { meta: { wechat_openid: 'oOPENID3' } }));
    assert.notEqual(c, a, 'an openid alone is per app: nothing to link on');
  });

  it('an agent links and splits by hand, each with an audit entry naming them; a contact keeps its last address', async () => {
    const a = await svc.observe(await conversation('sms', '+15550000001', { name: 'Li Lei' }));
    const b = await svc.observe(await conversation('feishu', 'ou_abc', { name: 'Li Lei' }));
    assert.deepEqual((await svc.view(a)).suggestions.map((s) => [s.contactId, s.reasons, s.name]), [[b, ['same name "Li Lei"'], 'Li Lei']]);
    const linked = await svc.link(a, b, agent);
    assert.equal(linked.id, a);
    assert.equal((await svc.get(b)).id, a, 'the linked-away contact answers as the one it joined');
    await assert.rejects(svc.link(a, b, agent), { code: 'invalid_state' });
    assert.deepEqual((await svc.view(a)).identities.filter((i) => i.address).map((i) => i.key), ['sms:+15550000001', 'feishu:ou_abc']);
    assert.equal((await svc.auditOf(a))[0].actorName, 'Han Meimei');
    const fresh = await svc.split(a, 'feishu:ou_abc', agent);
    assert.deepEqual((await svc.view(fresh.id)).identities.map((i) => i.key), ['feishu:ou_abc']);
    assert.deepEqual((await svc.view(a)).identities.map((i) => i.key), ['sms:+15550000001', 'phone:+15550000001']);
    assert.deepEqual((await actions(a)).slice(0, 2), ['split A1 feishu:ou_abc', 'link A1 feishu:ou_abc']);
    assert.deepEqual((await actions(fresh.id)), ['split A1 feishu:ou_abc']);
    await assert.rejects(svc.split(fresh.id, 'feishu:ou_abc', agent), { code: 'invalid_state' });
    await assert.rejects(svc.split(a, 'web:nobody', agent), { code: 'validation_failed' });
  });

  it('edits: name, company, tags, notes and only the configured attributes; null clears; audited', async () => {
    const a = await svc.observe(await conversation('sms', '+15550000002'));
    await svc.edit(a, { name: 'Li Lei', company: 'Tea House', attributes: { plan: 'gold' }, tags: ['vip', 'vip', ' b2b '], notes: 'calls at noon' }, agent);
    await assert.rejects(svc.edit(a, { attributes: { secret_level: '9' } }, agent), { code: 'validation_failed' });
    const c = await svc.edit(a, { company: null, attributes: { plan: null } }, agent);
    assert.deepEqual([c.name, c.company, c.attributes, c.tags, c.notes], ['Li Lei', undefined, {}, ['vip', 'b2b'], 'calls at noon']);
    assert.deepEqual((await svc.auditOf(a)).slice(0, 2).map((e) => [e.action, e.reason]), [['edit', 'company, attributes'], ['edit', 'name, company, attributes, tags, notes']]);
    assert.deepEqual((await svc.search('tea')).map((x) => x.id), []);
    assert.deepEqual((await svc.search('li l')).map((x) => x.id), [a]);
    assert.deepEqual((await svc.search('+1555000000')).map((x) => x.id), [a], 'found by an identity');
  });

  it('two services on one store: the one that loses the race for an address leaves no contact behind', async () => {
    const sms = await conversation('sms', '+15559876543', { name: 'Wang Fang' });
    const debug: string[] = [];
    const made: string[] = [];
    // The second node read the address's owner before the first node's claim landed: a stale read, then a conflict.
    const contacts = Object.create(store.contacts);
    let staleReads = 2; // observe's own look, then attach's
    contacts.addressOwner = (key: string) => (staleReads-- > 0 ? Promise.resolve(undefined) : store.contacts.addressOwner(key));
    contacts.create = (c: { id: string }) => { made.push(c.id); return store.contacts.create(c as never); };
    const other = Object.create(store);
    Object.defineProperty(other, 'contacts', { value: contacts });
    const logger = { ...pino({ level: 'silent' }), debug: (_o: unknown, msg: string) => { debug.push(msg); } };
    const svc2 = new ContactService({ store: other, logger: logger as never, attributeKeys: () => [], now: () => new Date(clock += 1000) });

    const first = await svc.observe(sms);
    const second = await svc2.observe(sms);
    assert.equal(second, first, 'the second node ends on the first node\'s contact');
    assert.equal(made.length, 1, 'it did make one of its own');
    assert.equal(await store.contacts.get(made[0]), undefined, 'and removed it');
    assert.ok((await store.contacts.get(first)), 'the winner stays');
    assert.deepEqual(debug, ['contact address taken by another node; removed the contact made here']);
  });

  it('a signed identify in a browser that chatted anonymously brings that conversation to the user\'s contact', async () => {
    await conversation('web', 'vCCCCCCCCCCCCCCCC');
    const anon = await svc.observe((await store.findConversationsByCustomer('web:vCCCCCCCCCCCCCCCC'))[0]);
    const id = await svc.identify('web:vsZZZZZZZZZZZZZZZZZZZZZZZZZZZZ', { facts: [{ key: 'shop:7', verified: true }] }, 'web:vCCCCCCCCCCCCCCCC');
    assert.equal(await svc.resolve(anon), id);
    assert.ok((await svc.auditOf(id)).some((e) => e.action === 'auto_link' && e.reason === 'signed identify in the same browser'));
  });
});
