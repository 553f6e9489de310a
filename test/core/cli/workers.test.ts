import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../../../config/load.js';
import { checkWorkers, workerCount } from '../../../core/cli/workers.js';

const CLI = fileURLToPath(new URL('../../../core/cli/kefu.js', import.meta.url));
const cfg = (toml: string) => parseConfig(toml, 'test.toml');
const CLUSTER = '[cluster]\nredis_url = "redis://127.0.0.1:1"\n[store]\ndriver = "mongodb"\nurl = "mongodb://127.0.0.1:1"\n';

describe('kefu start --workers: what it needs', () => {
  it('the flag wins over [cluster] workers; bad values are refused', () => {
    assert.equal(workerCount(undefined, cfg('')), 1);
    assert.equal(workerCount(undefined, cfg('[cluster]\nworkers = 3\n')), 3);
    assert.equal(workerCount('2', cfg('[cluster]\nworkers = 3\n')), 2);
    for (const bad of ['0', '-1', '1.5', 'two', '65']) assert.throws(() => workerCount(bad, cfg('')), { code: 'validation_failed' }, bad);
  });

  it('more than one worker needs redis_url and the MongoDB store (stable code workers_need_cluster); one worker needs neither', () => {
    checkWorkers(cfg(''), 1);
    checkWorkers(cfg(CLUSTER), 4);
    assert.throws(() => checkWorkers(cfg(''), 2), (e: any) => e.code === 'workers_need_cluster' && /redis_url/.test(e.message) && /mongodb/.test(e.message));
    assert.throws(() => checkWorkers(cfg('[store]\ndriver = "mongodb"\nurl = "mongodb://x"\n'), 2), (e: any) => e.code === 'workers_need_cluster' && !/mongodb"/.test(e.message));
    assert.throws(() => checkWorkers(cfg('[cluster]\nredis_url = "redis://x"\n'), 2), (e: any) => e.code === 'workers_need_cluster' && /lock file/.test(e.message));
  });

  it('the CLI refuses before forking anything (exit 2), also in `kefu config check`', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kefu-workers-'));
    try {
      writeFileSync(join(dir, 'kefu.toml'), `[store]\npath = "${join(dir, 'kefu.db')}"\n[cluster]\nworkers = 2\n`);
      const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', timeout: 20_000 });
      for (const r of [run('start', '-c', 'kefu.toml'), run('start', '-c', 'kefu.toml', '--workers', '3'), run('config', 'check', 'kefu.toml')]) {
        assert.equal(r.status, 2, r.stderr);
        assert.match(r.stderr, /workers_need_cluster/);
      }
      const bad = run('start', '-c', 'kefu.toml', '--workers', 'many');
      assert.equal(bad.status, 1);
      assert.match(bad.stderr, /--workers must be an integer/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
