import assert from 'node:assert/strict';
import { parseIdentity, parseSessionBody, parseTranscript, parseUploadFields } from '../../../channels/wechat-mp/parse.js';
import { tokenKeyFor, visitorIdFor } from '../../../channels/wechat-mp/verify.js';
import { configSchema } from '../../../channels/wechat-mp/types.js';
import { sniffAudio } from '../../../core/http/audio-info.js';
import { VisitorTokens } from '../../../core/auth/visitor-token.js';
import { APPID, MP3, SECRET } from './fake-wechat.js';

describe('wechat_mp units', () => {
  it('parseIdentity keeps openid and unionid, never the session_key; errors and junk are results', () => {
    const id = parseIdentity('{"openid":"oGZUI0egBJY1zhBYw2KhdUfwVJJE","session_key":"tiihtNczf5v6AKRyjwEUhQ==","unionid":"oGZUI0egBJY1zhBYw2KhdUfwVJJE2"}');
    assert.equal(id.kind, 'identity');
    assert.deepEqual(id.kind === 'identity' && id.identity, { openid: 'oGZUI0egBJY1zhBYw2KhdUfwVJJE', unionid: 'oGZUI0egBJY1zhBYw2KhdUfwVJJE2' });
    assert.ok(!JSON.stringify(id).includes('tiihtNczf5v6AKRyjwEUhQ'));
    assert.deepEqual(parseIdentity('{"errcode":40163,"errmsg":"code been used"}'), { kind: 'rejected', errcode: 40163, errmsg: 'code been used' });
    for (const bad of ['', 'null', '[]', '{"openid":1}', '{"openid":"x y"}', '{"errcode":0}']) assert.equal(parseIdentity(bad).kind, 'invalid', bad);
  });

  it('session bodies and upload fields are checked; formData strings become numbers only when whole', () => {
    assert.deepEqual(parseSessionBody({ code: '0a3b5c7d9e' }), { kind: 'session', code: '0a3b5c7d9e' });
    for (const code of [undefined, 42, '', 'short', 'with space xx', 'x'.repeat(129)]) assert.equal(parseSessionBody({ code }).kind, 'invalid');
    const ok = parseUploadFields({ clientId: 'abcdefgh12', duration: '3200', transcript: '  你好  ' }, 60_000);
    assert.deepEqual(ok, { kind: 'fields', fields: { clientId: 'abcdefgh12', duration: 3200, transcript: '你好', caption: undefined } });
    assert.equal(parseUploadFields({ clientId: 'abcdefgh12', duration: '61000' }, 60_000).kind, 'invalid');
    assert.equal(parseUploadFields({ clientId: 'abcdefgh12', duration: '1.5' }, 60_000).kind, 'invalid');
    assert.equal(parseUploadFields({ clientId: 'bad id' }, 60_000).kind, 'invalid');
    assert.equal(parseTranscript('{"text":" 退货 "}'), '退货');
    assert.equal(parseTranscript('{"text":""}'), undefined);
    assert.equal(parseTranscript('oops'), undefined);
  });

  it('visitor ids are stable per appid+openid, differ across apps and users, and hide the openid', () => {
    const key = Buffer.alloc(32, 7);
    const a = visitorIdFor(key, APPID, 'o_user_1');
    assert.equal(a, visitorIdFor(key, APPID, 'o_user_1'));
    assert.notEqual(a, visitorIdFor(key, 'wx1111111111111111', 'o_user_1'));
    assert.notEqual(a, visitorIdFor(key, APPID, 'o_user_2'));
    assert.notEqual(a, visitorIdFor(Buffer.alloc(32, 8), APPID, 'o_user_1'));
    assert.ok(!a.includes('user'));
    // A token of this channel verifies here only: not with the web widget's key, nor another appid's.
    const mine = new VisitorTokens(tokenKeyFor(key, APPID), 60);
    const { token } = mine.issue(a);
    assert.equal(mine.verify(token), a);
    assert.equal(new VisitorTokens(key, 60).verify(token), undefined);
    assert.equal(new VisitorTokens(tokenKeyFor(key, 'wx1111111111111111'), 60).verify(token), undefined);
  });

  it('audio is recognized by its bytes', () => {
    assert.equal(sniffAudio(MP3), 'audio/mpeg');
    assert.equal(sniffAudio(Buffer.from([0xff, 0xfb, 0x90, 0x64, 0, 0])), 'audio/mpeg');
    assert.equal(sniffAudio(Buffer.from([0xff, 0xf1, 0x50, 0x80, 0, 0])), 'audio/aac');
    assert.equal(sniffAudio(Buffer.from('\x00\x00\x00\x20ftypM4A \x00\x00', 'latin1')), 'audio/mp4');
    assert.equal(sniffAudio(Buffer.from('RIFF\x24\x00\x00\x00WAVEfmt ', 'latin1')), 'audio/wav');
    assert.equal(sniffAudio(Buffer.from('\x02#!SILK_V3\x00\x00', 'latin1')), 'audio/silk');
    for (const junk of [Buffer.from('<svg onload=alert(1)>'), Buffer.from([0x89, 0x50, 0x4e, 0x47]), Buffer.alloc(2)]) assert.equal(sniffAudio(junk), undefined);
  });

  it('the config slice: appid shape, secret required, defaults, asr provider', () => {
    const c = configSchema.parse({ enabled: true, appid: APPID, secret: SECRET });
    assert.equal(c.api_base, 'https://api.weixin.qq.com');
    assert.equal(c.max_voice_seconds, 60);
    assert.equal(configSchema.safeParse({ appid: 'wxNOTHEX', secret: SECRET }).success, false);
    assert.equal(configSchema.safeParse({ appid: APPID }).success, false);
    assert.equal(configSchema.safeParse({ appid: APPID, secret: SECRET, asr: { provider: 'http', url: 'not a url' } }).success, false);
    assert.equal(configSchema.parse({ appid: APPID, secret: SECRET, asr: { provider: 'http', url: 'http://asr.local/t' } }).asr?.lang, 'zh_CN');
  });
});
