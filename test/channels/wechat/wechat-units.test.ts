import assert from 'node:assert/strict';
import { decrypt, encrypt, signatureOf, SignedUrls, verifyMsgSignature, verifySignature } from '../../../channels/wechat/verify.js';
import { parse, quoteLongIntegers, readXml } from '../../../channels/wechat/parse.js';
import { left, opened, WINDOWS } from '../../../channels/wechat/window.js';
import { allowedHost, apiError } from '../../../channels/wechat/api.js';
import { partsOf, windowError } from '../../../channels/wechat/outbound.js';
import { accountsOf, configSchema } from '../../../channels/wechat/types.js';
import type { Message } from '../../../core/model/message.js';

/**
 * The official vectors: the mini-program/service-account message-push guide (Token "AAAAA",
 * EncodingAESKey 43 × "A", appid wxba5fad812f8e6fb9) and the WXBizMsgCrypt sample (Token
 * "QDG6eK", key jWmYm7…B2C, receive id wx5823bf96d3bd56c7, msg_signature 477715d1…f3e6).
 */
const DOC = { token: 'AAAAA', key: 'A'.repeat(43), appid: 'wxba5fad812f8e6fb9' };
const DOC_ENCRYPT = '+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=';
const SAMPLE = { token: 'QDG6eK', key: 'jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C', appid: 'wx5823bf96d3bd56c7', timestamp: '1409659813', nonce: '1372623149',
  signature: '477715d11cdb4164915debcba66cb864d751f3e6',
  encrypt: 'RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==' };

describe('wechat: signatures and AES against the official vectors', () => {
  it('URL verification and plain-mode signatures (Token AAAAA)', () => {
    assert.equal(signatureOf('AAAAA', '1714036504', '1514711492'), 'f464b24fc39322e44b38aa78f5edd27bd1441696');
    assert.equal(verifySignature('AAAAA', '1714036504', '1514711492', 'f464b24fc39322e44b38aa78f5edd27bd1441696'), true);
    assert.equal(verifySignature('AAAAA', '1714037059', '486452656', '899cf89e464efb63f54ddac96b0a0a235f53aa78'), true);
    assert.equal(verifySignature('AAAAA', '1714037059', '486452656', '899CF89E464EFB63F54DDAC96B0A0A235F53AA78'), true, 'hex case does not matter');
    assert.equal(verifySignature('AAAAB', '1714037059', '486452656', '899cf89e464efb63f54ddac96b0a0a235f53aa78'), false);
    assert.equal(verifySignature('AAAAA', '1714037060', '486452656', '899cf89e464efb63f54ddac96b0a0a235f53aa78'), false);
    assert.equal(verifySignature('AAAAA', '1714037059', '486452656', undefined), false);
    assert.equal(verifySignature('AAAAA', undefined, '486452656', '899cf89e464efb63f54ddac96b0a0a235f53aa78'), false);
  });

  it('safe mode (JSON): msg_signature 046e02f8… and the decrypted push of the guide', () => {
    assert.equal(verifyMsgSignature(DOC.token, '1714112445', '415670741', DOC_ENCRYPT, '046e02f8204d34f8ba5fa3b1db94908f3df2e9b3'), true);
    assert.equal(verifyMsgSignature(DOC.token, '1714112445', '415670741', DOC_ENCRYPT.replace('+q', '+r'), '046e02f8204d34f8ba5fa3b1db94908f3df2e9b3'), false);
    assert.equal(decrypt(DOC.key, DOC_ENCRYPT, DOC.appid),
      '{"ToUserName":"gh_97417a04a28d","FromUserName":"o9AgO5Kd5ggOC-bXrbNODIiE3bGY","CreateTime":1714112445,"MsgType":"event","Event":"debug_demo","debug_str":"hello world"}');
    assert.equal(decrypt(DOC.key, DOC_ENCRYPT, 'wx0000000000000000'), undefined, 'another appid is refused');
  });

  it('safe mode answer: the guide\'s encrypted reply with its random and MsgSignature 1b933996…', () => {
    const enc = encrypt(DOC.key, '{"demo_resp":"good luck"}', DOC.appid, Buffer.from('707722b803182950'));
    assert.equal(enc, 'ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==');
    assert.equal(signatureOf(DOC.token, '1713424427', '415670741', enc), '1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1');
  });

  it('the WXBizMsgCrypt sample (QDG6eK / jWmYm7…): msg_signature 477715d1…f3e6 and its XML', () => {
    assert.equal(verifyMsgSignature(SAMPLE.token, SAMPLE.timestamp, SAMPLE.nonce, SAMPLE.encrypt, SAMPLE.signature), true);
    const plain = decrypt(SAMPLE.key, SAMPLE.encrypt, SAMPLE.appid)!;
    const f = readXml(plain)!;
    assert.deepEqual([f.ToUserName, f.FromUserName, f.MsgType, f.Content, f.MsgId], [SAMPLE.appid, 'mycreate', 'text', 'hello', '4561255354251345929']);
  });

  it('a plain-mode signed URL keeps the body it first came with, for as long as its timestamp can be accepted', () => {
    const urls = new SignedUrls(600_000);
    assert.equal(urls.bind('wx1\n1714037059\n486452656', '{"a":1}', 0), true);
    assert.equal(urls.bind('wx1\n1714037059\n486452656', '{"a":1}', 1000), true, 'the same body again (a WeChat retry)');
    assert.equal(urls.bind('wx1\n1714037059\n486452656', '{"a":2}', 2000), false);
    assert.equal(urls.bind('wx1\n1714037059\n486452657', '{"a":2}', 2000), true, 'another nonce is another URL');
    assert.equal(urls.bind('wx1\n1714037059\n486452656', '{"a":2}', 600_001), true, 'forgotten once the timestamp is refused anyway');
  });

  it('round trip and refusals: bad key length, bad padding, truncated data', () => {
    const enc = encrypt(DOC.key, '你好 <xml> & "quotes"', DOC.appid);
    assert.equal(decrypt(DOC.key, enc, DOC.appid), '你好 <xml> & "quotes"');
    assert.equal(decrypt(SAMPLE.key, enc, DOC.appid), undefined);
    assert.equal(decrypt(DOC.key, enc.slice(0, 20), DOC.appid), undefined);
    assert.equal(decrypt(DOC.key, 'not base64 at all!', DOC.appid), undefined);
    assert.equal(decrypt('short', enc, DOC.appid), undefined);
  });
});

describe('wechat: parse', () => {
  it('keeps a 64-bit MsgId exact in JSON (JSON.parse alone rounds it) without touching texts', () => {
    const raw = '{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1714037059,"MsgType":"text","Content":"id 24412545298723516417, ok","MsgId":24412545298723516417}';
    assert.equal(String(JSON.parse(raw).MsgId), '24412545298723516000', 'the bug this guards against');
    const p = parse(raw);
    assert.equal(p.kind, 'message');
    if (p.kind === 'message') assert.deepEqual([p.sourceId, p.text, p.at], ['24412545298723516417', 'id 24412545298723516417, ok', 1714037059]);
    assert.equal(quoteLongIntegers('{"a":"\\"12345678901234567890","b":-12345678901234567890,"c":1.5e3}'), '{"a":"\\"12345678901234567890","b":"-12345678901234567890","c":1.5e3}');
  });

  it('reads XML pushes (CDATA, entities, nested containers) and refuses DTDs', () => {
    const p = parse('<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1348831860</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[a <b> ]]]></Content><MsgId>1234567890123456789</MsgId></xml>');
    assert.equal(p.kind, 'message');
    if (p.kind === 'message') assert.deepEqual([p.text, p.sourceId], ['a <b> ]', '1234567890123456789']);
    assert.equal(readXml('<xml><A>x &amp; &lt;y&gt; &#20320;</A><Info><B>1</B></Info></xml>')!.A, 'x & <y> 你');
    assert.equal(readXml('<xml><A>x</A><Info><B>1</B></Info></xml>')!.B, '1');
    assert.equal(parse('<!DOCTYPE x [<!ENTITY e "boom">]><xml><Content>&e;</Content></xml>').kind, 'invalid');
  });

  it('events: user_enter_tempsession with SessionFrom, deduped on sender + CreateTime; others unsupported', () => {
    const p = parse('{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1482048670,"MsgType":"event","Event":"user_enter_tempsession","SessionFrom":"queue=billing"}');
    assert.deepEqual(p, { kind: 'enter', from: 'o1', to: 'gh_1', at: 1482048670, sourceId: 'ev:o1:1482048670', sessionFrom: 'queue=billing' });
    assert.equal(parse('{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"event","Event":"subscribe"}').kind, 'unsupported');
  });

  it('images, cards, voice and the safe-mode envelope; bad ids are invalid', () => {
    const img = parse('{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"image","PicUrl":"http://mmbiz.qpic.cn/x","MediaId":"m_1","MsgId":2}');
    assert.equal(img.kind === 'message' && img.image?.picUrl, 'http://mmbiz.qpic.cn/x');
    const card = parse('{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"miniprogrampage","Title":"Order","PagePath":"pages/o?id=1","MsgId":3}');
    assert.equal(card.kind === 'message' && card.text, '[Mini-program page] Order (pages/o?id=1)');
    assert.equal(parse('<xml><ToUserName>gh_1</ToUserName><FromUserName>o1</FromUserName><CreateTime>1</CreateTime><MsgType>voice</MsgType><MediaId>v</MediaId><MsgId>4</MsgId></xml>').kind, 'message');
    assert.deepEqual(parse('{"ToUserName":"gh_1","Encrypt":"abc+/="}'), { kind: 'encrypted', encrypt: 'abc+/=' });
    assert.equal(parse('{"ToUserName":"gh_1","FromUserName":"o 1","CreateTime":1,"MsgType":"text","Content":"x","MsgId":1}').kind, 'invalid');
    assert.equal(parse('{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"text","Content":"x","MsgId":"1e5"}').kind, 'invalid');
    assert.equal(parse('[1,2]').kind, 'invalid');
    assert.equal(parse('').kind, 'invalid');
  });

  it('a customer message of a kind kefu cannot show is kept as a note under its MsgId; a blank text is nothing to keep', () => {
    const file = parse('{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"file","Title":"invoice.pdf","MsgId":24412545298723516417}');
    assert.deepEqual(file.kind === 'message' && [file.sourceId, file.text], ['24412545298723516417', '[A "file" message: WeChat does not pass its content on]']);
    const odd = parse('{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"<b>x</b>","MsgId":5}');
    assert.equal(odd.kind === 'message' && odd.text, '[A message of a kind kefu does not know: WeChat does not pass its content on]');
    assert.equal(parse('{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1,"MsgType":"text","Content":" \\n ","MsgId":6}').kind, 'unsupported');
  });

  it('a hostile XML body is read in linear time (no catastrophic backtracking)', () => {
    const hostile = `<xml>${'<a><![CDATA['.repeat(4000)}]]>${'</a>'.repeat(10)}</xml>`;
    assert.equal(typeof readXml(hostile), 'object'); // finishing at all is the test: a quadratic scan takes minutes here
  });
});

describe('wechat: the reply window', () => {
  const H = 3600_000;
  it('a message opens 48 h / 5 messages; entering the chat 1 min / 2, unless a message window is open', () => {
    const t = 1_000_000_000_000;
    const w = opened(undefined, 'message', t, t);
    assert.deepEqual(left(w, t + H), { ms: 47 * H, messages: 5 });
    assert.equal(left({ ...w, sent: 5 }, t + H).problem, 'quota_exhausted');
    assert.equal(left(w, t + 48 * H).problem, 'window_expired');
    const e = opened(undefined, 'enter', t, t);
    assert.deepEqual(left(e, t + 30_000), { ms: 30_000, messages: 2 });
    assert.equal(left(e, t + 60_000).problem, 'window_expired');
    assert.equal(opened({ ...w, sent: 2 }, 'enter', t + H, t + H).kind, 'message', 'the larger window stays');
    assert.equal(opened({ ...w, sent: 5 }, 'enter', t + H, t + H).kind, 'enter', 'a spent one does not');
    assert.equal(opened(w, 'message', t + 10 * H, t + 5 * H).at, t + 5 * H, 'a CreateTime ahead of our clock counts from now');
    assert.equal(left(undefined, t).problem, 'window_expired');
    assert.equal(WINDOWS.message.max, 5);
  });

  it('the errors agents see are permanent with the catalogue codes', () => {
    const expired = windowError({ ms: 0, messages: 0, problem: 'window_expired' }, { kind: 'message', at: 0, sent: 1 }, 1)!;
    assert.deepEqual([expired.code, expired.retryable], ['window_expired', false]);
    assert.match(expired.detail, /48 hours/);
    const short = windowError({ ms: 1000, messages: 1 }, { kind: 'message', at: 0, sent: 4 }, 2)!;
    assert.equal(short.code, 'quota_exhausted');
    assert.match(short.detail, /needs 2, 1 left/);
    assert.equal(windowError({ ms: 1000, messages: 2 }, { kind: 'enter', at: 0, sent: 0 }, 2), undefined);
  });
});

describe('wechat: API errors, parts, config', () => {
  it('maps errcodes: 45015/45047 permanent window errors, token errors and -1 retryable, the rest permanent', () => {
    const pick = (e: ReturnType<typeof apiError>) => [e.code, e.retryable];
    assert.deepEqual(pick(apiError(45015, 'response out of time limit')), ['window_expired', false]);
    assert.deepEqual(pick(apiError(45047, 'out of response count limit')), ['quota_exhausted', false]);
    assert.deepEqual(pick(apiError(40001, 'invalid credential')), ['token_invalid', true]);
    assert.deepEqual(pick(apiError(42001, 'access_token expired')), ['token_invalid', true]);
    assert.deepEqual(pick(apiError(-1, 'system error')), ['system_busy', true]);
    assert.deepEqual(pick(apiError(61004, 'not in whitelist')), ['61004', false]);
    assert.equal(apiError(45009, 'freq').retryAfter, 60);
  });

  it('media hosts: the host or its subdomains, http(s) only', () => {
    const hosts = ['mmbiz.qpic.cn', 'api.weixin.qq.com'];
    assert.equal(allowedHost('http://mmbiz.qpic.cn/mmbiz_jpg/x/0', hosts), true);
    assert.equal(allowedHost('https://a.mmbiz.qpic.cn/x', hosts), true);
    assert.equal(allowedHost('https://mmbiz.qpic.cn.evil.example/x', hosts), false);
    assert.equal(allowedHost('https://evilmmbiz.qpic.cn/x', hosts), false);
    assert.equal(allowedHost('file:///etc/passwd', ['']), false);
  });

  it('what a kefu message becomes: text, images then caption, cards; join events skipped, files refused', () => {
    const m = (content: Message['content']) => ({ id: 'M1', seq: 1, conversationId: 'C1', direction: 'outbound', from: { id: 'a', role: 'agent' }, content, sentAt: new Date() }) as Message;
    const img = { kind: 'image' as const, mediaId: 'x'.repeat(32), mime: 'image/png', size: 10 };
    assert.deepEqual(partsOf(m({ kind: 'text', text: 'hi' })), [{ kind: 'text', text: 'hi' }]);
    assert.deepEqual(partsOf(m({ kind: 'media', attachments: [img], caption: 'see' })).map((p) => p.kind), ['image', 'text']);
    assert.deepEqual(partsOf(m({ kind: 'text', text: 'Your order', blocks: [{ type: 'wechat_miniprogrampage', pagepath: 'pages/o?id=1' }] })),
      [{ kind: 'card', card: { type: 'wechat_miniprogrampage', pagepath: 'pages/o?id=1', title: 'Your order' } }]);
    assert.deepEqual(partsOf(m({ kind: 'event', event: 'assigned', text: 'Ann joined' })), []);
    assert.deepEqual(partsOf(m({ kind: 'event', event: 'notice', text: 'No agent online' })), [{ kind: 'text', text: 'No agent online' }]);
    assert.throws(() => partsOf(m({ kind: 'media', attachments: [{ ...img, kind: 'file', name: 'a.pdf' }] })), (e: any) => e.code === 'unsupported_media' && !e.retryable);
  });

  it('config: accounts required, appids checked and unique, safe_mode needs a key', () => {
    const acct = { appid: 'wxba5fad812f8e6fb9', secret: 'secret-123', token: 'AAAAA' };
    assert.equal(configSchema.safeParse({ enabled: true }).success, false);
    assert.equal(configSchema.safeParse({ accounts: [{ ...acct, appid: 'nope' }] }).success, false);
    assert.equal(configSchema.safeParse({ accounts: [acct, acct] }).success, false);
    assert.equal(configSchema.safeParse({ accounts: [{ ...acct, safe_mode: true }] }).success, false);
    const ok = configSchema.parse({ ...acct, accounts: [{ ...acct, appid: 'wx5823bf96d3bd56c7', kind: 'official', format: 'xml' }] });
    assert.deepEqual(accountsOf(ok).map((a) => [a.appid, a.kind, a.format]), [['wxba5fad812f8e6fb9', 'miniprogram', 'json'], ['wx5823bf96d3bd56c7', 'official', 'xml']]);
    assert.equal(ok.api_base, 'https://api.weixin.qq.com');
    assert.deepEqual(ok.media_hosts, ['mmbiz.qpic.cn', 'api.weixin.qq.com']);
  });
});
