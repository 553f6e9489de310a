import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { eventually, startGateway, type TestGateway } from '../../helpers/gateway.js';
import { json } from '../../helpers/clients.js';
import { ApiTokens } from '../../../channels/api/tokens.js';
import { IntentClassifier } from '../../../plugins/intent-onnx/classifier.js';
import { hooks } from '../../../plugins/intent-onnx/index.js';

const SHIPPED = join(fileURLToPath(new URL('../../../../', import.meta.url)), 'plugins/intent-onnx/model/default.onnx');

describe('POST /v1/intent (public port, API token with intent:read)', () => {
  let gw: TestGateway;
  let tokens: ApiTokens;
  const post = (body: unknown, token?: string, headers: Record<string, string> = {}) => json(`${gw.publicUrl}/v1/intent`, {
    method: 'POST', json: body, headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers },
  });
  const token = async (name: string, scopes: string[]) => (await tokens.create(name, scopes)).token;
  const start = async (extra = '') => {
    gw = await startGateway(extra);
    tokens = new ApiTokens(gw.store.tokens, () => []);
  };
  afterEach(async () => { hooks.onModelRun = () => {}; hooks.onScore = () => {}; await gw?.close(); });

  it('401 without a token or with a bad or revoked one, 403 without the scope, 200 with it', async () => {
    await start();
    const reader = await token('reader', ['intent:read']);
    const writer = await token('writer', ['chat:write']);
    const gone = await token('gone', ['intent:read']);
    await tokens.revoke('gone');

    const none = await post({ text: '我要退货' });
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'unauthorized');
    for (const bad of ['xoxb-kefu-not-a-real-token', gone]) {
      const r = await post({ text: '我要退货' }, bad);
      assert.equal(r.status, 401);
      assert.equal(r.body.error.code, 'invalid_token');
    }
    const noScope = await post({ text: '我要退货' }, writer);
    assert.equal(noScope.status, 403);
    assert.equal(noScope.body.error.code, 'forbidden');
    assert.match(noScope.body.error.message, /intent:read/);

    const one = await post({ text: '我要退货，尺码不合适' }, reader);
    assert.equal(one.status, 200);
    assert.equal(one.body.ok, true);
    assert.equal(one.body.results.length, 3, 'top 3 by default');
    assert.equal(one.body.results[0].label, '退换货');
    assert.ok(one.body.results.every((r: { score: number }, i: number, a: { score: number }[]) => i === 0 || a[i - 1].score >= r.score));
    assert.equal(one.headers.get('x-content-type-options'), 'nosniff', 'the public headers');
    assert.equal(one.headers.get('access-control-allow-origin'), null, 'no CORS: tokens belong in a backend, not a page');

    const many = await post({ texts: ['where is my parcel', '发票怎么开'], top: 1 }, reader);
    assert.equal(many.status, 200);
    assert.deepEqual(many.body.results.map((r: { label: string }[]) => [r.length, r[0].label]), [[1, '物流'], [1, '发票']]);
  });

  it('a bot token from config holds every scope, intent:read included', async () => {
    await start('[[channels.api.bots]]\nname = "shopbot"\ntoken = "xoxb-config-token-0123456789"\nsigning_secret = "secret-123"\nevents_url = "http://127.0.0.1:9/events"\n');
    const r = await post({ text: '你好' }, 'xoxb-config-token-0123456789');
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.results[0].label, '问候');
  });

  it('bad input: a clear 4xx, nothing scored', async () => {
    await start('[server]\nmax_text_chars = 50\nmax_body_bytes = 4096');
    const reader = await token('reader', ['intent:read']);
    let runs = 0;
    hooks.onModelRun = () => { runs++; };
    const cases: [unknown, number, RegExp][] = [
      [{}, 422, /either text/],
      [{ text: 'a', texts: ['b'] }, 422, /either text/],
      [{ text: '' }, 422, /text must be a non-empty string/],
      [{ text: 42 }, 422, /text must be a non-empty string/],
      [{ texts: [] }, 422, /1 to 100/],
      [{ texts: 'abc' }, 422, /1 to 100/],
      [{ texts: Array.from({ length: 101 }, () => 'x') }, 422, /1 to 100/],
      [{ texts: ['ok', null] }, 422, /texts\[1\] must be a non-empty string/],
      [{ text: 'x'.repeat(51) }, 422, /longer than 50/],
      [{ text: 'ok', top: 0 }, 422, /top must be an integer from 1 to 20/],
      [{ text: 'ok', top: 21 }, 422, /top must be/],
      [{ text: 'ok', top: '3' }, 422, /top must be/],
      [{ text: 'x'.repeat(5000) }, 413, /limited to 4096 bytes/],
    ];
    for (const [body, status, message] of cases) {
      const r = await post(body, reader);
      assert.equal(r.status, status, JSON.stringify(body).slice(0, 80));
      assert.match(r.body.error.message, message);
    }
    const form = await json(`${gw.publicUrl}/v1/intent`, { method: 'POST', body: 'text=hi', headers: { Authorization: `Bearer ${reader}`, 'content-type': 'application/x-www-form-urlencoded' } });
    assert.equal(form.status, 415);
    const broken = await json(`${gw.publicUrl}/v1/intent`, { method: 'POST', body: '{"text":', headers: { Authorization: `Bearer ${reader}`, 'content-type': 'application/json' } });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, 'invalid_json');
    assert.equal(runs, 0);
    assert.equal((await post({ text: 'still fine' }, reader)).status, 200, 'the gateway is unaffected');
  });

  it('429 with Retry-After over the token\'s Web API rate, per token; works with the api channel off', async () => {
    await start('[channels.api]\nenabled = false\nrate_per_min = 1\nburst = 1');
    const a = await token('a', ['intent:read']);
    const b = await token('b', ['intent:read']);
    assert.equal((await post({ text: '你好' }, a)).status, 200);
    assert.equal((await post({ text: '你好' }, a)).status, 200, 'the burst');
    const over = await post({ text: '你好' }, a);
    assert.equal(over.status, 429);
    assert.equal(over.body.error.code, 'rate_limited');
    assert.ok(Number(over.headers.get('retry-after')) > 0);
    assert.equal(over.body.error.retryAfter, Number(over.headers.get('retry-after')));
    assert.equal((await post({ text: '你好' }, b)).status, 200, 'another token has its own allowance');
  });

  it('concurrent requests share model runs through the bus\'s batcher; answers match the model alone', async () => {
    await start();
    const reader = await token('reader', ['intent:read']);
    const texts = Array.from({ length: 50 }, (_, i) => ['我要退货', 'where is my parcel', '发票怎么开', '优惠券怎么用', '你好'][i % 5] + ` #${i}`);
    await post({ text: 'warm up' }, reader);
    // The first run is held until all 50 texts reached the batcher: a busy model, without timing.
    const runs: number[] = [];
    let queued = 0;
    let release!: () => void;
    const held = new Promise<void>((r) => { release = r; });
    hooks.onScore = () => { queued++; };
    hooks.onModelRun = (n) => { runs.push(n); return runs.length === 1 ? held : undefined; };
    const pending = Promise.all(texts.map((text) => post({ text }, reader)));
    await eventually(() => queued === 50, 'all 50 texts handed to the batcher');
    release();
    const replies = await pending;
    assert.ok(replies.every((r) => r.status === 200));
    assert.equal(runs.reduce((s, n) => s + n, 0), 50, 'every text scored exactly once');
    assert.equal(runs.length, 2, `50 requests in ${runs.length} model runs (${runs.join(', ')}): the ones waiting share the next`);

    const clf = await IntentClassifier.load(SHIPPED);
    const alone = await clf.top(texts, 3);
    await clf.release();
    replies.forEach((r, i) => assert.deepEqual(r.body.results, alone[i].map((p) => ({ label: p.label, score: Math.round(p.score * 1e4) / 1e4 }))));

    runs.length = 0;
    const batch = await post({ texts }, reader);
    assert.equal(batch.body.results.length, 50);
    assert.deepEqual(runs, [50], 'one request of 50 texts: one run (batch_max 64)');
  });

  it('503 when the AI is off', async () => {
    await start('[ai]\nenabled = false');
    const r = await post({ text: '你好' }, await token('reader', ['intent:read']));
    assert.equal(r.status, 503);
    assert.equal(r.body.error.code, 'unavailable');
  });
});
