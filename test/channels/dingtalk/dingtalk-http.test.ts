import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { json, loginAgent } from '../../helpers/clients.js';
import { HTTP_APP, APP, FakeDingtalk, callbackPost, dingtalkConfig } from '../../fixtures/channels/dingtalk/fake-dingtalk.js';

describe('dingtalk channel, HTTP callback mode (timestamp + sign)', () => {
  let fake: FakeDingtalk;
  let gw: TestGateway;

  beforeEach(async () => {
    fake = await new FakeDingtalk().listen();
    gw = await startGateway(`[channels.dingtalk]\nenabled = true\n${dingtalkConfig(fake, { stream: false })}\n[ratelimit]\ncustomer_quota = 0\n`);
    await eventually(() => gw.channels.isRunning('dingtalk'), 'dingtalk running');
  });
  afterEach(async () => { await gw?.close(); await fake.close(); });

  const message = (text = 'hello', msgId?: string) => ({ ...fake.message({ text, msgId }), robotCode: HTTP_APP.clientId });
  const conversation = async () => gw.store.findConversationByRef({ channel: 'dingtalk', account: HTTP_APP.clientId, thread: 'u:manager4711' });
  const inbound = async () => { const c = await conversation(); return c ? (await gw.store.listMessages(c.id, {})).filter((m) => m.direction === 'inbound') : []; };

  it('a well-signed callback is stored before the 200; the reply goes back through its sessionWebhook', async () => {
    const r = await callbackPost(gw.publicUrl, message('order 42?'));
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, {});
    const [m] = await inbound();
    assert.deepEqual(m.content, { kind: 'text', text: 'order 42?' });
    const conv = (await conversation())!;
    await gw.bus.send({ conversationId: conv.id, from: { id: 'A1', role: 'agent', name: 'Ann' }, content: { kind: 'text', text: 'Shipped.' } });
    await eventually(() => fake.sent.some((s) => s.text === 'Shipped.'), 'reply sent');
    assert.equal(fake.sent.find((s) => s.text === 'Shipped.')!.via, 'session');
    assert.equal(fake.openRequests.length, 0, 'HTTP-only: no stream connection is opened');
    assert.equal(gw.channels.health().dingtalk.state, 'running');
  });

  it('bad, missing, other-app and stale signatures are 403 invalid_signature and store nothing; so is a body naming another robot', async () => {
    const body = message('forged');
    const cases = [
      await callbackPost(gw.publicUrl, body, { sign: 'bm90LWEtc2lnbmF0dXJl' }),
      await callbackPost(gw.publicUrl, body, { sign: null }),
      await callbackPost(gw.publicUrl, body, { secret: APP.secret }),
      await callbackPost(gw.publicUrl, body, { timestamp: Date.now() - 61 * 60_000 }),
      await callbackPost(gw.publicUrl, body, { timestamp: Date.now() + 61 * 60_000 }),
      await callbackPost(gw.publicUrl, { ...body, robotCode: 'dingsomeoneelse' }),
    ];
    for (const r of cases) {
      assert.equal(r.status, 403);
      assert.equal(r.body.error.code, 'invalid_signature');
    }
    assert.equal(await conversation(), undefined);
    const fresh = await callbackPost(gw.publicUrl, body, { timestamp: Date.now() - 59 * 60_000 });
    assert.equal(fresh.status, 200, 'within the hour is accepted');
  });

  it('a redelivered msgId is stored once; a kind kefu cannot show is kept as a note; an unreadable one is kept for an admin', async () => {
    const m = message('twice', 'msgRedelivered1');
    for (let i = 0; i < 3; i++) assert.equal((await callbackPost(gw.publicUrl, m)).status, 200);
    assert.equal((await inbound()).length, 1);
    assert.equal((await callbackPost(gw.publicUrl, { ...message(), msgId: 'msgcard1', msgtype: 'interactiveCard' })).status, 200);
    assert.equal((await callbackPost(gw.publicUrl, { ...message(), msgId: 'msgpic1', msgtype: 'picture', content: { downloadCode: 'x'.repeat(3000) } })).status, 200);
    assert.deepEqual((await inbound()).slice(1).map((x) => [x.sourceId, x.content]), [
      ['msgcard1', { kind: 'text', text: '[A "interactiveCard" message: kefu cannot show it]' }],
      ['msgpic1', { kind: 'text', text: '[A "picture" message: kefu cannot show it]' }]]);
    assert.equal((await callbackPost(gw.publicUrl, '{"msgId": 42}')).status, 200);
    const problems = (await gw.channels.problems()).dingtalk;
    assert.equal(problems.length, 1);
    assert.match(problems[0].reason, /unreadable robot callback \(msgId\)/);
  });

  it('a kept callback (it holds the sessionWebhook and the message) is for admins only: 404 on the public port and to agents', async () => {
    assert.equal((await callbackPost(gw.publicUrl, '{"msgId": 42, "sessionWebhook": "secret-ish"}')).status, 200);
    const [kept] = (await gw.channels.problems()).dingtalk;
    assert.equal((await fetch(`${gw.publicUrl}/media/${kept.mediaId}`)).status, 404);
    const admin = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    const auth = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    const file = await fetch(`${gw.workspaceUrl}/media/${kept.mediaId}`, auth(admin));
    assert.equal(file.status, 200);
    assert.equal(await file.text(), '{"msgId": 42, "sessionWebhook": "secret-ish"}');
    const created = await json(`${gw.workspaceUrl}/api/agents`, { method: 'POST', ...auth(admin), json: { login: 'bo', password: 'bo-password-1', role: 'agent' } });
    assert.equal(created.status, 201);
    const agent = await loginAgent(gw.workspaceUrl, 'bo', 'bo-password-1');
    assert.equal((await fetch(`${gw.workspaceUrl}/media/${kept.mediaId}`, auth(agent))).status, 404);
    // Dealt with: the admin dismisses it; the file stays for admins.
    const dismissed = await json(`${gw.workspaceUrl}/api/channels/problems/dismiss`, { method: 'POST', ...auth(admin), json: { channel: 'dingtalk', id: kept.id } });
    assert.equal(dismissed.status, 200, JSON.stringify(dismissed.body));
    assert.deepEqual((await gw.channels.problems()).dingtalk, []);
    assert.equal((await fetch(`${gw.workspaceUrl}/media/${kept.mediaId}`, auth(admin))).status, 200);
  });

  it('the signature is checked before the body is read: an unsigned oversized body is 403, not 413', async () => {
    const r = await callbackPost(gw.publicUrl, 'x'.repeat(300 * 1024), { sign: 'bm90LWEtc2lnbmF0dXJl' });
    assert.deepEqual([r.status, r.body?.error?.code], [403, 'invalid_signature']);
  });

  it('an oversized body is 413 and stores nothing', async () => {
    const r = await callbackPost(gw.publicUrl, { ...message(), text: { content: 'x'.repeat(300 * 1024) } });
    assert.equal(r.status, 413);
    assert.equal(await conversation(), undefined);
  });
});
