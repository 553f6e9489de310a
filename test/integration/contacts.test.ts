import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { FrameSocket, cid, connectVisitor, json, loginAgent, visitorSession } from '../helpers/clients.js';
import { identitySignature } from '../../core/contacts/identify-signature.js';
import { exportLogs } from '../../plugins/analytics/export.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SECRET = 'shop-identity-secret-0123';
const sign = (m: string) => identitySignature(SECRET, m);

describe('contacts over real sockets: kefu.identify, history on a second device, the workspace contact API', () => {
  let gw: TestGateway;
  let agentToken: string;
  before(async () => {
    gw = await startGateway(`[channels.web]\nidentity_secret = "${SECRET}"\n[contacts]\nattributes = ["plan"]\n[ratelimit]\ncustomer_quota = 0\n`);
    agentToken = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
  });
  after(() => gw?.close());

  const identify = (token: string, body: unknown) => json(`${gw.publicUrl}/v1/visitor/identify`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, json: body });
  const ws = (path: string, body?: unknown) => json(`${gw.workspaceUrl}/api${path}`, body === undefined
    ? { headers: { authorization: `Bearer ${agentToken}` } } : { method: 'POST', headers: { authorization: `Bearer ${agentToken}` }, json: body });
  async function say(token: string, text: string, after = 0): Promise<{ socket: FrameSocket; conversationId: string }> {
    const socket = await FrameSocket.open(`${gw.publicUrl.replace('http', 'ws')}/ws/visitor`);
    socket.send({ type: 'hello', token, after });
    await socket.wait((f) => f.type === 'welcome');
    const id = cid();
    socket.send({ type: 'send', clientId: id, text });
    const ack = await socket.wait((f) => f.type === 'ack' && f.clientId === id);
    return { socket, conversationId: (await gw.store.getMessage(ack.id))!.conversationId };
  }

  it('a signed identify moves both devices to one visitor: the second device replays the first one\'s conversation', async () => {
    const phone = await visitorSession(gw.publicUrl);
    const r1 = await identify(phone.token, { id: 'u-1001', name: 'Li Lei', attributes: { plan: 'gold', nope: 'x' }, signature: sign('u-1001') });
    assert.equal(r1.status, 200, JSON.stringify(r1.body));
    assert.equal(r1.body.verified, true);
    assert.match(r1.body.token, /^v1\./);
    assert.notEqual(r1.body.visitorId, phone.visitorId);
    const first = await say(r1.body.token, 'Ordered the Longjing yesterday, any news?');
    await first.socket.close();

    const laptop = await visitorSession(gw.publicUrl);
    const r2 = await identify(laptop.token, { id: 'u-1001', signature: sign('u-1001').toUpperCase() });
    assert.equal(r2.body.visitorId, r1.body.visitorId, 'the same shared visitor');
    const s = await FrameSocket.open(`${gw.publicUrl.replace('http', 'ws')}/ws/visitor`);
    s.send({ type: 'hello', token: r2.body.token, after: 0 });
    const welcome = await s.wait((f) => f.type === 'welcome');
    assert.equal(welcome.conversationId, first.conversationId);
    await s.wait((f) => f.type === 'message' && f.message.content.text === 'Ordered the Longjing yesterday, any news?');
    await s.close();

    // Identifying again on a device that already is the shared visitor changes nothing.
    const r3 = await identify(r2.body.token, { id: 'u-1001', signature: sign('u-1001') });
    assert.deepEqual([r3.body.visitorId, r3.body.token], [r1.body.visitorId, undefined]);

    const v = await ws(`/conversations/${first.conversationId}/contact`);
    assert.equal(v.status, 200, JSON.stringify(v.body));
    assert.equal(v.body.contact.name, 'Li Lei');
    assert.deepEqual(v.body.contact.attributes, { plan: 'gold' }, 'only configured attributes');
    const keys = v.body.identities.map((i: any) => `${i.key}:${i.verified}`);
    assert.ok(keys.includes('shop:u-1001:true'), keys.join());
    assert.ok(keys.includes(`web:${phone.visitorId}:true`) && keys.includes(`web:${laptop.visitorId}:true`), 'both browsers, proven by the signature');
  });

  it('a wrong signature is refused (403) and stores nothing; an unsigned identify is recorded unverified, never linked', async () => {
    const a = await visitorSession(gw.publicUrl);
    const bad = await identify(a.token, { id: 'u-1001', signature: sign('u-1002') });
    assert.deepEqual([bad.status, bad.body.error.code], [403, 'invalid_signature']);
    const typed = await identify(a.token, { id: 'u-1001', email: 'LiLei@Example.com', phone: '+8613800138000', attributes: { plan: 'vip' } });
    assert.deepEqual([typed.status, typed.body.verified, typed.body.token, typed.body.visitorId], [200, false, undefined, a.visitorId]);
    for (const body of [{ email: 'nope' }, { phone: '13800138000' }, { id: { x: 1 } }, { signature: sign('x') }]) {
      const r = await identify(a.token, body);
      assert.equal(r.status, 422, JSON.stringify(body));
    }
    assert.equal((await identify('v1.forged.1.x', { id: 'u-1' })).status, 401);
    const { conversationId } = await say(a.token, 'I am Li Lei, really');
    const v = await ws(`/conversations/${conversationId}/contact`);
    assert.deepEqual(v.body.identities.filter((i: any) => !i.address).map((i: any) => `${i.key}:${i.verified}`).sort(),
      ['email:lilei@example.com:false', 'phone:+8613800138000:false', 'shop:u-1001:false']);
    assert.deepEqual(v.body.contact.attributes, {}, 'an unsigned page sets no attributes');
    assert.equal(v.body.conversations.length, 1, 'not merged with the signed user');
    assert.ok(v.body.suggestions.some((s: any) => s.reasons.includes('same shop user id u-1001 (verified on one side only)')), JSON.stringify(v.body.suggestions));
  });

  it('the agent links a suggestion and splits it again; both are in the audit with the agent\'s name; edits and search', async () => {
    const a = await connectVisitor(gw.publicUrl);
    const b = await connectVisitor(gw.publicUrl);
    await identify(a.token, { name: 'Han Meimei' });
    await identify(b.token, { name: 'han meimei' });
    const ca = (await say(a.token, 'first chat')).conversationId;
    const cb = (await say(b.token, 'second chat')).conversationId;
    const va = (await ws(`/conversations/${ca}/contact`)).body;
    const vb = (await ws(`/conversations/${cb}/contact`)).body;
    assert.deepEqual(va.suggestions.map((s: any) => s.contactId), [vb.contact.id]);
    const linked = await ws(`/contacts/${va.contact.id}/link`, { other: vb.contact.id });
    assert.equal(linked.status, 200, JSON.stringify(linked.body));
    assert.deepEqual(linked.body.conversations.map((c: any) => c.id).sort(), [ca, cb].sort());
    assert.equal((await ws(`/conversations/${cb}/contact`)).body.contact.id, va.contact.id);
    const split = await ws(`/contacts/${va.contact.id}/split`, { address: `web:${b.visitorId}` });
    assert.equal(split.status, 200, JSON.stringify(split.body));
    assert.deepEqual(split.body.conversations.map((c: any) => c.id), [ca]);
    assert.equal((await ws(`/conversations/${cb}/contact`)).body.contact.id, split.body.split);
    const audit = (await ws(`/contacts/${va.contact.id}/audit`)).body.audit;
    const me = (await ws('/me')).body.agent;
    assert.deepEqual(audit.slice(0, 2).map((e: any) => [e.action, e.actorId, e.actorName]), [['split', me.id, me.name], ['link', me.id, me.name]]);

    const edited = await ws(`/contacts/${va.contact.id}`, { name: 'Han Meimei', company: 'Mei Tea Co', attributes: { plan: 'silver' }, tags: ['wholesale'], notes: '' });
    assert.equal(edited.status, 200, JSON.stringify(edited.body));
    assert.deepEqual([edited.body.contact.company, edited.body.contact.attributes, edited.body.contact.tags], ['Mei Tea Co', { plan: 'silver' }, ['wholesale']]);
    assert.equal((await ws(`/contacts/${va.contact.id}`, { attributes: { other: 'x' } })).status, 422);
    assert.equal((await ws(`/contacts/${va.contact.id}`, { tags: 'x' })).status, 422);
    assert.deepEqual((await ws('/contacts?q=mei%20tea')).body.contacts.map((c: any) => c.id), [va.contact.id]);
    assert.equal((await ws('/contacts?q=m')).status, 422);
    assert.equal((await ws('/contacts/K-nobody')).status, 404);
    assert.equal((await json(`${gw.workspaceUrl}/api/contacts/${va.contact.id}`)).status, 401, 'agents only');
    await a.socket.close();
    await b.socket.close();
  });

  it('every conversation gets its contact by itself (no side panel needed), and the export carries it, the surviving id after a link', async () => {
    const v = await connectVisitor(gw.publicUrl);
    const w = await connectVisitor(gw.publicUrl);
    const cv = (await say(v.token, 'hello from v')).conversationId;
    const cw = (await say(w.token, 'hello from w')).conversationId;
    const ownerOf = async (convId: string) => (await gw.store.contacts.addressOwner((await gw.store.getConversation(convId))!.customer.id))?.contactId;
    const kv = await eventually(() => ownerOf(cv), 'a contact for the first customer');
    const kw = await eventually(() => ownerOf(cw), 'a contact for the second customer');
    assert.notEqual(kv, kw);

    const dir = mkdtempSync(join(tmpdir(), 'kefu-contacts-export-'));
    try {
      const exported = async (name: string) => {
        const out = join(dir, name);
        await exportLogs(gw.store, new Date(Date.now() - 3_600_000), new Date(Date.now() + 3_600_000), out);
        const rows = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
        return (convId: string) => [...new Set(rows.filter((r) => r.conversation_id === convId).map((r) => r.contact_id))];
      };
      const before = await exported('before.jsonl');
      assert.deepEqual([before(cv), before(cw)], [[kv], [kw]]);

      const linked = await ws(`/contacts/${kv}/link`, { other: kw });
      assert.equal(linked.status, 200, JSON.stringify(linked.body));
      const after = await exported('after.jsonl');
      assert.deepEqual([after(cv), after(cw)], [[kv], [kv]], 'both conversations carry the surviving contact');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await v.socket.close();
    await w.socket.close();
  });
});
