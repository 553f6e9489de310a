import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockDatabase } from '../../../core/store/lock-file.js';

describe('database lock (one gateway per database file)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'kefu-lock-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the lock (creating the directory), and releases it', () => {
    const db = join(dir, 'data', 'kefu.db');
    const release = lockDatabase(db);
    assert.equal(readFileSync(`${db}.lock`, 'utf8'), String(process.pid));
    release();
    assert.equal(existsSync(`${db}.lock`), false);
  });

  it('refuses a database a live process holds, naming the pid', async () => {
    const db = join(dir, 'kefu.db');
    const other = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)']);
    try {
      writeFileSync(`${db}.lock`, String(other.pid));
      assert.throws(() => lockDatabase(db), new RegExp(`in use by another kefu gateway \\(pid ${other.pid}\\)`));
    } finally {
      other.kill();
    }
  });

  it('takes over a stale lock whose process is gone (kill -9, power loss)', () => {
    const db = join(dir, 'kefu.db');
    const gone = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    writeFileSync(`${db}.lock`, gone.stdout.trim());
    const release = lockDatabase(db);
    assert.equal(readFileSync(`${db}.lock`, 'utf8'), String(process.pid));
    release();
  });
});
