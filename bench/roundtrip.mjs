// Message round trip visitor → agent over real WebSockets against a gateway in its own
// process (default config, fresh data dir, fsync on every group commit). Sequential sends:
// this is latency, not throughput. Usage: node bench/roundtrip.mjs [messages=1000]
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const N = Number(process.argv[2] ?? 1000);
const root = fileURLToPath(new URL('..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'kefu-rt-'));
const env = { ...process.env, KEFU_SERVER__PUBLIC_PORT: '19193', KEFU_SERVER__WORKSPACE_PORT: '19192', KEFU_SERVER__HOST: '127.0.0.1',
  KEFU_SERVER__WORKSPACE_HOST: '127.0.0.1', KEFU_ADMIN_PASSWORD: 'bench-password', KEFU_RATELIMIT__CUSTOMER_QUOTA: '0', KEFU_LOG__LEVEL: 'warn' };
const gw = spawn(process.execPath, [join(root, 'dist/kefu.mjs'), 'start', '--config', join(root, 'config/kefu.toml')], { cwd: dir, env, stdio: 'ignore' });
const pub = 'http://127.0.0.1:19193', ws9 = 'http://127.0.0.1:19192';
try {
  for (;;) { try { if ((await fetch(`${ws9}/healthz`)).ok) break; } catch {} await new Promise((r) => setTimeout(r, 20)); }
  const { token: agentToken } = await (await fetch(`${ws9}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'admin', password: 'bench-password' }) })).json();
  const agent = new WebSocket(`${ws9.replace('http', 'ws')}/ws/agent`, { headers: { Authorization: `Bearer ${agentToken}` } });
  await new Promise((r) => agent.once('open', r));
  const { token } = await (await fetch(`${pub}/v1/visitor/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).json();
  const visitor = new WebSocket(`${pub.replace('http', 'ws')}/ws/visitor`);
  await new Promise((r) => visitor.once('open', r));
  visitor.send(JSON.stringify({ type: 'hello', token }));
  const pending = new Map();
  agent.on('message', (d) => {
    const parsed = JSON.parse(d.toString());
    for (const f of parsed.type === 'batch' ? parsed.frames : [parsed]) {
      if (f.type === 'message' && f.message.direction === 'inbound') pending.get(f.message.sourceId)?.();
    }
  });
  const lat = [];
  for (let i = 0; i < N + 50; i++) {
    const clientId = `rt${String(i).padStart(8, '0')}`;
    const t0 = performance.now();
    await new Promise((res) => { pending.set(clientId, res); visitor.send(JSON.stringify({ type: 'send', clientId, text: `message ${i}` })); });
    pending.delete(clientId);
    if (i >= 50) lat.push(performance.now() - t0); // first 50 warm up
  }
  lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2);
  console.log(`round trip visitor → agent, ${N} sequential messages: mean ${(lat.reduce((a, b) => a + b, 0) / N).toFixed(2)} ms, p50 ${q(0.5)} ms, p99 ${q(0.99)} ms, max ${lat[N - 1].toFixed(2)} ms`);
  agent.close(); visitor.close();
} finally {
  gw.kill('SIGTERM');
  await new Promise((r) => gw.once('exit', r));
  rmSync(dir, { recursive: true, force: true });
}
