import assert from 'node:assert/strict';
import { parseVisitorFrame } from '../../../channels/web/parse.js';

describe('web channel: parseVisitorFrame (pure)', () => {
  it('parses every frame type', () => {
    assert.deepEqual(parseVisitorFrame('{"type":"hello","token":"t","after":3,"queue":"order"}', 1000),
      { kind: 'frame', frame: { type: 'hello', token: 't', after: 3, queue: 'order' } });
    const send = parseVisitorFrame('{"type":"send","clientId":"abcdefgh1","text":"hi"}', 1000);
    assert.equal(send.kind, 'frame');
    assert.equal(parseVisitorFrame('{"type":"typing"}', 1000).kind, 'frame');
    assert.equal(parseVisitorFrame('{"type":"read","seq":4}', 1000).kind, 'frame');
  });

  it('never throws; returns catalogue codes for bad frames', () => {
    const cases: [string, string][] = [
      ['{nope', 'invalid_json'],
      ['[1,2]', 'validation_failed'],
      ['{"type":"send","clientId":"short","text":"x"}', 'validation_failed'],
      ['{"type":"send","clientId":"abcdefgh1","text":"x","attachments":[]}', 'validation_failed'],
      ['{"type":"hello","token":"t","queue":"../etc"}', 'validation_failed'],
      ['{"type":"hello","token":"t","after":-1}', 'validation_failed'],
      ['{"type":"explode"}', 'validation_failed'],
      ['x'.repeat(2000), 'payload_too_large'],
    ];
    for (const [raw, code] of cases) {
      const r = parseVisitorFrame(raw, 1000);
      assert.equal(r.kind, 'invalid', raw);
      assert.equal(r.kind === 'invalid' && r.code, code, raw);
    }
    const withId = parseVisitorFrame('{"type":"send","clientId":"abcdefgh1"}', 1000);
    assert.equal(withId.kind === 'invalid' && withId.clientId, 'abcdefgh1', 'errors name the clientId so the widget marks the right bubble');
  });
});
