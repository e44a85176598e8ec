import { dirname } from 'node:path';
import { configPluginRefs, corePlugin, loadPlugins, Registry, type PluginRef } from '@percept/core';

/**
 * The registry a command works with: the built-in plugins and core's own jobs, then the plugins
 * of percept.config.json (in the cwd and in the workflow's directory), then the workflow's own.
 */
export async function createRegistry(args: { cwd: string; workflowFile?: string; workflowPlugins?: string[] }): Promise<Registry> {
  const registry = new Registry();
  // Imported lazily: `percept --help` and friends should not load every ML runtime.
  const { builtinPlugins } = await import('./builtins.js');
  // builtins.ts may or may not list corePlugin already; registering the same object twice is a no-op.
  for (const p of [corePlugin, ...builtinPlugins]) registry.register(p);
  const dirs = [args.cwd, ...(args.workflowFile ? [dirname(args.workflowFile)] : [])];
  const refs: PluginRef[] = configPluginRefs(dirs);
  if (args.workflowFile) for (const spec of args.workflowPlugins ?? []) refs.push({ spec, from: args.workflowFile });
  await loadPlugins(refs, registry);
  return registry;
}
