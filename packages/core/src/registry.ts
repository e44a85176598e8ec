import type { Contribution, ContributionKind, ContributionOf, RegistryView } from './contracts.js';
import { contributionKinds } from './contracts.js';
import { PerceptError, ExitCode } from './errors.js';
import type { Plugin } from './plugin.js';
import { didYouMean } from './suggest.js';

export interface RegisteredContribution {
  contribution: Contribution;
  plugin: { name: string; version: string };
}

/** Every contribution of every loaded plugin, by kind and name (aliases resolve to their contribution). */
export class Registry implements RegistryView {
  private readonly byKind = new Map<ContributionKind, Map<string, RegisteredContribution>>();
  private readonly aliasOf = new Map<ContributionKind, Map<string, string>>();
  private readonly plugins = new Map<string, Plugin>();

  constructor(plugins: readonly Plugin[] = []) {
    for (const k of contributionKinds) {
      this.byKind.set(k, new Map());
      this.aliasOf.set(k, new Map());
    }
    for (const p of plugins) this.register(p);
  }

  register(plugin: Plugin): this {
    const loaded = this.plugins.get(plugin.name);
    if (loaded) {
      if (loaded === plugin) return this;
      throw new PerceptError(`Plugin "${plugin.name}" is loaded twice (versions ${loaded.version} and ${plugin.version}).`);
    }
    // Check the whole plugin before registering anything, so a failed load leaves the registry unchanged.
    const seen = new Set<string>();
    for (const c of plugin.contributes) {
      for (const name of [c.name, ...(c.aliases ?? [])]) {
        const key = `${c.kind}:${name}`;
        if (seen.has(key)) throw new PerceptError(`Plugin "${plugin.name}" contributes ${c.kind} "${name}" twice.`);
        seen.add(key);
        const owner = this.ownerOf(c.kind, name);
        if (owner) {
          throw new PerceptError(
            `Duplicate ${c.kind} name "${name}": contributed by both "${owner.plugin.name}" and "${plugin.name}".`,
            { hint: 'Rename one of them, or load only one of the two plugins.' },
          );
        }
      }
    }
    for (const c of plugin.contributes) {
      this.byKind.get(c.kind)!.set(c.name, { contribution: c, plugin: { name: plugin.name, version: plugin.version } });
      for (const a of c.aliases ?? []) this.aliasOf.get(c.kind)!.set(a, c.name);
    }
    this.plugins.set(plugin.name, plugin);
    return this;
  }

  private ownerOf(kind: ContributionKind, name: string): RegisteredContribution | undefined {
    const direct = this.byKind.get(kind)!.get(name);
    if (direct) return direct;
    const target = this.aliasOf.get(kind)!.get(name);
    return target ? this.byKind.get(kind)!.get(target) : undefined;
  }

  has(kind: ContributionKind, name: string): boolean {
    return this.ownerOf(kind, name) !== undefined;
  }

  /** Looks up a contribution; an unknown name is an error with "did you mean …". */
  lookup(kind: ContributionKind, name: string): RegisteredContribution {
    const found = this.ownerOf(kind, name);
    if (found) return found;
    const names = [...this.byKind.get(kind)!.keys(), ...this.aliasOf.get(kind)!.keys()];
    const hint = didYouMean(name, names);
    const known = [...this.byKind.get(kind)!.keys()].sort();
    throw new PerceptError(`Unknown ${kind} "${name}".${hint ? ` ${hint[0].toUpperCase()}${hint.slice(1)}` : ''}`, {
      hint: known.length ? `Known ${kind}s: ${known.join(', ')}.` : `No ${kind} is registered; is its plugin loaded?`,
      exitCode: ExitCode.invalidWorkflow,
    });
  }

  get<K extends ContributionKind>(kind: K, name: string): ContributionOf<K> {
    return this.lookup(kind, name).contribution as ContributionOf<K>;
  }

  /** The plugin that contributed `kind`/`name`. */
  pluginOf(kind: ContributionKind, name: string): { name: string; version: string } {
    return this.lookup(kind, name).plugin;
  }

  list(kind?: ContributionKind): Contribution[] {
    const kinds = kind ? [kind] : contributionKinds;
    return kinds.flatMap((k) => [...this.byKind.get(k)!.values()].map((r) => r.contribution));
  }

  entries(kind?: ContributionKind): RegisteredContribution[] {
    const kinds = kind ? [kind] : contributionKinds;
    return kinds.flatMap((k) => [...this.byKind.get(k)!.values()]);
  }

  listPlugins(): Plugin[] {
    return [...this.plugins.values()];
  }
}
