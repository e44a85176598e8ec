import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { ExitCode, PerceptError } from '@percept/core';
import { positiveInt, withUsageErrors } from '../args.js';
import type { CliIO, CommandImplementation } from '../command.js';

const usage = `Usage: percept worker --broker <url> [--queue cpu|gpu] [--concurrency <n>]

Runs cells of workflows started with "percept run --engine bullmq" on this machine. Each cell
runs in its own child process. Start one worker per GPU (set CUDA_VISIBLE_DEVICES for each).
The cache folder named by the coordinator must be reachable here at the same path.

Options:
  --broker <url>       redis://host:6379 or postgres://user@host:5432/db (default: $PERCEPT_BROKER)
  --queue <cpu|gpu>    which queue to take cells from (default cpu)
  --concurrency <n>    cells run at once by this worker (default 1)
  --lock-ms <ms>       job lock duration; a worker silent this long loses its cell (default 30000)

SIGTERM or Ctrl-C drains: no new cells are taken, running ones finish, then the worker exits.
A second signal exits at once (the broker hands the running cells to another worker).`;

export const workerCommand: CommandImplementation = {
  name: 'worker',
  usage,
  async run(argv: string[], io: CliIO): Promise<number> {
    const { values } = withUsageErrors('worker', () => parseArgs({
      args: argv,
      options: { broker: { type: 'string' }, queue: { type: 'string' }, concurrency: { type: 'string' }, 'lock-ms': { type: 'string' } },
      strict: true,
    }));
    const broker = values.broker ?? io.env.PERCEPT_BROKER;
    if (!broker) throw new PerceptError('worker: --broker <url> is required (or set PERCEPT_BROKER).', { exitCode: ExitCode.usage, hint: usage.split('\n')[0] });
    const queue = values.queue ?? 'cpu';
    if (queue !== 'cpu' && queue !== 'gpu') throw new PerceptError(`worker: --queue must be "cpu" or "gpu", got "${queue}".`, { exitCode: ExitCode.usage });
    const concurrency = positiveInt('--concurrency', values.concurrency) ?? 1;
    const lockDurationMs = positiveInt('--lock-ms', values['lock-ms']);
    // Loaded lazily: other commands should not pay for the broker clients.
    const { startWorker, openBroker } = await import('@percept/engine-bullmq');
    const opened = openBroker(broker);
    const w = startWorker({
      broker: opened, queue, concurrency, ...(lockDurationMs ? { lockDurationMs } : {}),
      // The cell processes build the same registry as this CLI (built-in packages included).
      registryModule: fileURLToPath(new URL('../registry.js', import.meta.url)),
      log: {
        info: (m) => io.stderr.write(`${m}\n`),
        warn: (m) => io.stderr.write(`percept worker: warning: ${m}\n`),
        debug: (m) => { if (io.verbose) io.stderr.write(`${m}\n`); },
      },
    });
    await w.worker.waitUntilReady();
    io.stderr.write(`percept worker: ready on ${opened.display} (queue ${queue}, concurrency ${concurrency})\n`);
    return new Promise<number>((resolve) => {
      let signals = 0;
      const onSignal = (sig: NodeJS.Signals) => {
        if (++signals > 1) {
          void w.kill().finally(() => resolve(ExitCode.interrupted));
          return;
        }
        io.stderr.write(`percept worker: ${sig}: draining (again to stop at once)\n`);
        void w.drain().then(() => resolve(ExitCode.ok), () => resolve(ExitCode.internal)).finally(() => {
          process.off('SIGINT', onSignal);
          process.off('SIGTERM', onSignal);
        });
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
    });
  },
};
