// Cold start: process start → first 200 from /healthz on the workspace port, with the default
// config (fresh data dir each run), median of N, next to a bare node:http hello world.
// Usage: node bench/coldstart.mjs [runs=5]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 5);
const root = fileURLToPath(new URL('..', import.meta.url));
const BARE = `require('http').createServer((q,s)=>s.end('ok')).listen(process.env.PORT,'127.0.0.1')`;

async function measure(args, port, env = {}, cwd = root) {
  const t0 = performance.now();
  const child = spawn(process.execPath, args, { cwd, env: { ...process.env, ...env }, stdio: 'ignore' });
  try {
    for (;;) {
      try {
        const r = await fetch(`http://127.0.0.1:${port}/healthz`);
        if (r.status === 200) return performance.now() - t0;
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 2));
      if (performance.now() - t0 > 20_000) throw new Error('no /healthz within 20 s');
    }
  } finally {
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const bare = [], kefu = [];
for (let i = 0; i < runs; i++) {
  bare.push(await measure(['-e', BARE], 19091, { PORT: '19091' }));
  const dir = mkdtempSync(join(tmpdir(), 'kefu-cold-'));
  kefu.push(await measure([join(root, 'dist/kefu.mjs'), 'start', '--config', join(root, 'config/kefu.toml')], 19092,
    { KEFU_SERVER__PUBLIC_PORT: '19093', KEFU_SERVER__WORKSPACE_PORT: '19092', KEFU_SERVER__HOST: '127.0.0.1', KEFU_SERVER__WORKSPACE_HOST: '127.0.0.1', KEFU_ADMIN_PASSWORD: 'bench-password' }, dir));
  rmSync(dir, { recursive: true, force: true });
}
const b = median(bare), k = median(kefu);
console.log(`coldstart (median of ${runs})  kefu ${k.toFixed(0)} ms   bare node:http ${b.toFixed(0)} ms   ratio ${(k / b).toFixed(2)}x`);
console.log(`  runs kefu: ${kefu.map((x) => x.toFixed(0)).join(', ')}  bare: ${bare.map((x) => x.toFixed(0)).join(', ')}`);
