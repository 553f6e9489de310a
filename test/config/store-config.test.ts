import assert from 'node:assert/strict';
import { ConfigError, parseConfig } from '../../config/load.js';

describe('config: [store] driver', () => {
  it('sqlite by default; mongodb with a mongodb:// or mongodb+srv:// url and a database', () => {
    const d = parseConfig('', 'k.toml').store;
    assert.deepEqual([d.driver, d.url, d.database], ['sqlite', '', 'kefu']);
    const m = parseConfig('[store]\ndriver = "mongodb"\nurl = "mongodb://db1:27017,db2:27017/?replicaSet=rs0"\ndatabase = "kefu_prod"\n', 'k.toml').store;
    assert.deepEqual([m.driver, m.database], ['mongodb', 'kefu_prod']);
    assert.equal(parseConfig('[store]\ndriver = "mongodb"\nurl = "mongodb+srv://cluster0.example.net"\n', 'k.toml').store.database, 'kefu');
  });

  it('the url from the environment (KEFU_STORE__URL), so a password need not be in the file', () => {
    const cfg = parseConfig('[store]\ndriver = "mongodb"\n', 'k.toml', { KEFU_STORE__URL: 'mongodb://kefu:s3cret@db:27017' });
    assert.equal(cfg.store.url, 'mongodb://kefu:s3cret@db:27017');
  });

  it('refuses mongodb without a url, a url of another scheme, and database names MongoDB refuses, naming the key', () => {
    const problems = (toml: string) => {
      try { parseConfig(toml, 'k.toml'); } catch (e) { assert.ok(e instanceof ConfigError); return e.problems; }
      assert.fail('accepted');
    };
    assert.ok(problems('[store]\ndriver = "mongodb"\n').some((p) => p.startsWith('store.url:')));
    assert.ok(problems('[store]\ndriver = "mongodb"\nurl = "http://db"\n').some((p) => p.startsWith('store.url:')));
    for (const name of ['a.b', 'a/b', 'a b', '', 'x'.repeat(64)]) {
      assert.ok(problems(`[store]\ndriver = "mongodb"\nurl = "mongodb://db"\ndatabase = "${name}"\n`).some((p) => p.startsWith('store.database:')), name);
    }
    assert.throws(() => parseConfig('[store]\ndriver = "postgres"\n', 'k.toml'), /store\.driver/);
  });
});
