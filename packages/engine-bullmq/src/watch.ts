import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { MANIFEST_FILE, PerceptError, type Manifest } from '@percept/core';

export interface WatchOptions {
  /** The run directory (holding manifest.json). */
  runDir: string;
  out: NodeJS.WritableStream;
  intervalMs?: number;
  signal?: AbortSignal;
  /** Give up after this long without the run finishing; default: never. */
  timeoutMs?: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Streams a run's progress by following its manifest, which the coordinator (of either engine)
 * rewrites atomically on every change: one line per cell state change, then a summary. Resolves
 * with the run's final status ('running' when stopped early).
 */
export async function watchRun(opts: WatchOptions): Promise<Manifest['status']> {
  const file = join(opts.runDir, MANIFEST_FILE);
  const seen = new Map<string, string>();
  const until = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  let last: Manifest | undefined;
  for (;;) {
    let m: Manifest;
    try {
      m = JSON.parse(await readFile(file, 'utf8')) as Manifest;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') throw new PerceptError(`watch: ${opts.runDir} has no ${MANIFEST_FILE}; is it a run directory?`);
      throw e;
    }
    last = m;
    for (const c of m.cells) {
      const id = c.cell ? `${c.step} [${c.cell}]` : c.step;
      const state = `${c.status}${c.cached ? ' (cached)' : ''}${c.reused ? ' (kept)' : ''}`;
      if (seen.get(id) !== state) {
        seen.set(id, state);
        if (c.status !== 'pending') opts.out.write(`${id}: ${state}${c.error ? `: ${c.error}` : ''}\n`);
      }
    }
    if (m.status !== 'running' || opts.signal?.aborted || Date.now() > until) break;
    await sleep(opts.intervalMs ?? 500);
  }
  const done = last.cells.filter((c) => c.status === 'succeeded').length;
  opts.out.write(`run ${last.status}: ${done}/${last.cells.length} cells succeeded\n`);
  return last.status;
}
