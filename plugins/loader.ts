import type { KefuConfig } from '../config/schema.js';
import type { GatewayApi, Plugin, Teardown } from './contract.js';

/** Built-in plugins, imported by literal path so a bundle of kefu carries them (and shares one core with them). */
const BUILTINS: Record<string, () => Promise<{ default?: unknown }>> = {
  'offline-notice': () => import('./offline-notice/index.js'),
  'intent-onnx': () => import('./intent-onnx/index.js'),
};

/** A built-in plugin by folder name; anything else is imported as a package name. */
async function importPlugin(name: string): Promise<Plugin> {
  let mod: { default?: unknown };
  try {
    mod = Object.hasOwn(BUILTINS, name) ? await BUILTINS[name]() : await import(name);
  } catch (err) {
    throw new Error(`plugin "${name}": cannot be loaded (${(err as Error).message.split('\n')[0]}). Is the package installed?`);
  }
  const exported = typeof mod.default === 'function' ? (mod.default as () => unknown)() : mod.default;
  const p = exported as Plugin | undefined;
  if (!p || typeof p.name !== 'string' || typeof p.setup !== 'function') {
    throw new Error(`plugin "${name}": its default export must be { name, setup() } or a function returning it`);
  }
  return p;
}

/**
 * Loads and sets up the plugins named in config, in order. A plugin's `dependsOn` names must
 * already be set up (list them earlier in config); a missing dependency is a start-up error.
 */
export async function loadPlugins(config: KefuConfig, gw: GatewayApi): Promise<{ names: string[]; teardowns: Teardown[] }> {
  const names: string[] = [];
  const teardowns: Teardown[] = [];
  for (const entry of config.plugins) {
    if (!entry.enabled) continue;
    const plugin = await importPlugin(entry.name);
    if (names.includes(plugin.name)) throw new Error(`plugin "${plugin.name}" is listed twice`);
    for (const dep of plugin.dependsOn ?? []) {
      if (!names.includes(dep)) throw new Error(`plugin "${plugin.name}" depends on "${dep}", which is not loaded before it`);
    }
    const teardown = await plugin.setup(gw, entry.options);
    if (typeof teardown === 'function') teardowns.push(teardown);
    names.push(plugin.name);
    gw.logger.info({ plugin: plugin.name }, 'plugin loaded');
  }
  return { names, teardowns };
}
