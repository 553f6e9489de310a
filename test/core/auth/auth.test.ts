import assert from 'node:assert/strict';
import { hashPassword, safeEqual, verifyPassword } from '../../../core/auth/passwords.js';
import { VisitorTokens } from '../../../core/auth/visitor-token.js';

describe('auth', () => {
  it('scrypt hashes verify and differ per salt', async () => {
    const a = await hashPassword('correct horse');
    const b = await hashPassword('correct horse');
    assert.notEqual(a, b);
    assert.match(a, /^scrypt\$32768\$8\$1\$/);
    assert.equal(await verifyPassword('correct horse', a), true);
    assert.equal(await verifyPassword('wrong horse', a), false);
  });

  it('visitor tokens: round trip, tamper, expiry, wrong secret', () => {
    const t = new VisitorTokens(Buffer.alloc(32, 1), 60);
    const { token, visitorId } = t.issue(undefined, 1_000_000);
    assert.equal(t.verify(token, 1_000_000), visitorId);
    assert.equal(t.verify(token.replace(visitorId, 'vAAAAAAAAAAAA'), 1_000_000), undefined);
    assert.equal(t.verify(token, 1_000_000 + 61_000), undefined);
    assert.equal(new VisitorTokens(Buffer.alloc(32, 2), 60).verify(token, 1_000_000), undefined);
    assert.equal(t.verify({} as never), undefined);
    assert.equal(t.issue(visitorId).visitorId, visitorId, 'refresh keeps the identity');
  });

  it('visitor tokens: verified tokens are remembered (bounded) and still expire; forgeries never hit the cache', () => {
    const t = new VisitorTokens(Buffer.alloc(32, 1), 60, 2);
    const issued = [1, 2, 3].map(() => t.issue(undefined, 1_000_000));
    for (let round = 0; round < 2; round++) for (const { token, visitorId } of issued) assert.equal(t.verify(token, 1_000_000), visitorId);
    const { token } = issued[2];
    assert.equal(t.verify(token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA'), 1_000_000), undefined, 'a wrong signature');
    assert.equal(t.verify(token, 1_000_000 + 61_000), undefined, 'expired while cached');
    assert.equal(t.verify(token, 1_000_000), issued[2].visitorId, 'after expiry eviction it verifies afresh');
  });

  it('safeEqual', () => {
    assert.equal(safeEqual('abc', 'abc'), true);
    assert.equal(safeEqual('abc', 'abd'), false);
    assert.equal(safeEqual('abc', 'abcd'), false);
  });
});
