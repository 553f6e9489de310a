import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../../core/cli/kefu.js', import.meta.url));

describe('kefu CLI', () => {
  let dir: string;
  const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: dir, encoding: 'utf8', env: { ...process.env, KEFU_CONFIG: '' } });
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'kefu-cli-'));
    mkdirSync(join(dir, 'config'));
    writeFileSync(join(dir, 'config', 'kefu.toml'), '[store]\npath = "./data/kefu.db"\n');
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('--help everywhere', () => {
    for (const args of [['--help'], ['start', '--help'], ['agent', '--help'], ['config', '--help']]) {
      const r = run(...args);
      assert.equal(r.status, 0, args.join(' '));
      assert.match(r.stdout, /Usage/);
    }
    assert.equal(run('bogus').status, 1);
  });

  it('agent add | list | disable | enable', () => {
    const add = run('agent', 'add', '--login', 'alice', '--name', 'Alice Chen', '--password', 'alice-pass-1', '--capacity', '3', '--skills', 'order,after_sales');
    assert.equal(add.status, 0, add.stderr);
    assert.match(add.stdout, /added agent alice \(capacity 3\)/);
    const gen = run('agent', 'add', '--login', 'bob');
    assert.match(gen.stdout, /password: \S{12,}/, 'a generated password is printed once');
    const dup = run('agent', 'add', '--login', 'alice', '--password', 'whatever-1');
    assert.equal(dup.status, 1);
    assert.match(dup.stderr, /conflict/);
    assert.equal(run('agent', 'disable', 'alice').status, 0);
    const list = run('agent', 'list');
    assert.match(list.stdout, /alice\tAlice Chen\tagent\t3\torder,after_sales\tdisabled/);
    assert.match(list.stdout, /bob\tbob\tagent\t5\t\*\tactive/);
    assert.equal(run('agent', 'enable', 'alice').status, 0);
    assert.match(run('agent', 'list').stdout, /alice.*active/);
    assert.equal(run('agent', 'disable', 'nobody').status, 1);
  });

  it('config check: OK for a valid file, every problem for an invalid one', () => {
    const ok = run('config', 'check', 'config/kefu.toml');
    assert.equal(ok.status, 0);
    assert.match(ok.stdout, /OK/);
    writeFileSync(join(dir, 'bad.toml'), '[server]\npublic_port = 99999\n[routing]\ndefault_capacity = 0\n');
    const bad = run('config', 'check', 'bad.toml');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /server\.public_port/);
    assert.match(bad.stderr, /routing\.default_capacity/);
  });
});
