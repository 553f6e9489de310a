import assert from 'node:assert/strict';
import { idTimePrefix, newId } from '../../core/model/ids.js';

describe('ids', () => {
  it('are prefix + 10 time chars + 12 random chars of Crockford base32, strictly increasing', () => {
    const ids = Array.from({ length: 20_000 }, () => newId('M'));
    for (const id of ids) assert.match(id, /^M[0-9A-HJKMNP-TV-Z]{22}$/);
    for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] < ids[i], `${ids[i - 1]} < ${ids[i]}`);
    assert.equal(new Set(ids).size, ids.length);
  });

  it('sort by the millisecond they were minted in (idTimePrefix bounds them)', async () => {
    const before = Date.now();
    const id = newId();
    await new Promise((r) => setTimeout(r, 5));
    const later = newId();
    assert.ok(`${idTimePrefix(before)}` <= id && id < idTimePrefix(Date.now() + 1));
    assert.ok(id.slice(0, 10) < later.slice(0, 10), 'a later millisecond has a larger time part');
    assert.equal(idTimePrefix(0), '0000000000');
    assert.equal(idTimePrefix(32 ** 2 + 1), '0000000101');
  });
});
