import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PerceptError, ExitCode } from './errors.js';
import type { Plugin } from './plugin.js';
import type { Registry } from './registry.js';

export const CONFIG_FILE = 'percept.config.json';

export interface PluginRef {
  /** An npm package name or a path (relative paths resolve against `from`'s directory). */
  spec: string;
  /** The file that lists it (a workflow or percept.config.json), for resolution and messages. */
  from: string;
}

function isPathSpec(spec: string): boolean {
  return spec.startsWith('.') || isAbsolute(spec) || /^[A-Za-z]:[\\/]/.test(spec);
}

function isPlugin(v: unknown): v is Plugin {
  return !!v && typeof v === 'object' && typeof (v as Plugin).name === 'string' && typeof (v as Plugin).version === 'string'
    && Array.isArray((v as Plugin).contributes);
}

/**
 * Imports a plugin module and returns its default export. A local path resolves against the file
 * listing it; a package name resolves from that file's node_modules first, then from Percept's own.
 */
export async function importPlugin(ref: PluginRef): Promise<Plugin> {
  let target: string;
  if (isPathSpec(ref.spec)) {
    const abs = resolve(dirname(ref.from), ref.spec);
    if (!existsSync(abs)) {
      throw new PerceptError(`${ref.from}: plugin "${ref.spec}" not found (looked for ${abs}).`, { exitCode: ExitCode.invalidWorkflow });
    }
    target = pathToFileURL(abs).href;
  } else {
    try {
      target = pathToFileURL(createRequire(ref.from).resolve(ref.spec)).href;
    } catch {
      target = ref.spec; // ESM-only exports or a global install: let import() resolve it.
    }
  }
  let mod: Record<string, unknown>;
  try {
    mod = await import(target);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new PerceptError(`${ref.from}: cannot load plugin "${ref.spec}": ${msg}`, {
      exitCode: ExitCode.invalidWorkflow,
      hint: isPathSpec(ref.spec) ? 'Is the path right and the module built JavaScript?' : `Is "${ref.spec}" installed (npm install ${ref.spec})?`,
      cause: e,
    });
  }
  const plugin = mod.default;
  if (!isPlugin(plugin)) {
    throw new PerceptError(`${ref.from}: plugin "${ref.spec}" has no default export made with definePlugin({ name, version, contributes }).`, {
      exitCode: ExitCode.invalidWorkflow,
    });
  }
  return plugin;
}

/** The plugins listed in percept.config.json files of the given directories (each file read once). */
export function configPluginRefs(dirs: readonly string[]): PluginRef[] {
  const refs: PluginRef[] = [];
  const seen = new Set<string>();
  for (const d of dirs) {
    const file = resolve(d, CONFIG_FILE);
    if (seen.has(file) || !existsSync(file)) continue;
    seen.add(file);
    let config: unknown;
    try {
      config = JSON.parse(readFileSync(file, 'utf8'));
    } catch (e) {
      throw new PerceptError(`${file}: not valid JSON (${e instanceof Error ? e.message : e}).`, { exitCode: ExitCode.invalidWorkflow });
    }
    const plugins = (config as { plugins?: unknown }).plugins;
    if (plugins === undefined) continue;
    if (!Array.isArray(plugins) || plugins.some((p) => typeof p !== 'string' || !p)) {
      throw new PerceptError(`${file}: "plugins" must be an array of package names or paths.`, { exitCode: ExitCode.invalidWorkflow });
    }
    for (const spec of plugins as string[]) refs.push({ spec, from: file });
  }
  return refs;
}

/**
 * Loads and registers plugins. The same module listed twice (say in the config and the workflow)
 * registers once; two different plugins with one name, or clashing contribution names, are the
 * registry's errors.
 */
export async function loadPlugins(refs: readonly PluginRef[], registry: Registry): Promise<Plugin[]> {
  const loaded: Plugin[] = [];
  for (const ref of refs) {
    const plugin = await importPlugin(ref);
    try {
      registry.register(plugin);
    } catch (e) {
      if (e instanceof PerceptError) throw new PerceptError(`${ref.from}: plugin "${ref.spec}": ${e.message}`, { hint: e.hint, exitCode: ExitCode.invalidWorkflow });
      throw e;
    }
    loaded.push(plugin);
  }
  return loaded;
}

