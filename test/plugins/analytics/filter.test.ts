import assert from 'node:assert/strict';
import { compileFilter, FilterError } from '../../../plugins/analytics/filter.js';

const row = { session_duration_s: '45', channel: 'wechat', message_count: '4', intent: '物流', role: 'customer', handed_off: 'true', text: '我的快递到哪了', intent_score: '0.91' };

describe('analyze --filter expressions', () => {
  it('Chinese and English field names, units, and/or/not, in (…)', () => {
    const t = (e: string) => compileFilter(e)(row);
    assert.equal(t('会话时长>30s'), true);
    assert.equal(t('duration>=2m'), false);
    assert.equal(t('duration<1分钟'), true);
    assert.equal(t('渠道=wechat'), true);
    assert.equal(t('消息数>=3 and 意图!=问候'), true);
    assert.equal(t('channel in (web,sms)'), false);
    assert.equal(t('channel in (web, wechat)'), true);
    assert.equal(t('not (channel=web or channel=sms) and 转人工=是'), true);
    assert.equal(t('text~快递 and score>0.9'), true);
    assert.equal(t('intent="物流"'), true);
    assert.equal(t(''), true);
  });

  it('errors say where and what', () => {
    const err = (e: string, pos: number, re: RegExp) => assert.throws(() => compileFilter(e), (x: FilterError) => {
      assert.ok(x instanceof FilterError);
      assert.equal(x.position, pos, x.message);
      assert.match(x.message, re);
      return true;
    });
    err('会话时长>', 6, /expected a value/);
    err('colour=red', 1, /unknown field "colour"/);
    err('duration>30x', 10, /"30x" is not a number/);
    err('channel>web', 8, /needs a number field/);
    err('channel in (web', 16, /expected "\)"/);
    err('channel=web channel=sms', 13, /expected "and", "or" or the end/);
    err('text="abc', 6, /unterminated string/);
    err('消息数=3m', 5, /units only apply to durations/);
  });
});
