/**
 * The child process a worker forks for each cell. The heavy work runs here so that a blocked
 * event loop (a long synchronous kernel) cannot stop the worker renewing the job's lock; the
 * worker kills this process when the lock is lost or the job is cancelled.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isPerceptError, type Registry } from '@percept/core';
import type { ChildMessage, ChildStart } from './protocol.js';
import { runRemoteCell, scratchDirOf } from './remote-cell.js';

let scratch: string | undefined;

const send = (m: ChildMessage) => new Promise<void>((res) => (process.send ? process.send(m, () => res()) : res()));

// When the worker dies (even by kill -9) the IPC channel closes: stop too, never run orphaned.
process.on('disconnect', () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  process.exit(70);
});
// Ctrl-C reaches the whole process group; the worker decides when this child stops.
process.on('SIGINT', () => {});

process.once('message', async (msg: ChildStart) => {
  scratch = scratchDirOf(msg.data.cacheDir, msg.data.spec.cacheKey, process.pid);
  const controller = new AbortController();
  process.on('SIGTERM', () => controller.abort(new Error('cancelled by the worker')));
  try {
    const mod = (await import(/^[a-z]+:/.test(msg.registryModule) ? msg.registryModule : pathToFileURL(msg.registryModule).href)) as {
      createRegistry(args: { cwd: string; workflowFile?: string; workflowPlugins?: string[] }): Promise<Registry>;
    };
    const registry = await mod.createRegistry({ cwd: dirname(msg.data.workflowFile), workflowFile: msg.data.workflowFile, workflowPlugins: msg.data.plugins });
    const result = await runRemoteCell(msg.data, {
      registry,
      signal: controller.signal,
      log: {
        info: (m) => void send({ type: 'log', level: 'info', message: m }),
        warn: (m) => void send({ type: 'log', level: 'warn', message: m }),
        debug: (m) => void send({ type: 'log', level: 'debug', message: m }),
      },
      progress: (done, total, unit, message) => void send({ type: 'progress', done, total, unit, ...(message ? { message } : {}) }),
    });
    await send({ type: 'done', result });
  } catch (e) {
    // PerceptError/InputError mean bad config or data: retrying cannot help.
    await send({ type: 'error', message: e instanceof Error ? e.message : String(e), deterministic: isPerceptError(e) });
  }
  process.exit(0);
});
