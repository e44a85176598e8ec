/**
 * A stand-alone worker entry (`node dist/worker-main.js --broker URL [--queue cpu] [--concurrency 1]`),
 * used by the failure tests and the benchmark; `percept worker` is the same with the CLI's
 * registry. Drains on SIGTERM, and exits at once on a second signal.
 */
import { parseArgs } from 'node:util';
import { startWorker } from './worker.js';

const { values } = parseArgs({
  options: {
    broker: { type: 'string' }, queue: { type: 'string' }, concurrency: { type: 'string' },
    'lock-ms': { type: 'string' }, 'stalled-ms': { type: 'string' }, registry: { type: 'string' },
  },
});
if (!values.broker) {
  process.stderr.write('worker-main: --broker is required\n');
  process.exit(2);
}
const w = startWorker({
  broker: values.broker,
  queue: values.queue === 'gpu' ? 'gpu' : 'cpu',
  concurrency: Number(values.concurrency ?? 1),
  ...(values['lock-ms'] ? { lockDurationMs: Number(values['lock-ms']) } : {}),
  ...(values['stalled-ms'] ? { stalledIntervalMs: Number(values['stalled-ms']) } : {}),
  ...(values.registry ? { registryModule: values.registry } : {}),
  log: { info: (m) => process.stderr.write(`${m}\n`), warn: (m) => process.stderr.write(`warn: ${m}\n`), debug: () => {} },
});
let signals = 0;
const stop = () => {
  if (++signals > 1) process.exit(130);
  process.stderr.write('worker: draining\n');
  w.drain().then(() => process.exit(0), () => process.exit(1));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
w.worker.waitUntilReady().then(() => process.stderr.write('worker: ready\n'), () => {});
