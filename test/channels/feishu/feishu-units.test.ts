import assert from 'node:assert/strict';
import { configSchema, appsOf, sdkDomain } from '../../../channels/feishu/types.js';
import { parse } from '../../../channels/feishu/parse.js';
import { decrypt, encrypt, signatureOf, tokenMatches, verifySignature } from '../../../channels/feishu/verify.js';
import { HealthBoard } from '../../../channels/feishu/health.js';
import { apiError, loadLark } from '../../../channels/feishu/api.js';
import { cardEvent, messageEvent } from './feishu-helpers.js';

const APP = 'cli_a1b2c3d4e5f60001';

describe('feishu parse', () => {
  it('a p2p text message: ids, text, addressed', () => {
    const e = messageEvent({ app: APP, text: '  你好   世界 ', messageId: 'om_1', eventId: 'ev_1' });
    const p = parse(JSON.stringify(e));
    assert.equal(p.kind, 'message');
    if (p.kind !== 'message') return;
    assert.deepEqual([p.eventId, p.messageId, p.chatId, p.chatType, p.openId, p.text, p.addressed], ['ev_1', 'om_1', 'oc_p2p_alice', 'p2p', 'ou_alice', '你好 世界', true]);
  });

  it('group mentions: the bot\'s own is removed, others become @name; not addressed without the bot', () => {
    const mentions = [{ key: '@_user_1', id: { open_id: 'ou_bot' }, name: 'kefu' }, { key: '@_user_2', id: { open_id: 'ou_bob' }, name: 'Bob' }];
    const e = messageEvent({ app: APP, chatType: 'group', chatId: 'oc_g', text: '@_user_1 ask @_user_2', mentions });
    const p = parse(JSON.stringify(e), { botOpenId: 'ou_bot' });
    assert.ok(p.kind === 'message' && p.text === 'ask @Bob' && p.addressed);
    const other = parse(JSON.stringify(messageEvent({ app: APP, chatType: 'group', chatId: 'oc_g', text: '@_user_2 hi', mentions: [mentions[1]] })), { botOpenId: 'ou_bot' });
    assert.ok(other.kind === 'message' && !other.addressed);
  });

  it('post (plain and locale-wrapped) and image messages collect image keys; other kinds are named', () => {
    const post = parse(JSON.stringify(messageEvent({ app: APP, type: 'post', content: { title: 'T', content: [[{ tag: 'text', text: 'a ' }, { tag: 'a', text: 'link', href: 'https://x.test' }], [{ tag: 'img', image_key: 'img_1' }]] } })));
    assert.ok(post.kind === 'message');
    if (post.kind === 'message') { assert.equal(post.text, 'T\na link (https://x.test)'); assert.deepEqual(post.imageKeys, ['img_1']); }
    const wrapped = parse(JSON.stringify(messageEvent({ app: APP, type: 'post', content: { en_us: { title: '', content: [[{ tag: 'img', image_key: 'img_2' }]] } } })));
    assert.ok(wrapped.kind === 'message' && wrapped.imageKeys[0] === 'img_2' && wrapped.text === '');
    const img = parse(JSON.stringify(messageEvent({ app: APP, type: 'image', content: { image_key: 'img_3' } })));
    assert.ok(img.kind === 'message' && img.imageKeys[0] === 'img_3');
    const file = parse(JSON.stringify(messageEvent({ app: APP, type: 'file', content: { file_key: 'f', file_name: 'a.pdf' } })));
    assert.ok(file.kind === 'message' && file.text === '[file: a.pdf]');
  });

  it('the bot\'s own messages, other events, challenges, card clicks and garbage', () => {
    const own = messageEvent({ app: APP, text: 'x' });
    (own.event.sender as { sender_type: string }).sender_type = 'app';
    assert.equal(parse(JSON.stringify(own)).kind, 'unsupported');
    assert.equal(parse(JSON.stringify({ schema: '2.0', header: { event_id: 'e', event_type: 'im.message.read_v1' }, event: {} })).kind, 'unsupported');
    assert.deepEqual(parse('{"type":"url_verification","challenge":"c1","token":"t"}'), { kind: 'challenge', challenge: 'c1', token: 't' });
    const card = parse(JSON.stringify(cardEvent({ app: APP, conversation: 'C1', eventId: 'evc1' })));
    assert.ok(card.kind === 'card_action' && card.conversationId === 'C1' && card.action === 'handoff' && card.openId === 'ou_alice');
    for (const raw of ['', 'null', '[]', '{"schema":"2.0","header":{}}', JSON.stringify(messageEvent({ app: APP, content: 'x' as never })).replace('"om_', '"bad id ')]) {
      assert.equal(parse(raw).kind, 'invalid', raw);
    }
  });
});

describe('feishu verify', () => {
  it('decrypts what the SDK\'s own AESCipher decrypts, and the other way round', async () => {
    const lark = await loadLark();
    const sealed = encrypt('my-encrypt-key', '{"hello":"世界"}');
    assert.equal(new lark.AESCipher('my-encrypt-key').decrypt(sealed), '{"hello":"世界"}');
    assert.equal(decrypt('my-encrypt-key', sealed), '{"hello":"世界"}');
    assert.equal(decrypt('another-key', sealed), undefined);
    assert.equal(decrypt('my-encrypt-key', 'not base64 !!'), undefined);
  });

  it('the signature is the one the SDK computes for a canonically serialized body, over the raw bytes otherwise', async () => {
    const lark = await loadLark();
    const body = JSON.stringify({ encrypt: encrypt('k1', '{}') });
    const headers = { 'x-lark-request-timestamp': '1700000000', 'x-lark-request-nonce': 'n1', 'x-lark-signature': signatureOf('1700000000', 'n1', 'k1', body) };
    const dispatcher = new lark.EventDispatcher({ encryptKey: 'k1', logger: { error() {}, warn() {}, info() {}, debug() {}, trace() {} } });
    assert.equal(dispatcher.requestHandle!.checkIsEventValidated(Object.assign(Object.create({ headers }), JSON.parse(body))), true);
    const h = { timestamp: '1700000000', nonce: 'n1', signature: headers['x-lark-signature'] };
    assert.equal(verifySignature('k1', h, Buffer.from(body), 1700000100, 300), true);
    assert.equal(verifySignature('k1', h, Buffer.from(body), 1700001000, 300), false, 'stale');
    assert.equal(verifySignature('k1', h, Buffer.from(body), 1700001000, 0), true, 'no age limit');
    assert.equal(verifySignature('k1', h, Buffer.from(body + ' '), 1700000100, 300), false, 'other bytes');
    assert.equal(verifySignature('k2', h, Buffer.from(body), 1700000100, 300), false, 'other key');
    assert.equal(tokenMatches('tok', 'tok'), true);
    assert.equal(tokenMatches('', ''), false, 'no token configured never matches');
    assert.equal(tokenMatches('tok', undefined), false);
  });
});

describe('feishu config and health', () => {
  const base = { enabled: true, app_id: APP, app_secret: 'secret-123' };
  it('app ids must look like cli_ + 16 hex digits; webhooks need a secret; several apps allowed', () => {
    assert.equal(configSchema.safeParse({ ...base, app_id: 'cli_XYZ' }).success, false);
    assert.equal(configSchema.safeParse({ ...base, mode: 'webhook' }).success, false);
    assert.equal(configSchema.safeParse({ ...base, mode: 'webhook', encrypt_key: 'k' }).success, true);
    assert.equal(configSchema.safeParse({ ...base, apps: [{ app_id: APP, app_secret: 'another-1' }] }).success, false, 'the same app twice');
    const c = configSchema.parse({ ...base, domain: 'lark', apps: [{ name: 'cn', app_id: 'cli_0000000000000009', app_secret: 'another-1', domain: 'feishu' }] });
    assert.deepEqual(appsOf(c).map((a) => [a.name, a.domain, a.mode]), [['default', 'lark', 'websocket'], ['cn', 'feishu', 'websocket']]);
  });

  it('"feishu" and "lark" select the SDK\'s two clouds; a URL is used as given', async () => {
    const lark = await loadLark();
    const domainOf = (d: string) => new lark.Client({ appId: APP, appSecret: 's', domain: sdkDomain(d, lark.Domain) as never, logger: { error() {}, warn() {}, info() {}, debug() {}, trace() {} } }).domain;
    assert.deepEqual(['feishu', 'lark', 'http://127.0.0.1:9/'].map(domainOf), ['https://open.feishu.cn', 'https://open.larksuite.com', 'http://127.0.0.1:9']);
  });

  it('the worst app decides, a token failure is auth_failed until a token works again', () => {
    const seen: [string, string | undefined][] = [];
    const b = new HealthBoard((s, d) => seen.push([s, d]));
    b.connection('a', 'connected');
    b.connection('b', 'degraded', 'closed');
    assert.deepEqual(seen.at(-1), ['degraded', 'b: closed']);
    b.tokenFailed('a', 'refused');
    assert.deepEqual(seen.at(-1), ['auth_failed', 'a: refused; b: closed']);
    b.tokenOk('a');
    b.connection('b', 'connected');
    assert.deepEqual(seen.at(-1), ['connected', undefined]);
  });

  it('SDK failures map to ChannelError: token, network, 429, permanent', () => {
    assert.equal(apiError(new Error('failed to get tenant_access_token, code: 10014, msg: app secret invalid'), 'x').code, 'auth_failed');
    const net = apiError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), 'send');
    assert.deepEqual([net.code, net.retryable], ['unreachable', true]);
    const limited = apiError({ message: '429', response: { status: 429, data: { code: 99991400, msg: 'slow down' }, headers: { 'x-ogw-ratelimit-reset': '3' } } }, 'send');
    assert.deepEqual([limited.code, limited.retryable, limited.retryAfter], ['99991400', true, 3]);
    const perm = apiError({ message: '400', response: { status: 400, data: { code: 230002, msg: 'not in chat' } } }, 'send');
    assert.deepEqual([perm.code, perm.retryable, perm.detail], ['230002', false, 'send: not in chat']);
  });
});

describe('feishu reference config', () => {
  it('the commented [channels.feishu] section of config/kefu.toml, uncommented, is a valid slice', async () => {
    const { readFileSync } = await import('node:fs');
    const { parse: toml } = await import('smol-toml');
    const text = readFileSync(new URL('../../../../config/kefu.toml', import.meta.url), 'utf8');
    const start = text.indexOf('# [channels.feishu]');
    const lines = text.slice(start).split('\n');
    const section = lines.slice(0, lines.findIndex((l, i) => i > 0 && !l.startsWith('#'))).filter((l) => /^# ([a-z_]+ =|\[)/.test(l)).map((l) => l.slice(2)).join('\n');
    const slice = (toml(section.replace(/"…"/g, '"secret-value-1"')) as { channels: { feishu: unknown } }).channels.feishu;
    const c = configSchema.parse(slice);
    assert.deepEqual(appsOf(c).map((a) => a.name), ['default', 'lark-intl']);
    assert.deepEqual(configSchema.parse({ enabled: true, app_id: APP, app_secret: 'secret-123' }).handoff_button, c.handoff_button, 'documented defaults are the defaults');
  });
});
