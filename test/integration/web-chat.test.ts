import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { cid, connectAgent, connectVisitor, FrameSocket, json, loginAgent, PNG_1X1, visitorSession } from '../helpers/clients.js';

describe('web chat end to end (real gateway, real WebSockets)', () => {
  let gw: TestGateway;
  let adminToken: string;

  beforeEach(async () => {
    gw = await startGateway();
    adminToken = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
  });
  afterEach(async () => { await gw.close(); });

  it('round trip: visitor → agent → visitor, with acks only after the store has the message', async () => {
    const agent = await connectAgent(gw.workspaceUrl, adminToken);
    const v = await connectVisitor(gw.publicUrl);
    const clientId = cid();
    v.socket.send({ type: 'send', clientId, text: '你好, where is my order?' });
    const ack = await v.socket.wait((f) => f.type === 'ack' && f.clientId === clientId);
    assert.equal(ack.seq, 1);
    const convId = (await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId }))!.id;
    assert.equal((await gw.store.findMessageBySource(convId, clientId))?.id, ack.id, 'acknowledged message is in the store');

    // Auto-assigned to the only online agent, who receives the message.
    const conv = await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned');
    const inbound = await agent.wait((f) => f.type === 'message' && f.message.direction === 'inbound');
    assert.equal(inbound.message.content.text, '你好, where is my order?');
    const me = agent.frames.find((f) => f.type === 'welcome').agent;
    assert.equal(conv.conversation.assigneeId, me.id);

    const replyId = cid();
    agent.send({ type: 'send', conversationId: conv.conversation.id, clientId: replyId, text: 'It ships today.' });
    await agent.wait((f) => f.type === 'ack' && f.clientId === replyId);
    const reply = await v.socket.wait((f) => f.type === 'message' && f.message.content.kind === 'text' && f.message.direction === 'outbound');
    assert.equal(reply.message.content.text, 'It ships today.');
    assert.equal(reply.message.from.role, 'agent');
    assert.equal(reply.message.from.id, undefined, 'visitors do not see agent ids');
    await v.socket.close();
    await agent.close();
  });

  it('reconnect + resume: nothing lost, nothing twice, resends are idempotent', async () => {
    const agent = await connectAgent(gw.workspaceUrl, adminToken);
    const v1 = await connectVisitor(gw.publicUrl);
    const first = cid();
    v1.socket.send({ type: 'send', clientId: first, text: 'first' });
    await v1.socket.wait((f) => f.type === 'ack' && f.clientId === first);
    const conv = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
    const lastSeen = Math.max(...v1.socket.frames.filter((f) => f.type === 'message' || f.type === 'ack').map((f) => f.message?.seq ?? f.seq));
    v1.socket.ws.terminate(); // dropped connection

    // While the visitor is away the agent answers twice.
    for (const text of ['answer one', 'answer two']) {
      const id = cid();
      agent.send({ type: 'send', conversationId: conv.id, clientId: id, text });
      await agent.wait((f) => f.type === 'ack' && f.clientId === id);
    }
    const v2 = await connectVisitor(gw.publicUrl, v1.token, lastSeen);
    await eventually(() => v2.socket.frames.filter((f) => f.type === 'message' && f.message.content.kind === 'text').length >= 2, 'replayed messages');
    const replayed = v2.socket.frames.filter((f) => f.type === 'message').map((f) => f.message);
    assert.ok(replayed.every((m) => m.seq > lastSeen), 'only what was missed is replayed');
    assert.deepEqual(replayed.filter((m) => m.content.kind === 'text').map((m) => m.content.text), ['answer one', 'answer two']);
    assert.equal(new Set(replayed.map((m) => m.id)).size, replayed.length, 'no duplicates');

    // The widget resends an unacked frame after reconnecting: same clientId → same message.
    v2.socket.send({ type: 'send', clientId: first, text: 'first' });
    const dup = await v2.socket.wait((f) => f.type === 'ack' && f.clientId === first);
    assert.equal(dup.duplicate, true);
    const all = await gw.store.listMessages(conv.id, {});
    assert.equal(all.filter((m) => m.content.kind === 'text' && m.content.text === 'first').length, 1);
    const seqs = all.map((m) => m.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), 'seq is gap-free');
    await v2.socket.close();
    await agent.close();
  });

  it('a returning visitor sees their history; another token cannot read it', async () => {
    const v = await connectVisitor(gw.publicUrl);
    const id = cid();
    v.socket.send({ type: 'send', clientId: id, text: 'my secret address' });
    await v.socket.wait((f) => f.type === 'ack');
    const hist = await json(`${gw.publicUrl}/v1/visitor/messages?after=0`, { headers: { Authorization: `Bearer ${v.token}` } });
    assert.ok(hist.body.messages.some((m: any) => m.content.text === 'my secret address'));
    const other = await connectVisitor(gw.publicUrl);
    const otherHist = await json(`${gw.publicUrl}/v1/visitor/messages?after=0`, { headers: { Authorization: `Bearer ${other.token}` } });
    assert.ok(!otherHist.body.messages.some((m: any) => m.content.text === 'my secret address'));
    const forged = v.token.slice(0, -2) + (v.token.endsWith('AA') ? 'BB' : 'AA');
    const bad = await json(`${gw.publicUrl}/v1/visitor/messages?after=0`, { headers: { Authorization: `Bearer ${forged}` } });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error.code, 'invalid_token');
    await v.socket.close();
    await other.socket.close();
  });

  it('rate limit: over quota gets 429 / rate_limited with a retry time; nothing stored, others unaffected', async () => {
    await gw.close();
    gw = await startGateway('[ratelimit]\ncustomer_quota = 3\nburst = 0');
    const v = await connectVisitor(gw.publicUrl);
    const results: any[] = [];
    for (let i = 0; i < 3; i++) {
      const id = cid();
      v.socket.send({ type: 'send', clientId: id, text: `m${i}` });
      results.push(await v.socket.wait((f) => (f.type === 'ack' || f.type === 'error') && f.clientId === id));
    }
    assert.deepEqual(results.map((r) => r.type), ['ack', 'error', 'error']);
    assert.equal(results[1].code, 'rate_limited');
    assert.ok(results[1].retryAfter >= 1);
    const http = await json(`${gw.publicUrl}/v1/visitor/messages`, { method: 'POST', headers: { Authorization: `Bearer ${v.token}` }, json: { clientId: cid(), text: 'x' } });
    assert.equal(http.status, 429);
    assert.equal(http.body.error.code, 'rate_limited');
    assert.ok(Number(http.headers.get('retry-after')) >= 1);
    // Another customer is not affected.
    const w = await connectVisitor(gw.publicUrl);
    const wid = cid();
    w.socket.send({ type: 'send', clientId: wid, text: 'hello' });
    assert.equal((await w.socket.wait((f) => f.clientId === wid)).type, 'ack');
    const conv = await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId });
    assert.deepEqual((await gw.store.listMessages(conv!.id, {})).filter((m) => m.direction === 'inbound').map((m) => (m.content as any).text), ['m0']);
    await v.socket.close();
    await w.socket.close();
  });

  it('bad input gets a clear error and the conversation stays intact', async () => {
    const v = await connectVisitor(gw.publicUrl);
    const ok1 = cid();
    v.socket.send({ type: 'send', clientId: ok1, text: 'before' });
    await v.socket.wait((f) => f.type === 'ack' && f.clientId === ok1);

    v.socket.send('{not json');
    assert.equal((await v.socket.wait((f) => f.type === 'error' && f.code === 'invalid_json')).code, 'invalid_json');
    const big = cid();
    v.socket.send({ type: 'send', clientId: big, text: 'x'.repeat(5000) });
    assert.equal((await v.socket.wait((f) => f.type === 'error' && f.clientId === big)).code, 'payload_too_large');
    const empty = cid();
    v.socket.send({ type: 'send', clientId: empty, text: '   ' });
    assert.equal((await v.socket.wait((f) => f.type === 'error' && f.clientId === empty)).code, 'validation_failed');
    v.socket.send({ type: 'send', clientId: cid(), attachments: [{ mediaId: 'doesnotexist' }] });
    await v.socket.wait((f) => f.type === 'error' && f.message.includes('mediaId'));

    // HTTP: oversized body, malformed JSON, wrong token, non-image upload.
    const auth = { Authorization: `Bearer ${v.token}` };
    const huge = await json(`${gw.publicUrl}/v1/visitor/messages`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ clientId: cid(), text: 'y'.repeat(70_000) }) });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'payload_too_large');
    const malformed = await json(`${gw.publicUrl}/v1/visitor/messages`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: '{"text": ' });
    assert.equal(malformed.status, 400);
    assert.equal(malformed.body.error.code, 'invalid_json');
    const wrong = await json(`${gw.publicUrl}/v1/visitor/messages`, { method: 'POST', headers: { Authorization: 'Bearer nope' }, json: { clientId: cid(), text: 'z' } });
    assert.equal(wrong.body.error.code, 'invalid_token');
    // The send path is served ahead of Koa: the same rules, errors and headers as every route.
    assert.equal(wrong.status, 401);
    assert.equal(wrong.headers.get('access-control-allow-origin'), '*');
    assert.equal(wrong.headers.get('x-content-type-options'), 'nosniff');
    const textPlain = await json(`${gw.publicUrl}/v1/visitor/messages`, { method: 'POST', headers: { ...auth, 'content-type': 'text/plain' }, body: '{}' });
    assert.deepEqual([textPlain.status, textPlain.body.error.code], [415, 'unsupported_media_type']);
    const array = await json(`${gw.publicUrl}/v1/visitor/messages`, { method: 'POST', headers: auth, json: [1, 2] });
    assert.deepEqual([array.status, array.body.error.code], [422, 'validation_failed']);
    const noAuth = await json(`${gw.publicUrl}/v1/visitor/messages`, { method: 'POST', json: { clientId: cid(), text: 'z' } });
    assert.deepEqual([noAuth.status, noAuth.body.error.code], [401, 'unauthorized']);
    // Over the limit without a Content-Length (streamed): refused while reading, the rest drained.
    const streamed = await json(`${gw.publicUrl}/v1/visitor/messages`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, duplex: 'half',
      body: new ReadableStream({ start(c) { for (let i = 0; i < 8; i++) c.enqueue(new TextEncoder().encode('x'.repeat(16_384))); c.close(); } }) } as RequestInit);
    assert.deepEqual([streamed.status, streamed.body.error.code], [413, 'payload_too_large']);
    const preflight = await fetch(`${gw.publicUrl}/v1/visitor/messages`, { method: 'OPTIONS' });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /Authorization/);
    const other = await visitorSession(gw.publicUrl);
    const ok = await json(`${gw.publicUrl}/v1/visitor/messages?x=1`, { method: 'POST', headers: { Authorization: `Bearer ${other.token}` }, json: { clientId: cid(), text: 'still fine' } });
    assert.equal(ok.status, 201, 'a query string does not change the route');
    const form = new FormData();
    form.append('file', new Blob([Buffer.from('<?php echo 1; ?>')], { type: 'image/png' }), 'evil.png');
    const notImage = await json(`${gw.publicUrl}/v1/visitor/uploads`, { method: 'POST', headers: auth, body: form });
    assert.equal(notImage.status, 415);
    assert.equal(notImage.body.error.code, 'invalid_image');
    const huge2 = new FormData();
    huge2.append('file', new Blob([Buffer.concat([PNG_1X1, Buffer.alloc(6 * 1024 * 1024)])], { type: 'image/png' }), 'big.png');
    const tooBig = await json(`${gw.publicUrl}/v1/visitor/uploads`, { method: 'POST', headers: auth, body: huge2 });
    assert.equal(tooBig.status, 413);

    await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'notice');
    const ok2 = cid();
    v.socket.send({ type: 'send', clientId: ok2, text: 'after' });
    const ack2 = await v.socket.wait((f) => f.type === 'ack' && f.clientId === ok2);
    assert.equal(ack2.seq, 2 + 1, 'seq continues: before(1), offline notice(2), after(3)');
    const conv = await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId });
    const texts = (await gw.store.listMessages(conv!.id, {})).filter((m) => m.direction === 'inbound').map((m) => (m.content as any).text);
    assert.deepEqual(texts, ['before', 'after']);
    await v.socket.close();
  });

  it('images both ways: upload, send as image message, fetch the media', async () => {
    const agent = await connectAgent(gw.workspaceUrl, adminToken);
    const v = await connectVisitor(gw.publicUrl);
    const form = new FormData();
    form.append('file', new Blob([PNG_1X1], { type: 'image/png' }), 'dot.png');
    const up = await json(`${gw.publicUrl}/v1/visitor/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${v.token}` }, body: form });
    assert.equal(up.status, 201);
    assert.equal(up.body.attachment.mime, 'image/png');
    assert.equal(up.body.attachment.width, 1);
    const id = cid();
    v.socket.send({ type: 'send', clientId: id, attachments: [{ mediaId: up.body.attachment.mediaId }] });
    await v.socket.wait((f) => f.type === 'ack' && f.clientId === id);
    const got = await agent.wait((f) => f.type === 'message' && f.message.content.kind === 'media');
    const media = await fetch(`${gw.workspaceUrl}/media/${got.message.content.attachments[0].mediaId}`, { headers: { Authorization: `Bearer ${adminToken}` } });
    assert.equal(media.status, 200);
    assert.equal(media.headers.get('content-type'), 'image/png');
    assert.deepEqual(Buffer.from(await media.arrayBuffer()), PNG_1X1);

    // Agent → visitor image.
    const form2 = new FormData();
    form2.append('file', new Blob([PNG_1X1], { type: 'image/png' }), 'reply.png');
    const up2 = await json(`${gw.workspaceUrl}/api/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${adminToken}` }, body: form2 });
    const rid = cid();
    agent.send({ type: 'send', conversationId: got.message.conversationId, clientId: rid, attachments: [{ mediaId: up2.body.attachment.mediaId }] });
    const img = await v.socket.wait((f) => f.type === 'message' && f.message.direction === 'outbound' && f.message.content.kind === 'media');
    const pub = await fetch(`${gw.publicUrl}/media/${img.message.content.attachments[0].mediaId}`);
    assert.equal(pub.status, 200);

    // Upload and send in one request: a clientId field makes the upload an image message at once.
    const once = cid();
    const one = async () => {
      const form3 = new FormData();
      form3.append('clientId', once);
      form3.append('caption', 'the box was open');
      form3.append('file', new Blob([PNG_1X1], { type: 'image/png' }), 'box.png');
      return json(`${gw.publicUrl}/v1/visitor/uploads`, { method: 'POST', headers: { Authorization: `Bearer ${v.token}` }, body: form3 });
    };
    const sent = await one();
    assert.equal(sent.status, 201);
    assert.equal(sent.body.message.content.caption, 'the box was open');
    await agent.wait((f) => f.type === 'message' && f.message.content.caption === 'the box was open');
    const again = await one();
    assert.equal(again.body.message.id, sent.body.message.id, 'the same clientId is the same message');
    await v.socket.close();
    await agent.close();
  });

  it('no agent online: the visitor is told, the message is kept and is assigned when an agent comes', async () => {
    const v = await connectVisitor(gw.publicUrl);
    const id = cid();
    v.socket.send({ type: 'send', clientId: id, text: 'anyone there?' });
    await v.socket.wait((f) => f.type === 'ack');
    const notice = await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'notice');
    assert.match(notice.message.content.text, /No agent is online/);
    const waiting = await json(`${gw.workspaceUrl}/api/conversations?status=queued`, { headers: { Authorization: `Bearer ${adminToken}` } });
    assert.equal(waiting.body.conversations.length, 1);

    const agent = await connectAgent(gw.workspaceUrl, adminToken);
    const assigned = await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned');
    agent.send({ type: 'open', conversationId: assigned.conversation.id, after: 0 });
    const hist = await agent.wait((f) => f.type === 'history');
    assert.ok(hist.messages.some((m: any) => m.content.text === 'anyone there?'));
    await v.socket.wait((f) => f.type === 'message' && f.message.content.event === 'assigned');
    await v.socket.close();
    await agent.close();
  });

  it('transfer to another agent, typing relay, close; capacity is never exceeded', async () => {
    const add = await json(`${gw.workspaceUrl}/api/agents`, { method: 'POST', headers: { Authorization: `Bearer ${adminToken}` },
      json: { login: 'bob', name: 'Bob', password: 'bob-password', capacity: 1 } });
    assert.equal(add.status, 201);
    const bobToken = await loginAgent(gw.workspaceUrl, 'bob', 'bob-password');
    const admin = await connectAgent(gw.workspaceUrl, adminToken);
    admin.send({ type: 'status', status: 'away' }); // so the first conversation goes to Bob
    await eventually(async () => (await json(`${gw.workspaceUrl}/api/agents`, { headers: { Authorization: `Bearer ${adminToken}` } })).body.agents.some((a: any) => a.status === 'away'));
    const bob = await connectAgent(gw.workspaceUrl, bobToken);
    const v1 = await connectVisitor(gw.publicUrl);
    v1.socket.send({ type: 'send', clientId: cid(), text: 'one' });
    const c1 = (await bob.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
    const v2 = await connectVisitor(gw.publicUrl);
    v2.socket.send({ type: 'send', clientId: cid(), text: 'two' });
    await v2.socket.wait((f) => f.type === 'ack');
    await eventually(async () => (await json(`${gw.workspaceUrl}/api/conversations?status=queued`, { headers: { Authorization: `Bearer ${adminToken}` } })).body.conversations.length === 1, 'second conversation waits: Bob is full');

    bob.send({ type: 'typing', conversationId: c1.id });
    await v1.socket.wait((f) => f.type === 'typing' && f.from.name === 'Bob');
    v1.socket.send({ type: 'typing' });
    await bob.wait((f) => f.type === 'typing' && f.conversationId === c1.id);

    admin.send({ type: 'status', status: 'online' });
    const adminId = (await admin.wait((f) => f.type === 'welcome')).agent.id;
    await admin.wait((f) => f.type === 'conversation' && f.change === 'assigned' && f.conversation.assigneeId === adminId);
    // Admin is now at 1 load; transfer Bob's conversation to admin.
    const t = await json(`${gw.workspaceUrl}/api/conversations/${c1.id}/transfer`, { method: 'POST', headers: { Authorization: `Bearer ${bobToken}` }, json: { agentId: adminId } });
    assert.equal(t.status, 200, JSON.stringify(t.body));
    assert.equal(t.body.conversation.assigneeId, adminId);
    await v1.socket.wait((f) => f.type === 'message' && f.message.content.event === 'assigned' && /Admin/.test(f.message.content.text));

    const closed = await json(`${gw.workspaceUrl}/api/conversations/${c1.id}/close`, { method: 'POST', headers: { Authorization: `Bearer ${adminToken}` }, json: {} });
    assert.equal(closed.body.conversation.status, 'resolved');
    await v1.socket.wait((f) => f.type === 'message' && f.message.content.event === 'resolved');
    const agents = (await json(`${gw.workspaceUrl}/api/agents`, { headers: { Authorization: `Bearer ${adminToken}` } })).body.agents;
    for (const a of agents) assert.ok(a.load <= a.capacity, `${a.name} within capacity`);
    for (const s of [admin, bob, v1.socket, v2.socket]) await s.close();
  });

  it('agent disconnect: after the grace period their conversations go back to the queue', async () => {
    const agent = await connectAgent(gw.workspaceUrl, adminToken);
    const v = await connectVisitor(gw.publicUrl);
    v.socket.send({ type: 'send', clientId: cid(), text: 'help' });
    const c = (await agent.wait((f) => f.type === 'conversation' && f.change === 'assigned')).conversation;
    agent.ws.terminate();
    await eventually(async () => (await gw.store.getConversation(c.id))?.status === 'queued', 're-queued');
    await v.socket.close();
  });

  it('workspace auth: wrong password, missing session, agents cannot create agents', async () => {
    const bad = await json(`${gw.workspaceUrl}/api/login`, { method: 'POST', json: { login: 'admin', password: 'wrong-password' } });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.error.code, 'unauthorized');
    const none = await json(`${gw.workspaceUrl}/api/conversations`);
    assert.equal(none.status, 401);
    await json(`${gw.workspaceUrl}/api/agents`, { method: 'POST', headers: { Authorization: `Bearer ${adminToken}` }, json: { login: 'carol', password: 'carol-password' } });
    const carol = await loginAgent(gw.workspaceUrl, 'carol', 'carol-password');
    const denied = await json(`${gw.workspaceUrl}/api/agents`, { method: 'POST', headers: { Authorization: `Bearer ${carol}` }, json: { login: 'dave', password: 'dave-password' } });
    assert.equal(denied.status, 403);
    const ws = await FrameSocket.open(gw.workspaceUrl.replace('http', 'ws') + '/ws/agent');
    await eventually(() => ws.closed, 'unauthenticated agent socket closed');
    assert.equal(ws.closed!.code, 4003);

    // Guessing is slowed down: after a burst of tries the login answers 429 with Retry-After.
    let limited: Awaited<ReturnType<typeof json>> | undefined;
    for (let i = 0; i < 15 && !limited; i++) {
      const r = await json(`${gw.workspaceUrl}/api/login`, { method: 'POST', json: { login: 'guess-me', password: `wrong-${i}` } });
      if (r.status === 429) limited = r;
    }
    assert.equal(limited?.body.error.code, 'rate_limited');
    assert.ok(Number(limited?.headers.get('retry-after')) >= 1);
  });
});
