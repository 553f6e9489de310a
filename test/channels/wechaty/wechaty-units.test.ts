import assert from 'node:assert/strict';
import { parse, peerOfThread, scanText } from '../../../channels/wechaty/parse.js';
import { puppetProblem } from '../../../channels/wechaty/verify.js';
import { configSchema } from '../../../channels/wechaty/types.js';
import { installCommand, loadWechaty } from '../../../channels/wechaty/api.js';

const talker = { id: 'wxid_abc123', name: 'Wang' };
const msg = (o: object) => ({ id: 'm1', type: 7, text: 'hi', self: false, talker, ...o });
const room = (o: object = {}) => ({ id: '20211212@chatroom', topic: 'VIP 群', mentionSelf: true, mentionText: 'refund please', ...o });

describe('wechaty parse (pure: a message snapshot → what kefu stores)', () => {
  it('a 1:1 text: thread c:<contact id>, the puppet message id as source id, the contact as customer', () => {
    assert.deepEqual(parse(msg({ text: '你好' })), { kind: 'message', sourceId: 'm1', thread: 'c:wxid_abc123', image: false, text: '你好',
      peer: { type: 'contact', id: 'wxid_abc123', name: 'Wang' }, customer: { externalId: 'c:wxid_abc123', name: 'Wang' } });
    assert.equal((parse(JSON.stringify(msg({}))) as { text: string }).text, 'hi', 'its JSON parses the same');
  });

  it('the account\'s own messages and empty texts are ignored, not stored', () => {
    assert.deepEqual(parse(msg({ self: true })), { kind: 'ignored', reason: 'sent by this account' });
    assert.equal(parse(msg({ text: '  ' })).kind, 'ignored');
  });

  it('groups: one conversation per group named by its topic; mentions mode drops lines without a mention, all mode keeps them, with the writer', () => {
    const mentioned = parse(msg({ text: '@KefuBot refund please', room: room() }));
    assert.equal(mentioned.kind, 'message');
    if (mentioned.kind !== 'message') return;
    assert.equal(mentioned.thread, 'r:20211212@chatroom');
    assert.equal(mentioned.text, 'Wang: refund please', 'the @mention is taken out');
    assert.deepEqual(mentioned.customer, { externalId: 'r:20211212@chatroom', name: 'VIP 群' });
    const plain = msg({ text: 'anyone?', room: room({ mentionSelf: false, mentionText: 'anyone?' }) });
    assert.equal(parse(plain).kind, 'ignored');
    assert.equal((parse(plain, { groupMode: 'all', maxChars: 4000 }) as { text: string }).text, 'Wang: anyone?');
    assert.equal((parse(msg({ type: 6, text: '', room: room({ mentionSelf: false }) }), { groupMode: 'all', maxChars: 4000 }) as { text: string }).text, 'Wang sent an image');
  });

  it('every other kind becomes a placeholder; WeChat notices keep their prose, never raw XML', () => {
    const text = (o: object) => (parse(msg(o)) as { text: string }).text;
    assert.equal(text({ type: 2 }), '[voice message — open WeChat to listen]');
    assert.equal(text({ type: 13, text: 'm0' }), '[the sender recalled a message]');
    assert.equal(text({ type: 11 }), '[money transfer — open WeChat to see it]');
    assert.equal(text({ type: 0, text: 'Li joined the group chat' }), '[WeChat notice: Li joined the group chat]');
    assert.equal(text({ type: 0, text: '<msg><appmsg/></msg>' }), '[a message kind kefu cannot show — open WeChat]');
    assert.equal(text({ type: 99 }), '[a message kind kefu cannot show — open WeChat]');
    assert.deepEqual([text({ type: 6, text: '' }), (parse(msg({ type: 6, text: '' })) as { image: boolean }).image], ['', true], 'an image: fetched by the adapter, no text');
  });

  it('long texts are cut to max_text_chars (a refusal would lose the message), names and ids bounded', () => {
    const p = parse(msg({ text: 'x'.repeat(5000) }), { groupMode: 'mentions', maxChars: 100 }) as { text: string };
    assert.equal(p.text.length, 100);
    assert.match(p.text, /…\[truncated\]$/);
    assert.equal((parse(msg({ talker: { id: 'wxid_1', name: 'n'.repeat(500) } })) as { customer: { name: string } }).customer.name.length, 100);
    assert.equal(parse(msg({ id: 'has space' })).kind, 'invalid');
    assert.equal(parse(msg({ talker: { id: '' } })).kind, 'invalid');
    assert.equal(parse(msg({ room: { id: 5 } })).kind, 'invalid');
    for (const junk of ['', 'null', '[]', '{"id":1}', '{"id":"m","type":"7"}', 'not json']) assert.equal(parse(junk).kind, 'invalid', junk);
  });

  it('threads map back to whom to send to; scan states read as sentences', () => {
    assert.deepEqual(peerOfThread('c:wxid_abc'), { type: 'contact', id: 'wxid_abc' });
    assert.deepEqual(peerOfThread('r:1@chatroom'), { type: 'room', id: '1@chatroom' });
    assert.equal(peerOfThread('x:1'), undefined);
    assert.equal(peerOfThread('c:'), undefined);
    assert.equal(scanText(2), 'waiting for a scan');
    assert.equal(scanText(3), 'scanned: confirm the login on the phone');
    assert.equal(scanText(5), 'expired: a new code follows');
  });
});

describe('wechaty verify and config', () => {
  const c = (o: object) => ({ puppet: 'wechaty-puppet-wechat4u', puppet_options: {}, ...o });

  it('only wechaty puppet packages are loaded; the service puppet needs a token; the token is never echoed', () => {
    assert.equal(puppetProblem(c({}), {}), undefined);
    assert.equal(puppetProblem(c({ puppet: '@juzi/wechaty-puppet-service', token: 'puppet_workpro_0123456789' }), {}), undefined);
    assert.match(puppetProblem(c({ puppet: 'child_process' }), {})!, /not a wechaty-puppet-… package name/);
    assert.match(puppetProblem(c({ puppet: 'wechaty-puppet-service' }), {})!, /needs a token/);
    assert.equal(puppetProblem(c({ puppet: 'wechaty-puppet-service' }), { WECHATY_PUPPET_SERVICE_TOKEN: 'puppet_padlocal_abcdef' }), undefined);
    const bad = puppetProblem(c({ token: 'has a space in it' }), {})!;
    assert.match(bad, /printable characters/);
    assert.doesNotMatch(bad, /has a space/);
  });

  it('the config slice: puppet required and named like a puppet, group_mode mentions by default, unknown keys refused', () => {
    const ok = configSchema.parse({ enabled: true, puppet: 'wechaty-puppet-wechat4u' });
    assert.equal(ok.group_mode, 'mentions');
    assert.deepEqual(ok.puppet_options, {});
    assert.equal(configSchema.safeParse({ enabled: true }).success, false);
    assert.equal(configSchema.safeParse({ puppet: 'lodash' }).success, false);
    assert.equal(configSchema.safeParse({ puppet: 'wechaty-puppet-mock', group_mode: 'some' }).success, false);
    assert.equal(configSchema.safeParse({ puppet: 'wechaty-puppet-mock', tokn: 'x' }).success, false);
  });

  it('a package that is not installed fails with the exact install command', async () => {
    assert.equal(installCommand('wechaty-puppet-wechat4u'), 'npm install wechaty wechaty-puppet-wechat4u');
    await assert.rejects(loadWechaty('wechaty-puppet-not-there'), /install it next to kefu with: npm install wechaty wechaty-puppet-not-there/);
  });
});
