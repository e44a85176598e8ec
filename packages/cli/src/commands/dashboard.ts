import { parseArgs } from 'node:util';
import { ExitCode, PerceptError } from '@percept/core';
import { withUsageErrors } from '../args.js';
import type { CliIO, CommandImplementation } from '../command.js';

const usage = `Usage: percept dashboard --broker <url> [--port <n>]

Serves bull-board (queues, jobs, retries, logs) for Percept's queues on 127.0.0.1 only; reach
it from elsewhere through an SSH tunnel. Ctrl-C stops it.

Options:
  --broker <url>   redis://host:6379 or postgres://user@host:5432/db (default: $PERCEPT_BROKER)
  --port <n>       port to listen on (default 3030; 0 picks a free one)`;

export const dashboardCommand: CommandImplementation = {
  name: 'dashboard',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values } = withUsageErrors('dashboard', () => parseArgs({
      args: argv, options: { broker: { type: 'string' }, port: { type: 'string' } }, strict: true,
    }));
    const broker = values.broker ?? io.env.PERCEPT_BROKER;
    if (!broker) throw new PerceptError('dashboard: --broker <url> is required (or set PERCEPT_BROKER).', { exitCode: ExitCode.usage });
    const port = values.port === undefined ? 3030 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new PerceptError(`dashboard: --port must be 0..65535, got "${values.port}".`, { exitCode: ExitCode.usage });
    const { serveDashboard } = await import('@percept/engine-bullmq');
    const server = await serveDashboard({ broker, port });
    io.stdout.write(`bull-board: ${server.url}\n`);
    await new Promise<void>((resolve) => {
      const stop = () => { process.off('SIGINT', stop); process.off('SIGTERM', stop); resolve(); };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await server.close();
    return ExitCode.ok;
  },
};
