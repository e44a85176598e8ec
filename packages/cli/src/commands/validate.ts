import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { ExitCode, PerceptError, WorkflowValidationError, formatIssue, overridesWithProfile, planWorkflow } from '@percept/core';
import { withUsageErrors } from '../args.js';
import type { CliIO, CommandImplementation } from '../command.js';
import { prepareWorkflow } from '../workflow-file.js';

export const validateCommand: CommandImplementation = {
  name: 'validate',
  usage: `Usage: percept validate <workflow.json>… [--profile name] [--set path=value]… [--json]

Checks each file against the schema of every loaded plugin and the rules a schema cannot express
(unknown steps, cycles, undeclared outputs, matrix keys, unset environment variables). Prints
every error with file:line:column, JSON pointer and the rule it broke. Exit code 3 when any file
is invalid. --profile applies each file's named "profiles" overrides first (--set wins).`,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = withUsageErrors('validate', () =>
      parseArgs({ args: argv, options: { set: { type: 'string', multiple: true }, profile: { type: 'string' }, json: { type: 'boolean' } }, allowPositionals: true, strict: true }),
    );
    if (!positionals.length) throw new PerceptError('validate: expected at least one workflow file.', { exitCode: ExitCode.usage });
    let code: number = ExitCode.ok;
    const report: Array<{ file: string; valid: boolean; issues: unknown[]; steps?: number; cells?: number }> = [];
    for (const path of positionals) {
      try {
        const sets = overridesWithProfile(resolve(io.cwd, path), values.profile, values.set);
        const p = await prepareWorkflow(path, { cwd: io.cwd, env: io.env, sets });
        const plan = planWorkflow(p.workflow, { file: p.file, text: p.text, registry: p.registry, env: io.env });
        const cells = plan.steps.reduce((n, s) => n + s.cells.length, 0);
        report.push({ file: p.file, valid: true, issues: [], steps: plan.steps.length, cells });
        if (!values.json) io.stdout.write(`ok ${p.file} (${plan.steps.length} steps, ${cells} cells)\n`);
      } catch (e) {
        if (!(e instanceof WorkflowValidationError)) throw e;
        code = ExitCode.invalidWorkflow;
        report.push({ file: path, valid: false, issues: e.issues });
        if (!values.json) io.stderr.write(`${e.issues.map(formatIssue).join('\n')}\n`);
      }
    }
    if (values.json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return code;
  },
};
