import { fork, type ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { UnrecoverableError, type Job, type Worker } from 'bullmq';
import type { Logger } from '@percept/core';
import { openBroker, type Broker } from './broker.js';
import { scratchDirOf } from './remote-cell.js';
import { cellQueueName, type CellJobData, type CellJobResult, type CellQueueName, type ChildMessage, type ChildStart } from './protocol.js';

export interface WorkerOptions {
  broker: string | Broker;
  queue?: CellQueueName;
  concurrency?: number;
  /** A module exporting createRegistry(); default: this package's (core + workflow plugins). */
  registryModule?: string;
  /** How long a job's lock lasts without renewal, ms. Short in tests, the BullMQ default (30 s) otherwise. */
  lockDurationMs?: number;
  /** How often stalled jobs (whose worker died) are looked for, ms. */
  stalledIntervalMs?: number;
  log?: Logger;
  /** Extra environment for cell processes (e.g. CUDA_VISIBLE_DEVICES). */
  env?: NodeJS.ProcessEnv;
}

export interface RunningWorker {
  worker: Worker;
  /** Stops taking jobs, waits for the running cells, then disconnects. */
  drain(): Promise<void>;
  /** Kills running cells at once and disconnects (their jobs go back to the queue as stalled). */
  kill(): Promise<void>;
}

const childEntry = fileURLToPath(new URL('./cell-process.js', import.meta.url));
const defaultRegistry = fileURLToPath(new URL('./registry.js', import.meta.url));

/**
 * A BullMQ worker that runs each cell job in a forked child process. It kills the child when
 * the job's lock is lost (another worker may already have it) or the job is cancelled, keeps
 * progress updates best-effort, and maps deterministic errors to UnrecoverableError.
 */
export function startWorker(opts: WorkerOptions): RunningWorker {
  const broker = typeof opts.broker === 'string' ? openBroker(opts.broker) : opts.broker;
  const children = new Map<string, ChildProcess>();
  let closing = false;
  const stopIdle = () => { closing = true; for (const c of idle.splice(0)) c.kill('SIGTERM'); };
  const me = `${hostname()}:${process.pid}`;
  const log = opts.log;

  // Idle cell processes, reused across jobs; a process that was killed or misbehaved is dropped.
  const idle: ChildProcess[] = [];
  const spawnChild = () => fork(childEntry, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'], env: { ...process.env, ...opts.env }, serialization: 'json' });
  const usable = (c: ChildProcess) => c.exitCode === null && c.signalCode === null && c.connected;

  const processor = async (job: Job<CellJobData, CellJobResult>, _token?: string, signal?: AbortSignal): Promise<CellJobResult> => {
    const id = job.id!;
    let child = idle.pop();
    while (child && !usable(child)) child = idle.pop();
    child ??= spawnChild();
    const proc = child;
    children.set(id, proc);
    log?.info(`${job.data.label}: started (attempt ${job.attemptsMade + 1})`);
    let reusable = false;
    try {
      const result = await new Promise<CellJobResult>((resolve, reject) => {
        let settled = false;
        const cleanup = () => {
          proc.off('message', onMessage);
          proc.off('exit', onExit);
          proc.off('error', onError);
          signal?.removeEventListener('abort', onAbort);
        };
        const finish = (f: () => void) => { if (!settled) { settled = true; cleanup(); f(); } };
        const onAbort = () => {
          proc.kill('SIGKILL');
          finish(() => reject(new Error(`${job.data.label}: cancelled (${String(signal?.reason ?? 'lock lost')})`)));
        };
        const onMessage = (m: ChildMessage) => {
          if (m.type === 'progress') {
            // The broker may blip: a lost progress update must never fail the job.
            job.updateProgress({ done: m.done, total: m.total, unit: m.unit, ...(m.message ? { message: m.message } : {}) }).catch(() => {});
          } else if (m.type === 'log') {
            log?.[m.level](`${job.data.label}: ${m.message}`);
            job.log(`[${m.level}] ${m.message}`).catch(() => {});
          } else if (m.type === 'done') {
            reusable = true;
            finish(() => resolve({ ...m.result, worker: me }));
          } else if (m.type === 'error') {
            reusable = true;
            finish(() => reject(m.deterministic ? new UnrecoverableError(m.message) : new Error(m.message)));
          }
        };
        const onExit = (code: number | null, sig: string | null) =>
          finish(() => reject(new Error(`${job.data.label}: the cell process exited (${sig ?? `code ${code}`}) before finishing`)));
        const onError = (e: Error) => finish(() => reject(e));
        if (signal?.aborted) return onAbort();
        signal?.addEventListener('abort', onAbort, { once: true });
        proc.on('message', onMessage);
        proc.on('exit', onExit);
        proc.on('error', onError);
        proc.send({ type: 'start', data: job.data, registryModule: opts.registryModule ?? defaultRegistry } satisfies ChildStart);
      });
      return result;
    } finally {
      children.delete(id);
      if (reusable && usable(proc) && !closing) idle.push(proc);
      else {
        if (proc.exitCode === null && proc.signalCode === null) {
          const exited = new Promise((r) => proc.once('exit', r));
          proc.kill('SIGKILL');
          await exited;
        }
        // A killed cell process leaves its scratch run directory behind.
        if (proc.pid) await rm(scratchDirOf(job.data.cacheDir, job.data.spec.cacheKey, proc.pid), { recursive: true, force: true }).catch(() => {});
      }
    }
  };

  const worker = broker.worker(cellQueueName(opts.queue ?? 'cpu'), processor as never, {
    concurrency: Math.max(1, opts.concurrency ?? 1),
    ...(opts.lockDurationMs ? { lockDuration: opts.lockDurationMs } : {}),
    ...(opts.stalledIntervalMs ? { stalledInterval: opts.stalledIntervalMs } : {}),
    // A cell whose worker died twice is most likely killing its worker: let it fail.
    maxStalledCount: 2,
  });
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) {
      log?.warn(`job ${id}: lock lost; killing its cell process (another worker may run it)`);
      children.get(id)?.kill('SIGKILL');
    }
  });
  // Connection errors are retried by the client; log them instead of crashing.
  worker.on('error', (e) => log?.warn(`broker: ${e.message}`));

  return {
    worker,
    drain: async () => {
      await worker.close();
      stopIdle();
    },
    kill: async () => {
      for (const c of children.values()) c.kill('SIGKILL');
      stopIdle();
      await worker.close(true);
    },
  };
}
