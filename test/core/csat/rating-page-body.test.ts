import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { readForm } from '../../../core/csat/rating-page.js';
import { KefuError } from '../../../core/errors.js';

/** The rating page's form body: only a body over the limit is "too long"; anything else unreadable is a bad request. */
describe('CSAT rating page: reading the form body (units)', () => {
  const code = async (p: Promise<unknown>) => {
    try { await p; } catch (err) { assert.ok(err instanceof KefuError, String(err)); return [err.code, err.status]; }
    return 'read';
  };

  it('reads a short form', async () => {
    const s = new PassThrough();
    s.end('rating=4&comment=ok');
    assert.equal(await readForm(s, '19'), 'rating=4&comment=ok');
  });

  it('a body over the limit is payload_too_large (413)', async () => {
    const s = new PassThrough();
    s.end('x'.repeat(9000));
    assert.deepEqual(await code(readForm(s, undefined)), ['payload_too_large', 413]);
    const declared = new PassThrough();
    assert.deepEqual(await code(readForm(declared, '20000')), ['payload_too_large', 413], 'refused on the declared length alone');
  });

  it('a client that goes away mid-body, or sends fewer bytes than it declared, is bad_request (400), not too long', async () => {
    const aborted = new PassThrough();
    const p = readForm(aborted, '40');
    aborted.write('rating=');
    aborted.emit('aborted');
    assert.deepEqual(await code(p), ['bad_request', 400]);

    const short = new PassThrough();
    short.end('rating=3');
    assert.deepEqual(await code(readForm(short, '40')), ['bad_request', 400]);

    const broken = new PassThrough();
    const q = readForm(broken, undefined);
    broken.destroy(new Error('ECONNRESET'));
    assert.deepEqual(await code(q), ['bad_request', 400]);
  });
});
