import assert from 'node:assert/strict';
import { startGateway, eventually, type TestGateway } from '../../helpers/gateway.js';
import { FrameSocket, json, PNG_1X1, visitorSession } from '../../helpers/clients.js';
import { FakeWechat, MP3, wechatMpConfig } from './fake-wechat.js';

/** What the gateway answers devices and attackers: clear errors, nothing stored, nothing crashes. */
describe('wechat_mp: session and upload endpoints', () => {
  let fake: FakeWechat;
  let gw: TestGateway;

  beforeEach(async () => {
    fake = await new FakeWechat().listen();
    gw = await startGateway(wechatMpConfig(fake, `max_voice_bytes = 4096\nasr = { provider = "http", url = "${fake.url}/asr" }\n`));
  });
  afterEach(async () => { await gw.close(); await fake.close(); });

  const session = (body: unknown) => json(`${gw.publicUrl}/channels/wechat-mp/session`, { method: 'POST', json: body });
  const upload = (kind: string, token: string | undefined, file: Buffer, fields: Record<string, string>) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(fields)) form.append(k, v);
    form.append('file', new Blob([file]), 'f');
    return json(`${gw.publicUrl}/channels/wechat-mp/uploads/${kind}`, { method: 'POST', body: form, headers: token ? { authorization: `Bearer ${token}` } : {} });
  };
  const messages = async () => {
    const convs = (await gw.store.listConversations({ limit: 10 })).filter((c) => c.ref.channel === 'wechat_mp');
    return convs.length ? gw.store.listMessages(convs[0].id, {}) : [];
  };

  it('a session: a good code gives a token and no identity; bad, used or missing codes are refused clearly', async () => {
    const code = fake.code('o_lee_openid_1', 'u_lee');
    const ok = await session({ code });
    assert.equal(ok.status, 200);
    assert.match(ok.body.token, /^v1\./);
    assert.deepEqual(Object.keys(ok.body).sort(), ['agentsOnline', 'lastSeq', 'name', 'ok', 'token', 'visitorId']);
    assert.ok(!JSON.stringify(ok.body).includes('o_lee'));
    assert.equal((await session({ code })).body.error.code, 'invalid_login_code', 'a code works once');
    assert.equal((await session({ code: 'never-issued-code' })).status, 401);
    assert.equal((await session({})).status, 422);
    assert.equal((await json(`${gw.publicUrl}/channels/wechat-mp/session`, { method: 'POST', body: 'code=x', headers: { 'content-type': 'text/plain' } })).status, 415);
    assert.equal((await session({ code: fake.code('o_lee_openid_1') })).body.visitorId, ok.body.visitorId, 'the same user, the same visitor');
  });

  it('WeChat down or busy, or the AppSecret wrong: 502/429 with health an admin sees', async () => {
    fake.fail = 'down';
    const down = await session({ code: fake.code('o_x_openid_1') });
    assert.equal(down.status, 502);
    assert.equal(down.body.error.code, 'vendor_unavailable');
    assert.equal(gw.channels.health().wechat_mp.state, 'degraded');
    fake.fail = 45011;
    const busy = await session({ code: fake.code('o_x_openid_1') });
    assert.equal(busy.status, 429);
    assert.equal(busy.headers.get('retry-after'), '60');
    fake.fail = 40125;
    assert.equal((await session({ code: fake.code('o_x_openid_1') })).status, 502);
    assert.equal(gw.channels.health().wechat_mp.state, 'auth_failed');
    fake.fail = undefined;
    assert.equal((await session({ code: fake.code('o_x_openid_1') })).status, 200);
    assert.equal(gw.channels.health().wechat_mp.state, 'connected');
  });

  it('uploads: token required (a web widget token is not one), audio checked by its bytes, size and length bounded, retries stored once', async () => {
    const { token } = (await session({ code: fake.code('o_mo_openid_1') })).body;
    const web = await visitorSession(gw.publicUrl);
    assert.equal((await upload('voice', undefined, MP3, { clientId: 'clientvoice01' })).status, 401);
    assert.equal((await upload('voice', web.token, MP3, { clientId: 'clientvoice01' })).body.error.code, 'invalid_token');
    const notAudio = await upload('voice', token, PNG_1X1, { clientId: 'clientvoice01' });
    assert.equal(notAudio.status, 415);
    assert.equal(notAudio.body.error.code, 'invalid_audio');
    assert.equal((await upload('voice', token, Buffer.concat([MP3, Buffer.alloc(8192)]), { clientId: 'clientvoice01' })).status, 413);
    assert.equal((await upload('voice', token, MP3, { clientId: 'clientvoice01', duration: '600000' })).status, 422);
    assert.equal((await upload('image', token, MP3, { clientId: 'clientvoice01' })).body.error.code, 'invalid_image');
    assert.equal((await upload('video', token, MP3, { clientId: 'clientvoice01' })).status, 404);
    assert.deepEqual(await messages(), [], 'nothing stored by refused uploads');

    const first = await upload('voice', token, MP3, { clientId: 'clientvoice01', duration: '2000' });
    assert.equal(first.status, 201);
    assert.equal(first.body.message.content.caption, fake.transcript);
    const again = await upload('voice', token, MP3, { clientId: 'clientvoice01', duration: '2000' });
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    assert.equal(again.body.message.id, first.body.message.id);
    assert.equal((await messages()).filter((m) => m.direction === 'inbound').length, 1);
    assert.equal(fake.asrCalls.length, 1, 'a retried upload is not transcribed again');
  });

  it('the socket: only this channel\'s tokens; junk frames get errors and the socket stays usable', async () => {
    const web = await visitorSession(gw.publicUrl);
    const s1 = await FrameSocket.open(`${gw.publicUrl.replace('http', 'ws')}/ws/wechat-mp`);
    s1.send({ type: 'hello', token: web.token });
    await s1.wait((f) => f.type === 'error' && f.code === 'invalid_token');
    await eventually(() => s1.closed, 'closed');
    const { token } = (await session({ code: fake.code('o_ned_openid_1') })).body;
    const s2 = await FrameSocket.open(`${gw.publicUrl.replace('http', 'ws')}/ws/wechat-mp`);
    s2.send('{not json');
    s2.send({ type: 'hello', token, after: 0 });
    await s2.wait((f) => f.type === 'welcome');
    s2.send({ type: 'send', clientId: 'clientsock01', text: '在吗' });
    await s2.wait((f) => f.type === 'ack' && f.clientId === 'clientsock01');
    assert.ok(s2.frames.some((f) => f.type === 'error' && f.code === 'invalid_json'));
    assert.equal((await messages())[0].content.kind, 'text');
    await s2.close();
  });
});
