import assert from 'node:assert/strict';
import { parseCardClick } from '../../../channels/dingtalk/card.js';
import { createHmac } from 'node:crypto';
import { parseRobot } from '../../../channels/dingtalk/parse.js';
import { sign, verifyCallback } from '../../../channels/dingtalk/verify.js';
import { partsOf, titleOf, fileTypeOf } from '../../../channels/dingtalk/reply.js';
import { AppsHealth } from '../../../channels/dingtalk/health.js';
import { configSchema, appsOf } from '../../../channels/dingtalk/types.js';
import type { Message } from '../../../core/model/message.js';

/** The shape of DingTalk's own documented robot callback (values anonymised). */
const DOC_SAMPLE = {
  conversationId: 'cidDKVAOW8yVWdxAqjpm4X9FA==', atUsers: [{ dingtalkId: '$:LWCP_v1:$rXLvUSJx2Aq5Mx2Ff17rMw==' }], chatbotCorpId: 'dinge8a565a8a7e2ecf7',
  chatbotUserId: '$:LWCP_v1:$rXLvUSJx2Aq5Mx2Ff17rMw==', msgId: 'msgvQfIqTdVU5P6QxpQWPp8Sw==', senderNick: '张三', isAdmin: true, senderStaffId: '0156256454',
  sessionWebhookExpiredTime: 1700000000000, createAt: 1699998800000, senderCorpId: 'dinge8a565a8a7e2ecf7', conversationType: '2',
  senderId: '$:LWCP_v1:$4Ouc4Kn4Y1dZhd8A4QZ1BQ==', conversationTitle: '钉钉群', isInAtList: true,
  sessionWebhook: 'https://oapi.dingtalk.com/robot/sendBySession?session=2a3e1ad7a2b3b0a0', text: { content: ' 你好' }, robotCode: 'dingrobot01', msgtype: 'text',
};

describe('dingtalk parse', () => {
  it('a group text that @s the robot: the asker\'s own thread in the group, the @ space trimmed, the group named, the reply route kept', () => {
    const p = parseRobot(JSON.stringify(DOC_SAMPLE));
    assert.equal(p.kind, 'message');
    if (p.kind !== 'message') return;
    assert.deepEqual(p.message.ref, { channel: 'dingtalk', account: 'dingrobot01', thread: 'g:cidDKVAOW8yVWdxAqjpm4X9FA==:0156256454' });
    assert.equal(p.message.text, '你好');
    assert.deepEqual(p.message.customer, { externalId: '0156256454', name: '张三' });
    assert.deepEqual(p.message.meta, { group: '钉钉群' });
    assert.deepEqual(p.message.route, { robotCode: 'dingrobot01', staffId: '0156256454', openConversationId: 'cidDKVAOW8yVWdxAqjpm4X9FA==',
      sessionWebhook: DOC_SAMPLE.sessionWebhook, sessionExpiresAt: 1700000000000 });
    assert.equal(p.message.sentAt?.getTime(), 1699998800000);
  });

  it('one-to-one, without a staffId (an outside user): keyed by senderId, no staffId for proactive sends', () => {
    const p = parseRobot(JSON.stringify({ ...DOC_SAMPLE, conversationType: '1', senderStaffId: undefined }));
    assert.equal(p.kind === 'message' && p.message.ref.thread, 'u:$:LWCP_v1:$4Ouc4Kn4Y1dZhd8A4QZ1BQ==');
    assert.equal(p.kind === 'message' && p.message.route.staffId, undefined);
  });

  it('pictures, rich text, voice and files become downloads; the robot code falls back to the app\'s', () => {
    const pic = parseRobot(JSON.stringify({ ...DOC_SAMPLE, robotCode: undefined, msgtype: 'picture', text: undefined, content: { pictureDownloadCode: 'pdc', downloadCode: 'dc' } }), 'dingfallback');
    assert.equal(pic.kind === 'message' && pic.message.robotCode, 'dingfallback');
    assert.deepEqual(pic.kind === 'message' && pic.message.downloads, [{ code: 'dc', name: 'picture.png' }]);
    const rich = parseRobot(JSON.stringify({ ...DOC_SAMPLE, msgtype: 'richText', content: { richText: [{ text: 'a ' }, { type: 'picture', downloadCode: 'x1' }, { text: 'b' }, { type: 'picture', pictureDownloadCode: 'x2' }] } }));
    assert.deepEqual(rich.kind === 'message' && [rich.message.text, rich.message.downloads.map((d) => d.code)], ['a b', ['x1', 'x2']]);
    const voice = parseRobot(JSON.stringify({ ...DOC_SAMPLE, msgtype: 'audio', content: { downloadCode: 'v1', recognition: '查订单' } }));
    assert.equal(voice.kind === 'message' && voice.message.text, '[voice] 查订单');
    const file = parseRobot(JSON.stringify({ ...DOC_SAMPLE, msgtype: 'file', content: { downloadCode: 'f1', fileName: '../../etc/passwd' } }));
    assert.equal(file.kind === 'message' && file.message.downloads[0].name, '.._.._etc_passwd');
  });

  it('a message kefu cannot show (a new msgtype, a picture without a readable download code) reaches the agent as a note', () => {
    const card = parseRobot(JSON.stringify({ ...DOC_SAMPLE, msgtype: 'chatRecord', text: undefined }));
    assert.deepEqual(card.kind === 'message' && [card.message.msgId, card.message.text, card.message.downloads],
      [DOC_SAMPLE.msgId, '[A "chatRecord" message: kefu cannot show it]', []]);
    const pic = parseRobot(JSON.stringify({ ...DOC_SAMPLE, msgtype: 'picture', text: undefined, content: { downloadCode: 'x'.repeat(3000) } }));
    assert.equal(pic.kind === 'message' && pic.message.text, '[A "picture" message: kefu cannot show it]');
    const odd = parseRobot(JSON.stringify({ ...DOC_SAMPLE, msgtype: { evil: true }, text: undefined }));
    assert.equal(odd.kind === 'message' && odd.message.text, '[A message of a kind kefu does not know: kefu cannot show it]');
  });

  it('unsupported and invalid payloads are results, not throws', () => {
    assert.equal(parseRobot(JSON.stringify({ ...DOC_SAMPLE, isInAtList: false })).kind, 'unsupported');
    assert.equal(parseRobot(JSON.stringify({ ...DOC_SAMPLE, text: { content: '   ' } })).kind, 'unsupported');
    for (const bad of ['', 'null', '[]', '{"msgId":1}', JSON.stringify({ ...DOC_SAMPLE, msgId: 'a b' }), JSON.stringify({ ...DOC_SAMPLE, conversationType: '3' }),
      JSON.stringify({ ...DOC_SAMPLE, senderStaffId: 5, senderId: undefined }), JSON.stringify({ ...DOC_SAMPLE, robotCode: 7 })]) {
      assert.equal(parseRobot(bad).kind, 'invalid', bad);
    }
  });
});

describe('dingtalk verify', () => {
  const secret = 'this-is-the-app-secret';
  it('matches DingTalk\'s formula, base64(HMAC-SHA256(secret, timestamp + "\\n" + secret))', () => {
    const ts = '1700000000000';
    assert.equal(sign(secret, ts), createHmac('sha256', secret).update(`${ts}\n${secret}`).digest('base64'));
    assert.equal(verifyCallback(secret, ts, sign(secret, ts), 1700000000000 + 3_599_000), true);
  });
  it('refuses a wrong secret, a stale or future timestamp (1 h), and malformed headers', () => {
    const ts = '1700000000000';
    const now = 1700000000000;
    assert.equal(verifyCallback('another-secret', ts, sign(secret, ts), now), false);
    assert.equal(verifyCallback(secret, ts, sign(secret, ts), now + 3_600_001), false);
    assert.equal(verifyCallback(secret, ts, sign(secret, ts), now - 3_600_001), false);
    assert.equal(verifyCallback(secret, undefined, sign(secret, ts), now), false);
    assert.equal(verifyCallback(secret, ts, undefined, now), false);
    assert.equal(verifyCallback(secret, '17e11', sign(secret, '17e11'), now), false);
    assert.equal(verifyCallback(secret, ts, sign(secret, ts).slice(1), now), false);
  });
});

describe('dingtalk replies and config', () => {
  const msg = (role: 'agent' | 'bot', text: string): Message => ({ id: 'M1', seq: 1, conversationId: 'C1', direction: 'outbound', from: { id: 'x', role }, content: { kind: 'text', text }, sentAt: new Date() });
  it('markdown only for a bot\'s formatted answer; agents\' text stays plain', () => {
    assert.deepEqual(partsOf(msg('bot', '**Returns**: within 7 days')), [{ kind: 'reply', reply: { kind: 'markdown', title: 'Returns: within 7 days', text: '**Returns**: within 7 days' } }]);
    assert.deepEqual(partsOf(msg('agent', '**Returns**: within 7 days')), [{ kind: 'reply', reply: { kind: 'text', text: '**Returns**: within 7 days' } }]);
    assert.deepEqual(partsOf(msg('bot', 'plain answer')), [{ kind: 'reply', reply: { kind: 'text', text: 'plain answer' } }]);
    assert.deepEqual(partsOf(msg('agent', '   ')), []);
    assert.equal(titleOf('# A very long heading that goes on and on and on'), 'A very long heading that goes…');
    assert.equal(fileTypeOf({ kind: 'file', mediaId: 'm', mime: 'application/pdf', size: 1, name: 'Invoice.PDF' }), 'pdf');
    assert.equal(fileTypeOf({ kind: 'file', mediaId: 'm', mime: 'application/pdf', size: 1, name: 'noext' }), 'pdf');
  });

  it('config: top-level app plus [[apps]], robot code defaulting to the client id; duplicates and missing secrets refused', () => {
    const c = configSchema.parse({ client_id: 'dingtop1', client_secret: 'secret-top-1', apps: [{ name: 'b', client_id: 'dingb222', client_secret: 'secret-b-22', mode: 'http', robot_code: 'robotB' }] });
    assert.deepEqual(appsOf(c).map((a) => [a.name, a.robot_code, a.mode]), [['default', 'dingtop1', 'stream'], ['b', 'robotB', 'http']]);
    assert.equal(configSchema.safeParse({ client_id: 'dingtop1' }).success, false);
    assert.equal(configSchema.safeParse({}).success, false);
    assert.equal(configSchema.safeParse({ client_id: 'dingtop1', client_secret: 'secret-top-1', apps: [{ client_id: 'dingtop1', client_secret: 'secret-2222' }] }).success, false);
  });

  it('health: the worst app is shown, named, with why kefu dropped its socket until it is connected again', () => {
    const seen: string[] = [];
    const h = new AppsHealth((s, d) => seen.push(`${s} ${d}`));
    let why: string | undefined;
    const a = h.forApp('a', () => why);
    const b = h.forApp('b', () => undefined);
    a('connected'); b('connected');
    why = 'no frames for 31 s (half-dead socket)';
    a('degraded', 'connection closed; reconnecting');
    a('connecting', 'attempt 2');
    why = undefined;
    a('connected');
    assert.deepEqual(seen, ['connected a', 'connected a (2/2 apps connected)',
      'degraded a: no frames for 31 s (half-dead socket); reconnecting (1/2 apps connected)',
      'connecting a: attempt 2 (last: no frames for 31 s (half-dead socket)) (1/2 apps connected)', 'connected a (2/2 apps connected)']);
  });
});

describe('dingtalk: the survey card\'s click (parseCardClick)', () => {
  const click = (o: Record<string, unknown>, content: unknown = { cardPrivateData: { actionIds: ['rate'], params: { rating: '5' } } }) =>
    parseCardClick(JSON.stringify({ outTrackId: 'kefu-csat-M1', userId: 'manager4711', content: JSON.stringify(content), ...o }));
  it('reads the rating from params.rating or an action id rate_<n>; anything else is ignored, never thrown', () => {
    assert.deepEqual(click({}), { kind: 'rating', outTrackId: 'kefu-csat-M1', userId: 'manager4711', rating: 5 });
    assert.equal((click({}, { cardPrivateData: { actionIds: ['rate_3'], params: {} } }) as { rating: number }).rating, 3);
    for (const c of [{ cardPrivateData: { params: { rating: '6' } } }, { cardPrivateData: { params: { rating: '4.5' } } }, {}, 'x']) assert.equal(click({}, c).kind, 'ignored', JSON.stringify(c));
    assert.equal(click({ outTrackId: undefined }).kind, 'ignored');
    assert.equal(click({ userId: 'a b' }).kind, 'ignored');
    assert.equal(parseCardClick('not json').kind, 'ignored');
    assert.equal(parseCardClick('null').kind, 'ignored');
  });
});
