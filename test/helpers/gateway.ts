import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ConfigSource } from '../../config/load.js';
import { createGateway, type Gateway } from '../../core/index.js';
import type { ChannelAdapter } from '../../channels/contract.js';

export interface TestGateway extends Gateway {
  dir: string;
  configFile: string;
  publicUrl: string;
  workspaceUrl: string;
  adminPassword: string;
  close(): Promise<void>;
}

/** A real gateway on 127.0.0.1 with port 0, a temp data dir, and `extra` TOML appended. */
export async function startGateway(extra = '', opts: { dir?: string; channels?: ChannelAdapter[]; now?: () => number } = {}): Promise<TestGateway> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'kefu-test-'));
  const configFile = join(dir, 'kefu.toml');
  writeFileSync(configFile, testConfig(dir, extra));
  let adminPassword = 'admin-password-1';
  const source = ConfigSource.fromFile(configFile, { KEFU_ADMIN_PASSWORD: adminPassword } as NodeJS.ProcessEnv);
  const prev = process.env.KEFU_ADMIN_PASSWORD;
  process.env.KEFU_ADMIN_PASSWORD = adminPassword;
  const gw = await createGateway({ config: source, logger: pino({ level: process.env.KEFU_TEST_LOG ?? 'silent' }), channels: opts.channels, now: opts.now });
  if (prev === undefined) delete process.env.KEFU_ADMIN_PASSWORD; else process.env.KEFU_ADMIN_PASSWORD = prev;
  return Object.assign(gw, {
    dir, configFile, adminPassword,
    publicUrl: `http://127.0.0.1:${gw.publicPort}`,
    workspaceUrl: `http://127.0.0.1:${gw.workspacePort}`,
    async close() {
      await gw.stop();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  });
}

/**
 * The test config: loopback, port 0, the temp dir, a short disconnect grace, the intent model in
 * the temp dir, and no per-address limits (every test client is 127.0.0.1), with `extra` TOML
 * merged in key by key: a key the caller sets wins, a section only the caller has is kept as is.
 */
export function testConfig(dir: string, extra = ''): string {
  const base: Record<string, string[]> = {
    server: ['host = "127.0.0.1"', 'public_port = 0', 'workspace_host = "127.0.0.1"', 'workspace_port = 0', 'shutdown_timeout_ms = 2000'],
    store: [`path = "${join(dir, 'kefu.db')}"`, `media_dir = "${join(dir, 'media')}"`, 'synchronous = "normal"'],
    log: ['level = "silent"'],
    routing: ['disconnect_grace_s = 0.2'],
    ai: [`model_path = "${join(dir, 'model.onnx')}"`, `synonyms = "${join(dir, 'synonyms.toml')}"`],
    ratelimit: ['address_quota = 0', 'sessions_per_min = 0', 'uploads_per_min = 0'],
  };
  let merged = extra;
  let prelude = '';
  for (const [section, lines] of Object.entries(base)) {
    const header = new RegExp(`^\\[${section}\\]$`, 'm');
    const at = merged.search(header);
    if (at < 0) { prelude += `[${section}]\n${lines.join('\n')}\n`; continue; }
    // The caller's section runs to the next table header.
    const bodyStart = at + section.length + 2;
    const next = merged.slice(bodyStart).search(/^\[/m);
    const body = next < 0 ? merged.slice(bodyStart) : merged.slice(bodyStart, bodyStart + next);
    const missing = lines.filter((l) => !new RegExp(`^\\s*${l.split(' ')[0]}\\s*=`, 'm').test(body));
    merged = merged.slice(0, bodyStart) + (missing.length ? `\n${missing.join('\n')}` : '') + merged.slice(bodyStart);
  }
  return `${prelude}\n${merged}\n`;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns truthy (no wall-clock assertions: only a generous give-up). */
export async function eventually<T>(check: () => T | Promise<T>, what = 'condition', timeoutMs = 10_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}
