import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cleanComment, parseRatingReply, ratingValue } from '../../../core/csat/rating.js';
import { SurveyTokens } from '../../../core/csat/survey-token.js';

describe('CSAT rating replies and survey tokens (units)', () => {
  it('reads a digit 1–5 first, with an optional comment, in the forms customers type', () => {
    const cases: [string, number | undefined, string?][] = [
      ['5', 5], [' 4 ', 4], ['3/5', 3], ['4分', 4], ['5星', 5], ['2 stars', 2], ['５', 5], ['五', 5], ['三，还行', 3, '还行'],
      ['4 slow but fine', 4, 'slow but fine'], ['1: never again!', 1, 'never again!'], ['5，谢谢', 5, '谢谢'], ['2\nline two', 2, 'line two'],
      ['0', undefined], ['6', undefined], ['10', undefined], ['45 minutes late', undefined], ['hello', undefined], ['', undefined],
      ['5x', undefined], ['4.5', undefined], ['-3', undefined],
    ];
    for (const [text, rating, comment] of cases) {
      const r = parseRatingReply(text);
      assert.deepEqual(r, rating === undefined ? undefined : comment ? { rating, comment } : { rating }, JSON.stringify(text));
    }
    for (const x of [undefined, null, 5, {}, 'x'.repeat(30_000)]) assert.equal(parseRatingReply(x), undefined);
  });

  it('comments are trimmed, bounded and free of control characters; form values are integers 1–5 only', () => {
    assert.equal(cleanComment('  ok\u0000\u0007 '), 'ok');
    assert.equal(cleanComment('   '), undefined);
    assert.equal(cleanComment('y'.repeat(5000))!.length, 1000);
    assert.deepEqual([ratingValue('3'), ratingValue(' 5 '), ratingValue('0'), ratingValue('3.0'), ratingValue('x'), ratingValue(4), ratingValue(4.5)], [3, 5, undefined, undefined, undefined, 4, undefined]);
  });

  it('a token names its conversation, cannot be made without the secret, and is checked in full', () => {
    const t = new SurveyTokens(randomBytes(32));
    const token = t.make('C0123abc');
    assert.equal(t.verify(token), 'C0123abc');
    assert.equal(new SurveyTokens(randomBytes(32)).verify(token), undefined, 'another gateway\'s secret');
    assert.equal(t.verify(token.slice(0, -1)), undefined);
    assert.equal(t.verify(token.replace('C0123abc', 'C0123abd')), undefined);
    for (const bad of ['', '.', 'C1.', '.abc', 'a/b.c', 'x'.repeat(200), 42, undefined]) assert.equal(t.verify(bad), undefined, String(bad));
  });
});
