import { parseArgs } from 'node:util';
import { ExitCode, PerceptError, contributionKinds, type ContributionKind } from '@percept/core';
import { withUsageErrors } from '../args.js';
import type { CliIO, CommandImplementation } from '../command.js';
import { createRegistry } from '../registry.js';

export const pluginsCommand: CommandImplementation = {
  name: 'plugins',
  usage: `Usage: percept plugins [--kind <${contributionKinds.join('|')}>] [--json]

Lists every contribution of the built-in plugins and of those in ./percept.config.json:
kind, name, plugin, version and description.`,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values } = withUsageErrors('plugins', () =>
      parseArgs({ args: argv, options: { kind: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: false, strict: true }),
    );
    const kind = values.kind as ContributionKind | undefined;
    if (kind !== undefined && !contributionKinds.includes(kind)) {
      throw new PerceptError(`plugins: --kind must be one of ${contributionKinds.join(', ')}; got "${kind}".`, { exitCode: ExitCode.usage });
    }
    const registry = await createRegistry({ cwd: io.cwd });
    const rows = registry.entries(kind).map((e) => ({
      kind: e.contribution.kind, name: e.contribution.name, plugin: e.plugin.name, version: e.plugin.version,
      description: e.contribution.description, ...(e.contribution.aliases?.length ? { aliases: [...e.contribution.aliases] } : {}),
    }));
    rows.sort((a, b) => contributionKinds.indexOf(a.kind) - contributionKinds.indexOf(b.kind) || a.name.localeCompare(b.name));
    if (values.json) {
      io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return ExitCode.ok;
    }
    const head = { kind: 'KIND', name: 'NAME', plugin: 'PLUGIN', version: 'VERSION', description: 'DESCRIPTION' };
    const cols = ['kind', 'name', 'plugin', 'version'] as const;
    const width = Object.fromEntries(cols.map((c) => [c, Math.max(head[c].length, ...rows.map((r) => r[c].length))]));
    for (const r of [head, ...rows]) io.stdout.write(`${cols.map((c) => r[c].padEnd(width[c])).join('  ')}  ${r.description}\n`);
    return ExitCode.ok;
  },
};
