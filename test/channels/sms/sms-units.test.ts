import assert from 'node:assert/strict';
import twilio from 'twilio';
import { segmentsOf } from '../../../channels/sms/segments.js';
import { keywordOf, parse } from '../../../channels/sms/parse.js';
import { verifyTwilio } from '../../../channels/sms/verify.js';
import { restError } from '../../../channels/sms/api.js';
import { configSchema } from '../../../channels/sms/types.js';

describe('sms: segment count (GSM-7 vs UCS-2)', () => {
  it('GSM-7: 160 in one segment, 153 per segment after', () => {
    assert.deepEqual(segmentsOf(''), { encoding: 'GSM-7', segments: 0, units: 0, remaining: 160 });
    assert.deepEqual(segmentsOf('a'.repeat(160)), { encoding: 'GSM-7', segments: 1, units: 160, remaining: 0 });
    assert.equal(segmentsOf('a'.repeat(161)).segments, 2);
    assert.equal(segmentsOf('a'.repeat(306)).segments, 2);
    assert.equal(segmentsOf('a'.repeat(307)).segments, 3);
  });

  it('extension characters take two septets and an escape pair is never split', () => {
    assert.deepEqual(segmentsOf('€'.repeat(80)), { encoding: 'GSM-7', segments: 1, units: 160, remaining: 0 });
    assert.equal(segmentsOf('€'.repeat(81)).segments, 2);
    // 306 septets would fit two segments, but "[" after 152 cannot straddle: it opens the second.
    const s = segmentsOf('a'.repeat(152) + '[' + 'a'.repeat(152));
    assert.deepEqual([s.segments, s.units], [3, 306]);
  });

  it('one character outside GSM-7 makes the whole text UCS-2: 70, then 67 per segment; surrogate pairs stay whole', () => {
    assert.equal(segmentsOf('您好').encoding, 'UCS-2');
    assert.deepEqual(segmentsOf('好'.repeat(70)), { encoding: 'UCS-2', segments: 1, units: 70, remaining: 0 });
    assert.equal(segmentsOf('好'.repeat(71)).segments, 2);
    assert.equal(segmentsOf('a'.repeat(159) + '✓').encoding, 'UCS-2');
    assert.equal(segmentsOf('a'.repeat(159) + '✓').segments, 3);
    const emoji = segmentsOf('a'.repeat(66) + '😀' + 'a'.repeat(66));
    assert.deepEqual([emoji.segments, emoji.units], [3, 134]);
  });
});

describe('sms: parse and verify (twilio\'s own signature function)', () => {
  const TOKEN = 'auth-token-123';
  const url = 'https://kefu.example.com/channels/sms/twilio?x=1';
  const params = { MessageSid: `SM${'1'.repeat(32)}`, AccountSid: `AC${'1'.repeat(32)}`, From: '+15557654321', To: '+15550001111', Body: 'hi', NumMedia: '0' };

  it('accepts twilio-signed params and refuses tampered, unsigned, wrong-URL ones', async () => {
    const sig = twilio.getExpectedTwilioSignature(TOKEN, url, params);
    assert.equal(await verifyTwilio(TOKEN, sig, url, params), true);
    assert.equal(await verifyTwilio(TOKEN, sig, url, { ...params, Body: 'ho' }), false);
    assert.equal(await verifyTwilio(TOKEN, undefined, url, params), false);
    assert.equal(await verifyTwilio(TOKEN, sig, url.replace('?x=1', ''), params), false);
    const sha256 = twilio.getExpectedTwilioSignature(TOKEN, url, params, 'HMAC_SHA256');
    assert.equal(await verifyTwilio(TOKEN, sha256, url, params, 'key=webhooks_sharedkey_1,algorithm=HMAC_SHA256'), true);
    assert.equal(await verifyTwilio(TOKEN, sig, url, params, 'algorithm=HMAC_MD5'), false);
  });

  it('parses texts, every MMS medium, statuses and opt-out words', () => {
    const m = parse(new URLSearchParams({ ...params, NumMedia: '2', MediaUrl0: 'https://api.twilio.com/a', MediaContentType0: 'image/jpeg', MediaUrl1: 'https://api.twilio.com/b' }).toString());
    assert.equal(m.kind, 'message');
    if (m.kind === 'message') assert.deepEqual(m.media.map((x) => x.url), ['https://api.twilio.com/a', 'https://api.twilio.com/b']);
    const failed = parse(`MessageSid=${params.MessageSid}&MessageStatus=failed&ErrorCode=21610`);
    assert.deepEqual(failed, { kind: 'status', vendorId: params.MessageSid, state: 'failed', error: { code: '21610', message: 'The customer has opted out (replied STOP); they must text START before we can send again.' } });
    assert.equal(parse(`MessageSid=${params.MessageSid}&MessageStatus=sending`).kind, 'unsupported');
    assert.equal(parse('MessageSid=nope&Body=x').kind, 'invalid');
    assert.equal(parse('%E0%A4%A').kind, 'invalid');
    for (const w of ['STOP', ' stop ', 'StopAll', 'unsubscribe', 'CANCEL', 'end', 'QUIT']) assert.equal(keywordOf(w), 'opt_out', w);
    for (const w of ['START', 'unstop']) assert.equal(keywordOf(w), 'opt_in', w);
    for (const w of ['please stop', 'STOP!', 'stopped', 'end of story']) assert.equal(keywordOf(w), undefined, w);
  });

  it('maps Twilio error answers: 429/5xx retryable with Retry-After, 4xx permanent with the code', () => {
    const busy = restError(429, '{"code":20429,"message":"Too Many Requests"}', { 'retry-after': '7' });
    assert.deepEqual([busy.retryable, busy.code, busy.retryAfter], [true, '20429', 7]);
    const down = restError(503, 'gateway html', {});
    assert.deepEqual([down.retryable, down.code], [true, 'http_503']);
    const out = restError(400, { code: 21610, message: 'Attempt to send to unsubscribed recipient' }, {});
    assert.deepEqual([out.retryable, out.code], [false, '21610']);
    assert.match(out.detail, /opted out/);
  });

  it('config: needs an account; SIDs are checked', () => {
    assert.equal(configSchema.safeParse({ enabled: true }).success, false);
    assert.equal(configSchema.safeParse({ account_sid: 'XX1', auth_token: 'abcdefgh' }).success, false);
    assert.equal(configSchema.safeParse({ account_sid: `AC${'f'.repeat(32)}`, auth_token: 'abcdefgh', numbers: ['+15550001111'] }).success, true);
  });
});

describe('sms: a disabled channel costs nothing', () => {
  it('loading the built-in channels does not load the twilio SDK', async () => {
    const { spawnSync } = await import('node:child_process');
    const { fileURLToPath } = await import('node:url');
    const builtin = fileURLToPath(new URL('../../../channels/builtin.js', import.meta.url));
    const probe = `await import(${JSON.stringify(builtin)}); const { createRequire } = await import('node:module');
      console.log(Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('/node_modules/twilio/')).length);`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), '0');
    const sanity = spawnSync(process.execPath, ['--input-type=module', '-e', `await import('twilio'); ${probe.split(';').slice(1).join(';')}`], { encoding: 'utf8', cwd: fileURLToPath(new URL('../../../../', import.meta.url)) });
    assert.notEqual(sanity.stdout.trim(), '0', 'the probe does see twilio once it is loaded');
  });
});
