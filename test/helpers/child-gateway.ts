import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('../fixtures/gateway-child.js', import.meta.url));

/** A gateway in its own process (test/fixtures/gateway-child.ts) on `dir`, for tests that kill -9 it. */
export function startChild(dir: string, extra: string): Promise<{ proc: ChildProcess; url: string; workspace: string; exited: Promise<unknown> }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [CHILD, dir, extra], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, KEFU_ADMIN_PASSWORD: 'admin-password-1' } });
    const exited = new Promise((r) => proc.once('exit', r));
    proc.stdout!.once('data', (d) => {
      const { publicPort, workspacePort } = JSON.parse(d.toString());
      resolve({ proc, url: `http://127.0.0.1:${publicPort}`, workspace: `http://127.0.0.1:${workspacePort}`, exited });
    });
    void exited.then((code) => reject(new Error(`child exited early (${code})`)));
  });
}
