import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real redis-server (the Debian package) for the cluster tests: loopback, a free port, a temp
 * dir, no persistence (`--save ''`, so a restart comes back empty, as a crashed Redis without AOF
 * does). stop() and start() take it down and bring it back on the same port, for outage tests.
 * Without the binary `skip` says how to get it, and the suites skip loudly instead of passing.
 */
export interface TestRedis {
  port: number;
  url: string;
  /** Stops the server (SIGTERM); clients see the connection drop. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
  /** Stops it and removes its dir. */
  close(): Promise<void>;
}

const BINARY = process.env.KEFU_REDIS_SERVER ?? '/usr/bin/redis-server';

export async function startRedis(): Promise<TestRedis | { skip: string }> {
  if (!existsSync(BINARY)) return { skip: `no ${BINARY}: apt-get install redis-server (or set KEFU_REDIS_SERVER)` };
  const dir = mkdtempSync(join(tmpdir(), 'kefu-redis-'));
  let proc: ChildProcess | undefined;
  let port = 0;
  // A port found free can be taken before redis binds it: try a few.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      proc = await launch(dir, port);
      break;
    } catch (err) {
      if (attempt >= 4) { rmSync(dir, { recursive: true, force: true }); throw err; }
    }
  }
  // A test process that ends without close() (a failed hook, mocha --exit) must not leave a server behind.
  const orphaned = () => { proc?.kill('SIGKILL'); rmSync(dir, { recursive: true, force: true }); };
  process.once('exit', orphaned);
  const stop = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
  };
  return {
    port, url: `redis://127.0.0.1:${port}`, stop,
    async start() { if (!proc) proc = await launch(dir, port); },
    async close() { await stop(); process.off('exit', orphaned); rmSync(dir, { recursive: true, force: true }); },
  };
}

async function launch(dir: string, port: number): Promise<ChildProcess> {
  const proc = spawn(BINARY, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no',
    '--protected-mode', 'no', '--loglevel', 'warning'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
  const exited = new Promise<never>((_, rej) => proc.once('exit', (code) => rej(new Error(`redis-server exited (${code}): ${stderr.trim()}`))));
  exited.catch(() => undefined);
  const end = Date.now() + 10_000;
  while (!(await pong(port))) {
    if (proc.exitCode !== null) await exited;
    if (Date.now() > end) { proc.kill('SIGKILL'); throw new Error(`redis-server on port ${port} did not answer PING`); }
    await new Promise((r) => setTimeout(r, 25));
  }
  return proc;
}

function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ port, host: '127.0.0.1' });
    let got = '';
    s.on('connect', () => s.write('PING\r\n'));
    s.on('data', (d) => { got += d.toString(); if (got.includes('\r\n')) { s.destroy(); resolve(got.startsWith('+PONG')); } });
    s.on('error', () => resolve(false));
    s.setTimeout(1000, () => { s.destroy(); resolve(false); });
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
