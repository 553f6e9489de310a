import assert from 'node:assert/strict';
import webApi from '@slack/web-api';
import { startGateway, type TestGateway } from '../../helpers/gateway.js';
import { say, connectVisitor, json, loginAgent, PNG_1X1, type Visitor } from '../../helpers/clients.js';
import { ApiTokens, SCOPES } from '../../../channels/api/tokens.js';

const { WebClient, LogLevel, WebClientEvent } = webApi;

const slackError = (code: string) => (e: any) => { assert.equal(e.data?.error, code, JSON.stringify(e.data ?? e.message)); return true; };

describe("Slack-compatible Web API with Slack's official WebClient", () => {
  let gw: TestGateway;
  let client: InstanceType<typeof WebClient>;
  let token: string;
  let v: Visitor;
  let channel: string;
  const clientFor = (t?: string, opts: Record<string, unknown> = {}) =>
    new WebClient(t, { slackApiUrl: `${gw.publicUrl}/api/`, logLevel: LogLevel.ERROR, retryConfig: { retries: 2, factor: 1, minTimeout: 10, maxTimeout: 50 }, ...opts });

  before(async () => {
    gw = await startGateway('[ratelimit]\ncustomer_quota = 0');
    token = (await new ApiTokens(gw.store.tokens, () => []).create('orderbot', [...SCOPES])).token;
    client = clientFor(token);
    v = await connectVisitor(gw.publicUrl);
    await say(v, 'hello from the widget');
    channel = (await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: v.visitorId }))!.id;
  });
  after(async () => { await v?.socket.close(); await gw?.close(); });

  it('auth.test', async () => {
    const r = await client.auth.test();
    assert.equal(r.ok, true);
    assert.equal(r.user, 'orderbot');
    assert.match(String(r.user_id), /^B/);
  });

  it('chat.postMessage reaches the customer on their channel (web widget), with thread replies', async () => {
    const r = await client.chat.postMessage({ channel, text: '您的订单已发货 📦' });
    assert.equal(r.ok, true);
    assert.equal(r.channel, channel);
    assert.match(String(r.ts), /^\d+\.\d{6}$/);
    const got = await v.socket.wait((f) => f.type === 'message' && f.message.content.text === '您的订单已发货 📦');
    assert.equal(got.message.from.role, 'bot');
    const reply = await client.chat.postMessage({ channel, text: 'tracking: SF123', thread_ts: r.ts });
    const thread = await client.conversations.replies({ channel, ts: r.ts! });
    assert.deepEqual(thread.messages!.map((m) => m.text), ['您的订单已发货 📦', 'tracking: SF123']);
    assert.equal(thread.messages![1].thread_ts, r.ts);
    assert.equal(reply.message!.thread_ts, r.ts);
  });

  it('blocks are accepted and stored with a text fallback', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*Order 42* shipped' } }];
    const r = await client.chat.postMessage({ channel, blocks, text: '' });
    const stored = (await gw.store.findMessagesAt(channel, Math.floor(Number(r.ts) * 1000)))[0];
    assert.deepEqual(stored.content, { kind: 'text', text: '*Order 42* shipped', blocks });
    await assert.rejects(client.chat.postMessage({ channel, text: '' }), slackError('no_text'));
  });

  it('chat.update and chat.delete change what the customer sees; others cannot touch a bot\'s message', async () => {
    const r = await client.chat.postMessage({ channel, text: 'price: 99' });
    const first = await v.socket.wait((f) => f.type === 'message' && f.message.content.text === 'price: 99');
    await client.chat.update({ channel, ts: r.ts!, text: 'price: 89' });
    const edited = await v.socket.wait((f) => f.type === 'message' && f.message.id === first.message.id && f.message.content.text === 'price: 89');
    assert.equal(edited.message.seq, first.message.seq);
    const other = clientFor((await new ApiTokens(gw.store.tokens, () => []).create('otherbot', ['chat:write'])).token);
    await assert.rejects(other.chat.update({ channel, ts: r.ts!, text: 'hacked' }), slackError('cant_update_message'));
    await client.chat.delete({ channel, ts: r.ts! });
    await v.socket.wait((f) => f.type === 'message' && f.message.id === first.message.id && f.message.content.event === 'deleted');
    await assert.rejects(client.chat.update({ channel, ts: '1.000000', text: 'x' }), slackError('message_not_found'));
  });

  it('conversations.list paginates with cursors (the SDK\'s paginate works), conversations.info', async () => {
    for (let i = 0; i < 4; i++) { const w = await connectVisitor(gw.publicUrl); await say(w, `hi ${i}`); await w.socket.close(); }
    const ids: string[] = [];
    for await (const page of client.paginate('conversations.list', { limit: 2, types: 'im' })) {
      const p = page as any;
      assert.ok(p.channels.length <= 2);
      ids.push(...p.channels.map((c: any) => c.id));
    }
    assert.equal(ids.length, 5);
    assert.equal(new Set(ids).size, 5);
    const info = await client.conversations.info({ channel });
    assert.equal((info.channel as any).id, channel);
    assert.equal((info.channel as any).is_im, true);
    await assert.rejects(client.conversations.info({ channel: 'C_NOPE' }), slackError('channel_not_found'));
  });

  it('conversations.history: newest first, cursor pagination, oldest/latest', async () => {
    const w = await connectVisitor(gw.publicUrl);
    for (let i = 0; i < 5; i++) await say(w, `m${i}`);
    const ch = (await gw.store.findConversationByRef({ channel: 'web', account: 'default', thread: w.visitorId }))!.id;
    await gw.bus.idle();
    const texts: string[] = [];
    let cursor: string | undefined;
    do {
      const r = await client.conversations.history({ channel: ch, limit: 2, cursor });
      texts.push(...r.messages!.filter((m: any) => m.user?.startsWith('web:')).map((m) => m.text!));
      cursor = r.response_metadata?.next_cursor || undefined;
      if (cursor) assert.equal(r.has_more, true);
    } while (cursor);
    assert.deepEqual(texts, ['m4', 'm3', 'm2', 'm1', 'm0']);
    const all = (await client.conversations.history({ channel: ch })).messages!.filter((m: any) => m.user?.startsWith('web:'));
    const window = await client.conversations.history({ channel: ch, oldest: all[3].ts, latest: all[1].ts, inclusive: true });
    assert.deepEqual(window.messages!.filter((m: any) => m.user?.startsWith('web:')).map((m) => m.text), ['m3', 'm2', 'm1']);
    await w.socket.close();
  });

  it('users.info for a customer and an agent', async () => {
    const customer = (await gw.store.getConversation(channel))!.customer.id;
    const u = await client.users.info({ user: customer });
    assert.equal((u.user as any).kefu.role, 'customer');
    const admin = (await gw.store.listAgents())[0];
    assert.equal(((await client.users.info({ user: admin.id })).user as any).real_name, 'Admin');
    await assert.rejects(client.users.info({ user: 'U_NOBODY' }), slackError('user_not_found'));
  });

  it('files.uploadV2: the image reaches the customer as an image message', async () => {
    const r = await client.files.uploadV2({ channel_id: channel, file: PNG_1X1, filename: 'label.png', title: 'Shipping label', initial_comment: 'Your label' });
    assert.equal(r.ok, true);
    const img = await v.socket.wait((f) => f.type === 'message' && f.message.content.kind === 'media' && f.message.content.caption === 'Your label');
    assert.equal(img.message.content.attachments[0].kind, 'image');
    const media = await fetch(`${gw.publicUrl}/media/${img.message.content.attachments[0].mediaId}`);
    assert.deepEqual(Buffer.from(await media.arrayBuffer()), PNG_1X1);
  });

  it('/v1/messages and kefu.tag: push by an external reference such as an order number', async () => {
    await client.apiCall('kefu.tag', { channel, tags: 'order_12345' });
    const r = await json(`${gw.publicUrl}/v1/messages`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, json: { channel: 'order_12345', text: '您的订单已发货' } });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.equal(r.body.channel, channel);
    await v.socket.wait((f) => f.type === 'message' && f.message.content.text === '您的订单已发货');
    const unknown = await json(`${gw.publicUrl}/v1/messages`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, json: { channel: 'order_0', text: 'x' } });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'conversation_not_found');
    const noAuth = await json(`${gw.publicUrl}/v1/messages`, { method: 'POST', json: { channel, text: 'x' } });
    assert.equal(noAuth.status, 401);
  });

  it('tokens: missing, wrong, revoked; scopes limit what a token can do', async () => {
    await assert.rejects(clientFor(undefined).auth.test(), slackError('not_authed'));
    await assert.rejects(clientFor('xoxb-kefu-wrong').auth.test(), slackError('invalid_auth'));
    const tokens = new ApiTokens(gw.store.tokens, () => []);
    const reader = await tokens.create('reader', ['channels:read']);
    const rc = clientFor(reader.token);
    assert.equal((await rc.conversations.info({ channel })).ok, true);
    await assert.rejects(rc.chat.postMessage({ channel, text: 'no' }), (e: any) => e.data.error === 'missing_scope' && e.data.needed === 'chat:write');
    await tokens.revoke('reader');
    await assert.rejects(rc.conversations.info({ channel }), slackError('token_revoked'));
    const stored = await gw.store.tokens.byNameOrId('reader');
    assert.ok(stored && !JSON.stringify(stored).includes(reader.token), 'only the hash is stored');
  });

  it('oversized body, unknown method, token in the form body', async () => {
    const big = await fetch(`${gw.publicUrl}/api/chat.postMessage`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ channel, text: 'x'.repeat(100_000) }) });
    assert.deepEqual(await big.json(), { ok: false, error: 'request_too_large' });
    const unknown: any = await (await fetch(`${gw.publicUrl}/api/admin.teams.create`, { method: 'POST', headers: { Authorization: `Bearer ${token}` } })).json();
    assert.equal(unknown.error, 'unknown_method');
    const form: any = await (await fetch(`${gw.publicUrl}/api/auth.test`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${token}` })).json();
    assert.equal(form.ok, true);
  });

  it('rate limiting answers 429 with Retry-After, and the SDK retries by itself', async () => {
    const limited = await startGateway('[channels.api]\nrate_per_min = 60\nburst = 0');
    try {
      const t = (await new ApiTokens(limited.store.tokens, () => []).create('fast', ['chat:write'])).token;
      const c = new WebClient(t, { slackApiUrl: `${limited.publicUrl}/api/`, logLevel: LogLevel.ERROR });
      let rateLimited = 0;
      c.on(WebClientEvent.RATE_LIMITED, () => { rateLimited++; });
      const raw = await fetch(`${limited.publicUrl}/api/auth.test`, { method: 'POST', headers: { Authorization: `Bearer ${t}` } });
      assert.equal(raw.status, 200);
      const r = await c.auth.test(); // over the limit: 429, the SDK waits Retry-After and retries
      assert.equal(r.ok, true);
      assert.ok(rateLimited >= 1, 'the SDK saw a 429');
    } finally {
      await limited.close();
    }
  });

  it('kefu.handoff on a conversation already with humans changes nothing', async () => {
    const adminToken = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    const r: any = await client.apiCall('kefu.handoff', { channel });
    assert.equal(r.status, 'queued');
    const c = await json(`${gw.workspaceUrl}/api/conversations/${channel}`, { headers: { Authorization: `Bearer ${adminToken}` } });
    assert.equal(c.body.conversation.status, 'queued');
    await assert.rejects(client.apiCall('kefu.handoff', { channel: 'C_NOPE' }), slackError('channel_not_found'));
  });
});
