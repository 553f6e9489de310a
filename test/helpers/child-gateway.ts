import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CHILD = fileURLToPath(new URL('../fixtures/gateway-child.js', import.meta.url));

export interface ChildGateway { proc: ChildProcess; url: string; workspace: string; exited: Promise<unknown> }

/** A gateway in its own process (test/fixtures/gateway-child.ts) on `dir`, for tests that kill -9 it. */
export function startChild(dir: string, extra: string): Promise<ChildGateway> {
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

/**
 * The TOML of one cluster node on a shared MongoDB database and redis-server (the failover and
 * `--workers` tests). `node` is its node id (omitted: chosen by kefu); the key prefix is the
 * database's, so tests sharing a redis-server do not hear each other; quotas are off.
 */
export function clusterNodeToml(o: { mongoUrl: string; database: string; redisUrl: string; node?: string; extra?: string }): string {
  return `[store]\ndriver = "mongodb"\nurl = "${o.mongoUrl}"\ndatabase = "${o.database}"\n`
    + `[cluster]\nredis_url = "${o.redisUrl}"\n${o.node ? `node_id = "${o.node}"\n` : ''}key_prefix = "${o.database}:"\n`
    + `[ratelimit]\ncustomer_quota = 0\n${o.extra ?? ''}`;
}
