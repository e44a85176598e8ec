import { dirname } from 'node:path';
import { Registry, configPluginRefs, corePlugin, loadPlugins, type PluginRef } from '@percept/core';

/**
 * The registry a worker builds when no other is configured: core's jobs, percept.config.json
 * plugins beside the workflow, and the workflow's own plugins. `percept worker` passes the
 * CLI's registry module instead, which adds the built-in packages.
 */
export async function createRegistry(args: { cwd: string; workflowFile?: string; workflowPlugins?: string[] }): Promise<Registry> {
  const registry = new Registry();
  registry.register(corePlugin);
  const dirs = [args.cwd, ...(args.workflowFile ? [dirname(args.workflowFile)] : [])];
  const refs: PluginRef[] = configPluginRefs(dirs);
  if (args.workflowFile) for (const spec of args.workflowPlugins ?? []) refs.push({ spec, from: args.workflowFile });
  await loadPlugins(refs, registry);
  return registry;
}
