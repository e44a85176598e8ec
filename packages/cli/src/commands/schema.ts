import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { ExitCode, buildWorkflowSchema, writeFileAtomic, type Registry } from '@percept/core';
import { withUsageErrors } from '../args.js';
import type { CliIO, CommandImplementation } from '../command.js';
import { createRegistry } from '../registry.js';

export const DEFAULT_SCHEMA_PATH = 'schema/percept.schema.json';

/** The schema file's exact text (stable, so the committed copy can be compared byte for byte). */
export function schemaText(registry: Registry): string {
  return `${JSON.stringify(buildWorkflowSchema(registry), null, 2)}\n`;
}

export const schemaCommand: CommandImplementation = {
  name: 'schema',
  usage: `Usage: percept schema [-o <file>|-]

Writes one JSON Schema (2020-12) for workflow files, with a branch for every job and reporter of
the built-in plugins and of ./percept.config.json, so editors check "uses" and every option.
Default output: ${DEFAULT_SCHEMA_PATH}; "-o -" prints it.`,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values } = withUsageErrors('schema', () =>
      parseArgs({ args: argv, options: { output: { type: 'string', short: 'o' } }, allowPositionals: false, strict: true }),
    );
    const text = schemaText(await createRegistry({ cwd: io.cwd }));
    if (values.output === '-') {
      io.stdout.write(text);
      return ExitCode.ok;
    }
    const file = resolve(io.cwd, values.output ?? DEFAULT_SCHEMA_PATH);
    await writeFileAtomic(file, text);
    io.stdout.write(`wrote ${file}\n`);
    return ExitCode.ok;
  },
};
