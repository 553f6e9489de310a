import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { startGateway, eventually, type TestGateway } from '../helpers/gateway.js';
import { cid, connectAgent, json, loginAgent, visitorSession } from '../helpers/clients.js';
import { rawRequest } from '../helpers/raw-http.js';

/** Opens a workspace socket with these headers; resolves with 'open' or the HTTP status it was refused with. */
function upgrade(url: string, headers: Record<string, string>): Promise<'open' | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.once('open', () => { ws.close(); resolve('open'); });
    ws.once('unexpected-response', (_req, res) => { resolve(res.statusCode ?? 0); res.resume(); });
    ws.once('error', () => {});
  });
}

describe('the workspace port accepts state changes and sockets only from its own origin (issue 12 §2, 12, 13)', () => {
  let gw: TestGateway;
  let token: string;
  let own: string;
  beforeEach(async () => {
    gw = await startGateway('[server]\nworkspace_origins = ["https://Helpdesk.example.com/"]');
    token = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    own = gw.workspaceUrl;
  });
  afterEach(async () => { await gw.close(); });

  const cookie = () => ({ cookie: `kefu_session=${token}` });
  const newAgent = (origin: string | undefined, extra: Record<string, string> = {}) => json(`${gw.workspaceUrl}/api/agents`, {
    method: 'POST', headers: { ...cookie(), ...(origin ? { origin } : {}), ...extra }, json: { login: `a${cid().slice(-8).toLowerCase()}`, password: 'long-enough-password' },
  });

  it('a same-site page on another port (or the shop\'s subdomain) cannot create an admin with the session cookie', async () => {
    for (const origin of [gw.publicUrl, 'http://127.0.0.1:1', 'https://shop.example.com', 'null']) {
      const r = await newAgent(origin);
      assert.equal(r.status, 403, origin);
      assert.equal(r.body.error.code, 'forbidden_origin');
    }
    const viaFetchMetadata = await newAgent(undefined, { 'sec-fetch-site': 'same-site' });
    assert.equal(viaFetchMetadata.status, 403);
    assert.equal((await newAgent(own)).status, 201, 'the workspace itself');
    assert.equal((await newAgent('https://helpdesk.example.com')).status, 201, 'a configured origin');
    assert.equal((await newAgent(undefined)).status, 201, 'a non-browser client (no Origin, no Sec-Fetch-Site)');
    assert.ok((await gw.store.listAgents()).every((a) => a.login === 'admin' || a.login.startsWith('a')));
  });

  it('logging in, replying and closing are state changes too', async () => {
    const login = await json(`${gw.workspaceUrl}/api/login`, { method: 'POST', headers: { origin: 'http://evil.test' }, json: { login: 'admin', password: gw.adminPassword } });
    assert.equal(login.status, 403);
    const close = await json(`${gw.workspaceUrl}/api/conversations/C1/close`, { method: 'POST', headers: { ...cookie(), origin: gw.publicUrl } });
    assert.equal(close.status, 403);
    const logout = await json(`${gw.workspaceUrl}/api/logout`, { method: 'POST', headers: { ...cookie(), origin: gw.publicUrl } });
    assert.equal(logout.status, 403);
    assert.equal((await json(`${gw.workspaceUrl}/api/me`, { headers: cookie() })).status, 200, 'the session survived');
  });

  it('JSON endpoints require Content-Type: application/json (no type, text/plain and forms get 415)', async () => {
    // rawRequest: fetch would add text/plain to a string body by itself.
    for (const type of [undefined, 'text/plain', 'application/x-www-form-urlencoded', 'application/jsonx']) {
      const r = await rawRequest(`${gw.workspaceUrl}/api/agents`, { headers: { ...cookie(), ...(type ? { 'content-type': type } : {}) },
        body: JSON.stringify({ login: 'csrf', password: 'long-enough-password' }) });
      assert.equal(r.status, 415, String(type));
      assert.equal(r.body.error.code, 'unsupported_media_type');
    }
    for (const path of ['/v1/visitor/session', '/v1/visitor/messages']) {
      const visitor = await rawRequest(`${gw.publicUrl}${path}`, { body: '{}' });
      assert.equal(visitor.status, 415, `the public JSON endpoints too: ${path}`);
    }
    assert.equal((await gw.store.listAgents()).some((a) => a.login === 'csrf'), false);
  });

  it('the agent WebSocket refuses foreign origins before any handler sees them', async () => {
    const url = gw.workspaceUrl.replace('http', 'ws') + '/ws/agent';
    assert.equal(await upgrade(url, { ...cookie(), origin: gw.publicUrl }), 403);
    assert.equal(await upgrade(url, { ...cookie(), origin: 'https://shop.example.com' }), 403);
    assert.equal(await upgrade(url, { ...cookie(), origin: own }), 'open');
    assert.equal(await upgrade(url, { ...cookie(), origin: 'https://helpdesk.example.com' }), 'open');
    assert.equal(await upgrade(url, cookie()), 'open', 'no Origin: not a browser page');
  });

  it('the visitor session answer carries [channels.web] title, welcome and color for the widget (only those configured)', async () => {
    assert.deepEqual((await json(`${gw.publicUrl}/v1/visitor/session`, { method: 'POST', json: {} })).body.widget, {}, 'unset: the widget keeps its own, localized');
    await gw.close();
    gw = await startGateway('[channels.web]\ntitle = "Lotus Tea House"\nwelcome = "欢迎光临"\ncolor = "#4f7a3a"');
    const r = await json(`${gw.publicUrl}/v1/visitor/session`, { method: 'POST', json: {} });
    assert.deepEqual(r.body.widget, { title: 'Lotus Tea House', welcome: '欢迎光临', color: '#4f7a3a' });
  });

  it('an agent who works over HTTP only can claim and reply; the team panel\'s load follows assignments', async () => {
    const created = await json(`${gw.workspaceUrl}/api/agents`, { method: 'POST', headers: { ...cookie() }, json: { login: 'httponly', password: 'long-enough-password' } });
    assert.equal(created.status, 201);
    const admin = await connectAgent(gw.workspaceUrl, token);
    await admin.wait((f) => f.type === 'agents');
    admin.send({ type: 'status', status: 'away' }); // nobody takes the conversation automatically
    await admin.wait((f) => f.type === 'agents' && f.agents.some((a: any) => a.status === 'away'));
    const v = await visitorSession(gw.publicUrl);
    const sent = await json(`${gw.publicUrl}/v1/visitor/messages`, { method: 'POST', headers: { authorization: `Bearer ${v.token}` }, json: { clientId: cid(), text: 'anyone?' } });
    const conv = sent.body.message && (await json(`${gw.publicUrl}/v1/visitor/session`, { method: 'POST', json: { token: v.token } })).body.conversationId;
    const agentToken = await loginAgent(gw.workspaceUrl, 'httponly', 'long-enough-password');
    const auth = { authorization: `Bearer ${agentToken}` };
    const claim = await json(`${gw.workspaceUrl}/api/conversations/${conv}/claim`, { method: 'POST', headers: auth });
    assert.equal(claim.status, 200, JSON.stringify(claim.body));
    const reply = await json(`${gw.workspaceUrl}/api/conversations/${conv}/messages`, { method: 'POST', headers: auth, json: { text: 'here' } });
    assert.equal(reply.status, 201, JSON.stringify(reply.body));
    const me = created.body.agent.id;
    await eventually(() => admin.frames.some((f) => f.type === 'agents' && f.agents.some((a: any) => a.id === me && a.load === 1)), 'team load 1');
    await json(`${gw.workspaceUrl}/api/conversations/${conv}/close`, { method: 'POST', headers: auth });
    await eventually(() => admin.frames.filter((f) => f.type === 'agents').at(-1)?.agents.find((a: any) => a.id === me)?.load === 0, 'team load back to 0');
    await admin.close();
  });
});
