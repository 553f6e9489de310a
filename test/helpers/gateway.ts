import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { ConfigSource } from '../../config/load.js';
import { createGateway, type Gateway } from '../../core/index.js';

export interface TestGateway extends Gateway {
  dir: string;
  configFile: string;
  publicUrl: string;
  workspaceUrl: string;
  adminPassword: string;
  close(): Promise<void>;
}

/** A real gateway on 127.0.0.1 with port 0, a temp data dir, and `extra` TOML appended. */
export async function startGateway(extra = '', opts: { dir?: string } = {}): Promise<TestGateway> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'kefu-test-'));
  const configFile = join(dir, 'kefu.toml');
  writeFileSync(configFile, testConfig(dir, extra));
  let adminPassword = 'admin-password-1';
  const source = ConfigSource.fromFile(configFile, { KEFU_ADMIN_PASSWORD: adminPassword } as NodeJS.ProcessEnv);
  const prev = process.env.KEFU_ADMIN_PASSWORD;
  process.env.KEFU_ADMIN_PASSWORD = adminPassword;
  const gw = await createGateway({ config: source, logger: pino({ level: process.env.KEFU_TEST_LOG ?? 'silent' }) });
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

export function testConfig(dir: string, extra = ''): string {
  // Test defaults per section, merged into the caller's section when it has one (TOML forbids
  // defining a table twice): short disconnect grace, the intent model inside the temp dir.
  const defaults: Record<string, string> = {
    routing: 'disconnect_grace_s = 0.2',
    ai: `model_path = "${join(dir, 'model.onnx')}"\nsynonyms = "${join(dir, 'synonyms.toml')}"`,
  };
  let merged = extra;
  let appended = '';
  for (const [section, lines] of Object.entries(defaults)) {
    const header = new RegExp(`^\\[${section}\\]$`, 'm');
    if (header.test(merged)) merged = merged.replace(header, `[${section}]\n${lines}`);
    else appended += `[${section}]\n${lines}\n`;
  }
  return `
[server]
host = "127.0.0.1"
public_port = 0
workspace_host = "127.0.0.1"
workspace_port = 0
shutdown_timeout_ms = 2000
[store]
path = "${join(dir, 'kefu.db')}"
media_dir = "${join(dir, 'media')}"
synchronous = "normal"
[log]
level = "silent"
${appended}
${merged}
`;
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
