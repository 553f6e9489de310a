import assert from 'node:assert/strict';
import { startGateway, type TestGateway } from '../helpers/gateway.js';
import { cid, json, loginAgent, PNG_1X1, visitorSession } from '../helpers/clients.js';
import { rawRequest, type RawReply } from '../helpers/raw-http.js';

/** Deterministic PRNG (mulberry32): the fuzzed set is the same on every run. */
function prng(seed: number) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRUNCATED = '--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n\r\n\x89PNG';
const multipart = (parts: string) => ({ type: 'multipart/form-data; boundary=b', body: parts });

/** Truncated, garbled and lying bodies of every content type the gateway reads. */
function hostileBodies(): { name: string; type?: string; body: Buffer; cutAfter?: number; length?: number }[] {
  const rnd = prng(1212);
  const whole = `--b\r\nContent-Disposition: form-data; name="clientId"\r\n\r\nclient0000001\r\n--b\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\nContent-Type: image/png\r\n\r\n${PNG_1X1.toString('latin1')}\r\n--b--\r\n`;
  const out: { name: string; type?: string; body: Buffer; cutAfter?: number; length?: number }[] = [
    { name: 'the probe\'s truncated multipart', ...multipart(TRUNCATED), body: Buffer.from(TRUNCATED, 'latin1') },
    { name: 'multipart without boundary', type: 'multipart/form-data', body: Buffer.from(whole, 'latin1') },
    { name: 'multipart, empty boundary', type: 'multipart/form-data; boundary=', body: Buffer.from(whole, 'latin1') },
    { name: 'multipart, part header never ends', ...multipart(''), body: Buffer.from(`--b\r\nContent-Disposition: form-data; name="file"; filename="${'x'.repeat(100_000)}`, 'latin1') },
    { name: 'multipart, garbage part header', ...multipart(''), body: Buffer.from('--b\r\n\x00\x01\x02: \xff\r\n\r\nzz\r\n--b--\r\n', 'latin1') },
    { name: 'multipart, only the closing boundary', ...multipart(''), body: Buffer.from('--b--\r\n', 'latin1') },
    { name: 'multipart, two files', ...multipart(''), body: Buffer.from(whole.replace('--b--', `--b\r\nContent-Disposition: form-data; name="f2"; filename="b.png"\r\n\r\n${PNG_1X1.toString('latin1')}\r\n--b--`), 'latin1') },
    { name: 'JSON, truncated', type: 'application/json', body: Buffer.from('{"clientId": "abc12345", "text": "hel') },
    { name: 'JSON, nested 100k deep', type: 'application/json', body: Buffer.from('['.repeat(100_000)) },
    { name: 'JSON, invalid UTF-8 and NUL', type: 'application/json', body: Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x00, 0x22, 0x3a, 0x31, 0x7d]) },
    { name: 'JSON, a number, not an object', type: 'application/json', body: Buffer.from('1e999999') },
    { name: 'urlencoded, broken escapes', type: 'application/x-www-form-urlencoded', body: Buffer.from('token=%zz&text=%E0%A4%A&blocks=%5B%5B') },
    { name: 'no content type', body: Buffer.from('{"login":"admin","password":"x"}') },
    { name: 'text/plain JSON', type: 'text/plain', body: Buffer.from('{}') },
    { name: 'declared longer than sent (client dies)', type: 'application/json', body: Buffer.from('{"text": "' + 'a'.repeat(2000)), cutAfter: 500, length: 100_000 },
    { name: 'multipart, client dies mid-file', ...multipart(''), body: Buffer.from(whole, 'latin1'), cutAfter: 120, length: whole.length },
  ];
  // Every cut of a whole multipart upload: each ends the body somewhere without its closing boundary.
  for (let cut = 1; cut < whole.length; cut += 7) {
    out.push({ name: `multipart cut at ${cut}`, ...multipart(''), body: Buffer.from(whole.slice(0, cut), 'latin1') });
  }
  // Random bytes under each declared type.
  for (const type of ['multipart/form-data; boundary=b', 'application/json', 'application/x-www-form-urlencoded', 'image/png']) {
    for (let i = 0; i < 4; i++) {
      const n = Math.floor(rnd() * 3000);
      out.push({ name: `random ${n} bytes as ${type}`, type, body: Buffer.from(Array.from({ length: n }, () => Math.floor(rnd() * 256))) });
    }
  }
  return out;
}

describe('hostile input: no single request stops the gateway (issue 12 §1, 8, 10, 11)', () => {
  let gw: TestGateway;
  let visitor: string;
  let session: string;
  let apiToken: string;

  before(async () => {
    gw = await startGateway('[server]\nmax_upload_bytes = 4096\n[ratelimit]\nsessions_per_min = 0\naddress_quota = 0\n[channels.api]\nrate_per_min = 0');
    visitor = (await visitorSession(gw.publicUrl)).token;
    session = await loginAgent(gw.workspaceUrl, 'admin', gw.adminPassword);
    apiToken = await createToken(gw);
  });
  after(async () => { await gw.close(); });

  it('the probe\'s truncated multipart gets 400 bad_request (or Slack\'s invalid_form_data) on all three upload paths, and the gateway stays up', async () => {
    const headers = { 'content-type': 'multipart/form-data; boundary=b' };
    const api = await rawRequest(`${gw.publicUrl}/api/chat.postMessage`, { headers, body: TRUNCATED });
    assert.equal(api.status, 200, 'Slack answers Web API errors with HTTP 200');
    assert.deepEqual(api.body, { ok: false, error: 'invalid_form_data' });
    const up = await rawRequest(`${gw.publicUrl}/v1/visitor/uploads`, { headers: { ...headers, authorization: `Bearer ${visitor}` }, body: TRUNCATED });
    assert.equal(up.status, 400);
    assert.equal(up.body.error.code, 'bad_request');
    const ws = await rawRequest(`${gw.workspaceUrl}/api/uploads`, { headers: { ...headers, authorization: `Bearer ${session}` }, body: TRUNCATED });
    assert.equal(ws.status, 400);
    assert.equal(ws.body.error.code, 'bad_request');
    await assertAlive(gw);
  });

  it('a fuzzed set of truncated and garbled bodies at every route: no 5xx, the process survives, messages still flow', async function () {
    this.timeout(120_000);
    const conv = await startConversation(gw, visitor);
    const routes: { url: string; auth?: string }[] = [
      { url: `${gw.publicUrl}/v1/visitor/session` },
      { url: `${gw.publicUrl}/v1/visitor/messages`, auth: visitor },
      { url: `${gw.publicUrl}/v1/visitor/uploads`, auth: visitor },
      { url: `${gw.publicUrl}/api/chat.postMessage` },
      { url: `${gw.publicUrl}/api/chat.postMessage`, auth: apiToken },
      { url: `${gw.publicUrl}/api/files.completeUploadExternal`, auth: apiToken },
      { url: `${gw.publicUrl}/api/files.upload/Fnot-a-real-upload`, auth: apiToken },
      { url: `${gw.publicUrl}/v1/messages`, auth: apiToken },
      { url: `${gw.workspaceUrl}/api/login` },
      { url: `${gw.workspaceUrl}/api/agents`, auth: session },
      { url: `${gw.workspaceUrl}/api/uploads`, auth: session },
      { url: `${gw.workspaceUrl}/api/conversations/${conv}/messages`, auth: session },
      { url: `${gw.workspaceUrl}/api/conversations/${conv}/transfer`, auth: session },
    ];
    const failures: string[] = [];
    let sent = 0;
    for (const b of hostileBodies()) {
      await Promise.all(routes.map(async (r) => {
        const headers: Record<string, string> = {};
        if (b.type) headers['content-type'] = b.type;
        if (r.auth) headers.authorization = `Bearer ${r.auth}`;
        if (b.length) headers['content-length'] = String(b.length);
        const res: RawReply = await rawRequest(r.url, { headers, body: b.body, cutAfter: b.cutAfter });
        sent++;
        if (res.status >= 500) failures.push(`${r.url} ← ${b.name}: ${res.status} ${res.text.slice(0, 200)}`);
      }));
    }
    assert.ok(sent > 500, `fired ${sent} requests`);
    assert.deepEqual(failures, []);
    await assertAlive(gw);
    const after = await json(`${gw.publicUrl}/v1/visitor/messages`, { method: 'POST', headers: { authorization: `Bearer ${visitor}` }, json: { clientId: cid(), text: 'still here?' } });
    assert.equal(after.status, 201);
  });

  it('Web API calls with a token in the header are authenticated before the body is read; a token in the body limits it to max_body_bytes', async () => {
    const big = Buffer.alloc(3000, 0x61);
    const body = Buffer.concat([Buffer.from('--b\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n\r\n'), big, Buffer.from('\r\n--b--\r\n')]);
    const headers = { 'content-type': 'multipart/form-data; boundary=b' };
    const bad = await rawRequest(`${gw.publicUrl}/api/chat.postMessage`, { headers: { ...headers, authorization: 'Bearer xoxb-wrong' }, body, stallAfter: 10 });
    assert.deepEqual(bad.body, { ok: false, error: 'invalid_auth' }, 'answered from the header alone, while the body was still unsent');
    // max_body_bytes is at least 1024 by schema; the test config keeps the 64 kB default, so shrink it here.
    const small = await startGateway('[server]\nmax_body_bytes = 1024');
    try {
      const r = await rawRequest(`${small.publicUrl}/api/chat.postMessage`, { headers, body });
      assert.deepEqual(r.body, { ok: false, error: 'request_too_large' });
      // Many fields, each within its limit, are still bounded as a whole without a token.
      const fields = Array.from({ length: 40 }, (_, i) => `--b\r\nContent-Disposition: form-data; name="f${i}"\r\n\r\n${'x'.repeat(1000)}\r\n`).join('') + '--b--\r\n';
      const many = await rawRequest(`${small.publicUrl}/api/chat.postMessage`, { headers, body: fields });
      assert.deepEqual(many.body, { ok: false, error: 'request_too_large' });
    } finally { await small.close(); }
  });

  it('chat.postMessage with blocks nested 10,000 deep and files.completeUploadExternal with files=[null] are invalid_arguments, not internal_error', async () => {
    const deep = `${'['.repeat(10_000)}{"type":"plain_text","text":"x"}${']'.repeat(10_000)}`;
    const conv = await startConversation(gw, visitor);
    const auth = { authorization: `Bearer ${apiToken}` };
    const nested = await json(`${gw.publicUrl}/api/chat.postMessage`, { method: 'POST', headers: auth, json: { channel: conv, blocks: deep } });
    assert.equal(nested.body.error, 'invalid_arguments');
    const raw = await rawRequest(`${gw.publicUrl}/api/chat.postMessage`, { headers: { ...auth, 'content-type': 'application/json' },
      body: `{"channel":"${conv}","blocks":[${'{"type":"section","text":'.repeat(2000)}{}${'}'.repeat(2000)}]}` });
    assert.equal(raw.body.error, 'invalid_arguments');
    // As Slack's SDKs send it: a raw JSON body whose argument nests 10,000 deep.
    const rawDeep = await rawRequest(`${gw.publicUrl}/api/chat.postMessage`, { headers: { ...auth, 'content-type': 'application/json' },
      body: `{"channel":"${conv}","blocks":${'['.repeat(10_000)}${']'.repeat(10_000)}}` });
    assert.equal(rawDeep.body.error, 'invalid_arguments');
    const rawDeepOther = await rawRequest(`${gw.publicUrl}/api/chat.postMessage`, { headers: { ...auth, 'content-type': 'application/json' },
      body: `{"channel":"${conv}","text":"x","metadata":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}}` });
    assert.equal(rawDeepOther.body.error, 'invalid_arguments');
    for (const files of ['[null]', '[1]', '[{"id": 5}]', '[{"id":"F1","title":{}}]']) {
      const r = await json(`${gw.publicUrl}/api/files.completeUploadExternal`, { method: 'POST', headers: auth, json: { files, channel_id: conv } });
      assert.equal(r.body.error, 'invalid_arguments', files);
    }
  });

  it('an upload of exactly max_upload_bytes is accepted, one byte more is 413', async () => {
    const exact = Buffer.concat([PNG_1X1, Buffer.alloc(4096 - PNG_1X1.length)]);
    const ok = await upload(gw, visitor, exact);
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.equal(ok.body.attachment.size, 4096);
    const over = await upload(gw, visitor, Buffer.concat([exact, Buffer.from([0])]));
    assert.equal(over.status, 413);
    assert.equal(over.body.error.code, 'payload_too_large');
  });

  it('images over max_image_pixels are refused from the header (an 86-byte PNG claiming 20000×20000), on every upload path', async () => {
    const bomb = Buffer.from(PNG_1X1);
    bomb.writeUInt32BE(20000, 16);
    bomb.writeUInt32BE(20000, 20);
    const v = await upload(gw, visitor, bomb);
    assert.equal(v.status, 413);
    assert.equal(v.body.error.code, 'image_too_large');
    const form = new FormData();
    form.append('file', new Blob([bomb], { type: 'image/png' }), 'b.png');
    const w = await json(`${gw.workspaceUrl}/api/uploads`, { method: 'POST', headers: { authorization: `Bearer ${session}` }, body: form });
    assert.equal(w.status, 413);
    assert.equal(w.body.error.code, 'image_too_large');
    const damaged = Buffer.from(PNG_1X1.subarray(0, 12));
    assert.equal((await upload(gw, visitor, damaged)).body.error.code, 'invalid_image');
    const fine = await upload(gw, visitor, PNG_1X1);
    assert.equal(fine.status, 201);
    assert.deepEqual([fine.body.attachment.width, fine.body.attachment.height], [1, 1]);
    // Sent later by its media id, the image still carries its size (kept with the media record).
    const byId = await json(`${gw.publicUrl}/v1/visitor/messages`, { method: 'POST', headers: { authorization: `Bearer ${visitor}` },
      json: { clientId: cid(), attachments: [{ mediaId: fine.body.attachment.mediaId }] } });
    assert.deepEqual([byId.body.message.content.attachments[0].width, byId.body.message.content.attachments[0].height], [1, 1]);
  });
});

async function createToken(gw: TestGateway): Promise<string> {
  const { ApiTokens } = await import('../../channels/api/tokens.js');
  const t = new ApiTokens(gw.store.tokens, () => []);
  return (await t.create(`fuzz${Date.now().toString(36)}`, ['chat:write', 'files:write', 'channels:read'])).token;
}

async function startConversation(gw: TestGateway, visitor: string): Promise<string> {
  const r = await json(`${gw.publicUrl}/v1/visitor/messages`, { method: 'POST', headers: { authorization: `Bearer ${visitor}` }, json: { clientId: cid(), text: 'hello' } });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const s = await json(`${gw.publicUrl}/v1/visitor/session`, { method: 'POST', json: { token: visitor } });
  return s.body.conversationId;
}

function upload(gw: TestGateway, visitor: string, data: Buffer) {
  const form = new FormData();
  form.append('file', new Blob([data], { type: 'image/png' }), 'p.png');
  return json(`${gw.publicUrl}/v1/visitor/uploads`, { method: 'POST', headers: { authorization: `Bearer ${visitor}` }, body: form });
}

async function assertAlive(gw: TestGateway): Promise<void> {
  assert.equal((await json(`${gw.publicUrl}/healthz`)).status, 200);
  assert.equal((await json(`${gw.workspaceUrl}/healthz`)).status, 200);
}
