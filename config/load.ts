import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { EventEmitter } from 'node:events';
import { parse as parseToml } from 'smol-toml';
import { configSchema, RESTART_KEYS, type KefuConfig } from './schema.js';

export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: string[]) {
    super(`${file}: invalid configuration\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Env overrides: KEFU_<SECTION>__<KEY>=value, double underscore for each level
 * (KEFU_SERVER__PUBLIC_PORT=8080, KEFU_CHANNELS__WEB__ENABLED=false). Values are read
 * as TOML literals when they parse (numbers, booleans, arrays), else as plain strings.
 */
export function applyEnvOverrides(raw: Record<string, unknown>, env: NodeJS.ProcessEnv): Record<string, unknown> {
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith('KEFU_') || !name.includes('__') || value === undefined) continue;
    const path = name.slice(5).toLowerCase().split('__');
    let node = raw as Record<string, unknown>;
    for (const key of path.slice(0, -1)) {
      if (typeof node[key] !== 'object' || node[key] === null) node[key] = {};
      node = node[key] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = parseEnvValue(value);
  }
  return raw;
}

function parseEnvValue(value: string): unknown {
  try {
    return (parseToml(`v = ${value}`) as { v: unknown }).v;
  } catch {
    return value;
  }
}

/** Parses and validates; throws ConfigError naming the file, key and problem. */
export function parseConfig(text: string, file: string, env: NodeJS.ProcessEnv = {}): KefuConfig {
  let raw: Record<string, unknown>;
  try {
    raw = parseToml(text) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(file, [`TOML syntax: ${(err as Error).message.split('\n')[0]}`]);
  }
  const result = configSchema.safeParse(applyEnvOverrides(raw, env));
  if (!result.success) {
    throw new ConfigError(file, result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  return result.data;
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): KefuConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [`cannot read: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`]);
  }
  return parseConfig(text, file, env);
}

function get(obj: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj);
}

export interface ConfigEvents {
  change: [next: KefuConfig, prev: KefuConfig];
  invalid: [error: Error];
}

/**
 * Holds the current config and swaps it atomically on file change. An invalid file keeps
 * the previous config and emits 'invalid' (the gateway logs why).
 */
export class ConfigSource extends EventEmitter<ConfigEvents> {
  private watcher?: FSWatcher;
  private timer?: NodeJS.Timeout;

  constructor(public current: KefuConfig, readonly file?: string, private env: NodeJS.ProcessEnv = process.env) {
    super();
  }

  static fromFile(file: string, env: NodeJS.ProcessEnv = process.env): ConfigSource {
    return new ConfigSource(loadConfigFile(file, env), file, env);
  }

  /** Starts watching the file; editors replace files, so watch the path and debounce. */
  watch(debounceMs = 150): void {
    if (!this.file || this.watcher) return;
    this.watcher = watch(this.file, () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => this.reload(), debounceMs);
    });
    this.watcher.on('error', (err) => this.emit('invalid', err));
  }

  reload(): boolean {
    if (!this.file) return false;
    let next: KefuConfig;
    try {
      next = loadConfigFile(this.file, this.env);
    } catch (err) {
      this.emit('invalid', err as Error);
      return false;
    }
    if (JSON.stringify(next) === JSON.stringify(this.current)) return false;
    const prev = this.current;
    this.current = next;
    this.emit('change', next, prev);
    return true;
  }

  /** Restart-only keys that differ between two configs (hot reload cannot apply them). */
  static restartNeeded(next: KefuConfig, prev: KefuConfig): string[] {
    return RESTART_KEYS.filter((k) => JSON.stringify(get(next, k)) !== JSON.stringify(get(prev, k)));
  }

  close(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
