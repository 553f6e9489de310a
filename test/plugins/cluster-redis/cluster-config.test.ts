import assert from 'node:assert/strict';
import { parseConfig, ConfigError } from '../../../config/load.js';

const parse = (toml: string, env: NodeJS.ProcessEnv = {}) => parseConfig(toml, 'kefu.toml', env).cluster;

describe('[cluster] config', () => {
  it('single by default; redis_url alone turns cluster mode on (also from the environment); mode = "single" keeps it off', () => {
    assert.equal(parse('').mode, 'single');
    assert.equal(parse('[cluster]\nredis_url = "redis://127.0.0.1:6379"').mode, 'redis');
    assert.equal(parse('', { KEFU_CLUSTER__REDIS_URL: 'redis://:pw@redis:6379/0' }).mode, 'redis');
    assert.equal(parse('[cluster]\nmode = "single"\nredis_url = "redis://127.0.0.1:6379"').mode, 'single');
    assert.deepEqual(parse(''), { mode: 'single', redis_url: '', node_id: '', nodes: [], key_prefix: 'kefu:', lease_ttl_ms: 10_000, workers: 1 });
  });

  it('refuses mode = "redis" without a redis:// URL, a lease ttl under a second, odd node ids and prefixes', () => {
    for (const bad of ['[cluster]\nmode = "redis"', '[cluster]\nredis_url = "http://x"\nmode = "redis"', '[cluster]\nlease_ttl_ms = 10',
      '[cluster]\nnode_id = "a b"', '[cluster]\nkey_prefix = ""', '[cluster]\nmode = "sharded"']) {
      assert.throws(() => parse(bad), (e: unknown) => e instanceof ConfigError && e.problems.some((p) => p.startsWith('cluster.')), bad);
    }
  });
});
