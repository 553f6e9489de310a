import assert from 'node:assert/strict';
import { startGateway, eventually, sleep, type TestGateway } from '../helpers/gateway.js';
import { cid, connectAgent, connectVisitor, FrameSocket, json, loginAgent, visitorSession } from '../helpers/clients.js';

const from = (address: string) => ({ 'x-forwarded-for': address });

describe('floods and slow clients are bounded (issue 12 §4–7)', () => {
  let gw: TestGateway;
  afterEach(async () => { await gw?.close(); });

  it('5,000 typing frames from one visitor reach the agent as a handful of typing events; the message after them arrives', async () => {
    gw = await startGateway('[ratelimit]\ncustomer_quota = 0');
    const agent = await connectAgent(gw.workspaceUrl, await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword));
    const v = await connectVisitor(gw.publicUrl);
    v.socket.send({ type: 'send', clientId: cid(), text: 'hi' });
    await agent.wait((f) => f.type === 'message' && f.message.content.text === 'hi');
    for (let i = 0; i < 5000; i++) v.socket.send({ type: 'typing' });
    v.socket.send({ type: 'send', clientId: cid(), text: 'done typing' });
    await agent.wait((f) => f.type === 'message' && f.message.content.text === 'done typing');
    await sleep(1200); // let a trailing coalesced signal, if any, arrive
    const typing = agent.frames.filter((f) => f.type === 'typing').length;
    assert.ok(typing >= 1 && typing <= 10, `the agent got ${typing} typing frames for 5,000 sent`);
    await v.socket.close();
    await agent.close();
  });

  it('a visitor socket that stops reading is closed with 4008 once its send buffer passes the cap, and resumes without loss', async function () {
    this.timeout(60_000);
    gw = await startGateway('[server]\nsocket_send_buffer_bytes = 65536\n[ratelimit]\ncustomer_quota = 0');
    const v = await connectVisitor(gw.publicUrl);
    const first = cid();
    v.socket.send({ type: 'send', clientId: first, text: 'hello' });
    await v.socket.wait((f) => f.type === 'ack' && f.clientId === first);
    const conv = (await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId }))!;
    const socket = (v.socket.ws as any)._socket;
    socket.pause(); // the client stops reading; the kernel buffers fill, then the gateway's
    const text = 'x'.repeat(3900);
    const serverSide = [...(gw.web as any).sockets.get(v.visitorId)][0];
    let sent = 0;
    while (serverSide.readyState === 1 && sent < 20_000) {
      await gw.bus.send({ conversationId: conv.id, from: { id: 'A1', role: 'agent', name: 'Ann' }, content: { kind: 'text', text: `${sent} ${text}` } });
      sent++;
      if (sent % 100 === 0) await sleep(5);
    }
    assert.notEqual(serverSide.readyState, 1, `still open after ${sent} messages of 4 kB`);
    await eventually(() => gw.web.connectionCount === 0, 'the gateway drops the socket');
    socket.resume();
    await eventually(() => v.socket.closed, 'the client sees the close');
    assert.ok([4008, 1006].includes(v.socket.closed!.code), `closed with ${v.socket.closed!.code}`);
    // A new socket resumes after the first message: everything since is there, once, in order.
    const last = (await gw.store.getConversation(conv.id))!.lastSeq;
    assert.ok(last >= sent + 1);
    const again = await connectVisitor(gw.publicUrl, v.token, 1);
    await again.socket.wait((f) => f.type === 'message' && f.message.seq === last, 30_000);
    const seqs = again.socket.frames.filter((f) => f.type === 'message').map((f) => f.message.seq);
    assert.deepEqual(seqs, Array.from({ length: last - 1 }, (_, i) => i + 2));
    await again.socket.close();
  });

  it('one address may hold only sockets_per_address widget sockets, said hello or not; a closed one frees its place', async () => {
    gw = await startGateway('[ratelimit]\nsockets_per_address = 3');
    const url = gw.publicUrl.replace('http', 'ws') + '/ws/visitor';
    const open = await Promise.all([1, 2, 3].map(() => FrameSocket.open(url)));
    const fourth = await FrameSocket.open(url);
    assert.equal((await fourth.wait((f) => f.type === 'error')).code, 'too_many_connections');
    await eventually(() => fourth.closed?.code === 4029, 'the 4th is closed with 4029');
    await open[0].close();
    const again = await FrameSocket.open(url);
    const s = await visitorSession(gw.publicUrl);
    again.send({ type: 'hello', token: s.token });
    await again.wait((f) => f.type === 'welcome');
    await Promise.all([...open.slice(1), again].map((o) => o.close()));
  });

  it('hello frames are limited per visitor, and one visitor may hold only sockets_per_visitor sockets', async () => {
    gw = await startGateway('[ratelimit]\nsockets_per_visitor = 3\nhellos_per_min = 6');
    const s = await visitorSession(gw.publicUrl);
    const url = gw.publicUrl.replace('http', 'ws') + '/ws/visitor';
    const open: FrameSocket[] = [];
    for (let i = 0; i < 3; i++) {
      const sock = await FrameSocket.open(url);
      sock.send({ type: 'hello', token: s.token });
      await sock.wait((f) => f.type === 'welcome');
      open.push(sock);
    }
    const fourth = await FrameSocket.open(url);
    fourth.send({ type: 'hello', token: s.token });
    assert.equal((await fourth.wait((f) => f.type === 'error')).code, 'too_many_connections');
    await eventually(() => fourth.closed, 'the 4th socket is closed');
    await Promise.all(open.map((o) => o.close()));
    // Reconnect storms: 10 at once, then hellos_per_min; the 4th socket's hello counted too.
    const codes: string[] = [];
    for (let i = 0; i < 10; i++) {
      const sock = await FrameSocket.open(url);
      sock.send({ type: 'hello', token: s.token });
      const f = await sock.wait((x) => x.type === 'welcome' || x.type === 'error');
      codes.push(f.type === 'welcome' ? 'welcome' : f.code);
      await sock.close();
    }
    assert.ok(codes.includes('rate_limited'), codes.join(','));
    const limited = codes.indexOf('rate_limited');
    assert.ok(limited >= 5 && codes.slice(0, limited).every((c) => c === 'welcome'), codes.join(','));
  });

  it('new visitor sessions and their messages are limited per client address (X-Forwarded-For only from a trusted proxy)', async () => {
    gw = await startGateway('[server]\ntrusted_proxies = ["127.0.0.1"]\n[ratelimit]\ncustomer_quota = 0\nsessions_per_min = 6\nsessions_burst = 4\naddress_quota = 6\naddress_burst = 4');
    const statuses: number[] = [];
    const tokens: string[] = [];
    for (let i = 0; i < 50; i++) {
      const r = await json(`${gw.publicUrl}/v1/visitor/session`, { method: 'POST', headers: from('203.0.113.7'), json: {} });
      statuses.push(r.status);
      if (r.status === 200) tokens.push(r.body.token);
      else { assert.equal(r.body.error.code, 'rate_limited'); assert.ok(Number(r.headers.get('retry-after')) >= 1); }
    }
    assert.equal(tokens.length, 5, `sessions granted: ${statuses.join(',')}`);
    // A known visitor refreshing its token is not a new session; another address has its own allowance.
    assert.equal((await json(`${gw.publicUrl}/v1/visitor/session`, { method: 'POST', headers: from('203.0.113.7'), json: { token: tokens[0] } })).status, 200);
    assert.equal((await json(`${gw.publicUrl}/v1/visitor/session`, { method: 'POST', headers: from('198.51.100.2'), json: {} })).status, 200);
    // Messages: all visitors of the address share one allowance, so minted visitors do not flood the queues.
    const sent = await Promise.all(tokens.map((t) => json(`${gw.publicUrl}/v1/visitor/messages`, { method: 'POST',
      headers: { ...from('203.0.113.7'), authorization: `Bearer ${t}` }, json: { clientId: cid(), text: 'flood' } })));
    assert.equal(sent.filter((r) => r.status === 201).length, 5);
    assert.equal(sent.filter((r) => r.status === 429).length, 0);
    const more = await json(`${gw.publicUrl}/v1/visitor/messages`, { method: 'POST', headers: { ...from('203.0.113.7'), authorization: `Bearer ${tokens[1]}` }, json: { clientId: cid(), text: 'more' } });
    assert.equal(more.status, 429);
    assert.equal(more.body.error.code, 'rate_limited');
    assert.equal((await gw.store.listConversations({ status: ['queued', 'assigned'], limit: 100 })).length, 5);
  });

  it('X-Forwarded-For from an untrusted peer is ignored: a made-up address per request is still one address', async () => {
    gw = await startGateway('[ratelimit]\nsessions_per_min = 6\nsessions_burst = 4');
    let granted = 0;
    for (let i = 0; i < 20; i++) {
      const r = await json(`${gw.publicUrl}/v1/visitor/session`, { method: 'POST', headers: from(`10.0.0.${i}`), json: {} });
      if (r.status === 200) granted++;
    }
    assert.equal(granted, 5);
  });

  it('concurrent wrong passwords are counted before scrypt runs: 200 at once, at most 11 evaluated', async () => {
    gw = await startGateway('[server]\ntrusted_proxies = ["127.0.0.1"]');
    const all = await Promise.all(Array.from({ length: 200 }, () => json(`${gw.workspaceUrl}/api/login`, { method: 'POST', headers: from('203.0.113.50'), json: { login: 'admin', password: 'wrong' } })));
    assert.equal(all.filter((r) => r.status === 401).length, 11);
    assert.equal(all.filter((r) => r.status === 429).length, 189);
    assert.equal((await json(`${gw.workspaceUrl}/api/login`, { method: 'POST', headers: from('198.51.100.50'), json: { login: 'admin', password: gw.adminPassword } })).status, 200);
  });

  it('uploads are limited per visitor and per address before the body is read: a refused one stores nothing', async () => {
    gw = await startGateway('[server]\ntrusted_proxies = ["127.0.0.1"]\n[ratelimit]\nuploads_per_min = 6');
    const { token } = await visitorSession(gw.publicUrl);
    const { PNG_1X1 } = await import('../helpers/clients.js');
    const { readdirSync } = await import('node:fs');
    const { join } = await import('node:path');
    const codes: number[] = [];
    for (let i = 0; i < 20; i++) {
      const form = new FormData();
      form.append('file', new Blob([PNG_1X1], { type: 'image/png' }), 'p.png');
      codes.push((await json(`${gw.publicUrl}/v1/visitor/uploads`, { method: 'POST', headers: { ...from('203.0.113.60'), authorization: `Bearer ${token}` }, body: form })).status);
    }
    assert.equal(codes.filter((c) => c === 201).length, 11, codes.join(','));
    assert.equal(codes.filter((c) => c === 429).length, 9);
    assert.equal(readdirSync(join(gw.dir, 'media')).length, 11, 'only accepted uploads are on disk');
  });

  it('failed logins slow down per (login, address) and per address; the right password from elsewhere still works', async () => {
    gw = await startGateway('[server]\ntrusted_proxies = ["127.0.0.1"]');
    const attempt = (address: string, login: string, password: string) => json(`${gw.workspaceUrl}/api/login`, { method: 'POST', headers: from(address), json: { login, password } });
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) codes.push((await attempt('203.0.113.9', 'admin', 'wrong')).status);
    assert.deepEqual(codes.slice(0, 11), Array(11).fill(401));
    assert.equal(codes[11], 429, 'the guesser is slowed down');
    assert.equal((await attempt('203.0.113.9', 'admin', gw.adminPassword)).status, 429, 'even with the right password, from the guessing address');
    assert.equal((await attempt('198.51.100.4', 'admin', gw.adminPassword)).status, 200, 'the admin is not locked out from elsewhere');
    // Guessing many logins from one address: slowed per address.
    const spread: number[] = [];
    for (let i = 0; i < 40; i++) spread.push((await attempt('192.0.2.1', `user${i}`, 'wrong')).status);
    assert.ok(spread.includes(429), 'many logins from one address are slowed too');
    assert.equal((await attempt('192.0.2.2', 'admin', gw.adminPassword)).status, 200);
  });
});
