import type { Contribution } from './contracts.js';

export interface Plugin {
  /** The npm package name, e.g. "@percept/metrics". */
  readonly name: string;
  readonly version: string;
  readonly contributes: readonly Contribution[];
}

/** Declares a plugin. Each package's default export is one. */
export function definePlugin(plugin: Plugin): Plugin {
  if (!plugin.name) throw new TypeError('definePlugin: "name" is required');
  if (!plugin.version) throw new TypeError(`definePlugin(${plugin.name}): "version" is required`);
  for (const c of plugin.contributes) {
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(c.name)) {
      throw new TypeError(`definePlugin(${plugin.name}): ${c.kind} name "${c.name}" must be lower-case kebab-case`);
    }
    if (!c.optionsSchema || typeof c.optionsSchema !== 'object') {
      throw new TypeError(`definePlugin(${plugin.name}): ${c.kind} "${c.name}" has no optionsSchema`);
    }
  }
  return Object.freeze({ ...plugin, contributes: Object.freeze([...plugin.contributes]) });
}
