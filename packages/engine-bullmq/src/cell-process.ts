/**
 * The child process a worker runs cells in. The heavy work runs here so that a blocked event
 * loop (a long synchronous kernel) cannot stop the worker renewing the job's lock; the worker
 * kills this process when a job's lock is lost or the job is cancelled. A child runs one cell at
 * a time and is reused for the next, so plugin loading (ML runtimes) is paid once per slot.
 */
import { rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { isPerceptError, type Registry } from '@percept/core';
import type { ChildMessage, ChildStart } from './protocol.js';
import { runRemoteCell, scratchDirOf } from './remote-cell.js';

type RegistryModule = { createRegistry(args: { cwd: string; workflowFile?: string; workflowPlugins?: string[] }): Promise<Registry> };

let scratch: string | undefined;
const registries = new Map<string, Promise<Registry>>();
const send = (m: ChildMessage) => new Promise<void>((res) => (process.send ? process.send(m, () => res()) : res()));

// When the worker dies (even by kill -9) the IPC channel closes: stop too, never run orphaned.
process.on('disconnect', () => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  process.exit(70);
});
// Ctrl-C reaches the whole process group; the worker decides when this child stops.
process.on('SIGINT', () => {});

/** One registry per workflow and plugin list, built on first use and kept for later cells. */
function registryFor(msg: ChildStart): Promise<Registry> {
  const key = JSON.stringify([msg.registryModule, msg.data.workflowFile, msg.data.plugins]);
  let r = registries.get(key);
  if (!r) {
    r = (async () => {
      const mod = (await import(/^[a-z]+:/.test(msg.registryModule) ? msg.registryModule : pathToFileURL(msg.registryModule).href)) as RegistryModule;
      return mod.createRegistry({ cwd: dirname(msg.data.workflowFile), workflowFile: msg.data.workflowFile, workflowPlugins: msg.data.plugins });
    })();
    registries.set(key, r);
    r.catch(() => registries.delete(key));
  }
  return r;
}

process.on('message', async (msg: ChildStart) => {
  if (msg.type !== 'start') return;
  scratch = scratchDirOf(msg.data.cacheDir, msg.data.spec.cacheKey, process.pid);
  try {
    const result = await runRemoteCell(msg.data, {
      registry: await registryFor(msg),
      // Cancellation is by SIGKILL from the worker: a job whose lock is gone must stop at once.
      signal: new AbortController().signal,
      log: {
        info: (m) => void send({ type: 'log', level: 'info', message: m }),
        warn: (m) => void send({ type: 'log', level: 'warn', message: m }),
        debug: (m) => void send({ type: 'log', level: 'debug', message: m }),
      },
      progress: (done, total, unit, message) => void send({ type: 'progress', done, total, unit, ...(message ? { message } : {}) }),
    });
    scratch = undefined;
    await send({ type: 'done', result });
  } catch (e) {
    scratch = undefined;
    // PerceptError/InputError mean bad config or data: retrying cannot help.
    await send({ type: 'error', message: e instanceof Error ? e.message : String(e), deterministic: isPerceptError(e) });
  }
});
