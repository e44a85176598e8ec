import { parseArgs } from 'node:util';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ExitCode, MANIFEST_FILE, PerceptError, runDirOf } from '@percept/core';
import { withUsageErrors } from '../args.js';
import type { CliIO, CommandImplementation } from '../command.js';

const usage = `Usage: percept watch <run-dir | workflow-name/run-id> [--runs-dir <dir>] [--interval <ms>]

Streams a run's progress (of either engine) by following its manifest: one line per cell
state change, then the run's outcome. Exits with the run's status code when it finishes.`;

export const watchCommand: CommandImplementation = {
  name: 'watch',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values, positionals } = withUsageErrors('watch', () => parseArgs({
      args: argv, options: { 'runs-dir': { type: 'string' }, interval: { type: 'string' } }, allowPositionals: true, strict: true,
    }));
    if (positionals.length !== 1) throw new PerceptError('watch: expected one run (a run directory, or <workflow>/<run-id>).', { exitCode: ExitCode.usage });
    const direct = resolve(io.cwd, positionals[0]);
    const [name, id] = positionals[0].split('/');
    const runDir = existsSync(join(direct, MANIFEST_FILE)) || !id ? direct : runDirOf(resolve(io.cwd, values['runs-dir'] ?? 'runs'), name, id);
    const interval = values.interval === undefined ? 500 : Number(values.interval);
    if (!(interval > 0)) throw new PerceptError(`watch: --interval must be a positive number of milliseconds, got "${values.interval}".`, { exitCode: ExitCode.usage });
    const { watchRun } = await import('@percept/engine-bullmq');
    const controller = new AbortController();
    const stop = () => controller.abort();
    process.on('SIGINT', stop);
    try {
      const status = await watchRun({ runDir, out: io.stdout, intervalMs: interval, signal: controller.signal });
      return status === 'succeeded' ? ExitCode.ok : status === 'failed' ? ExitCode.stepFailed : ExitCode.interrupted;
    } finally {
      process.off('SIGINT', stop);
    }
  },
};
