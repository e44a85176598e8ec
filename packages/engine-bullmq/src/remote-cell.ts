import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  CellCache, MANIFEST_FILE, PerceptError, canonicalJson, executeCell, writeFileAtomicSync, type JobContext, type Logger, type Registry,
} from '@percept/core';
import type { CellJobData, CellJobResult } from './protocol.js';

/**
 * Runs one cell away from its run directory: upstream artifacts are restored from the shared
 * cache into a private scratch run directory (the cell's `${run}/…` options point there), the
 * cell runs through core's executeCell (the same function the local engine uses), which stores
 * the artifact in the cache by rename. A snapshot of the run's manifest (the upstream cells only)
 * sits beside them, as it would in a local run directory. Running a cell twice therefore leaves one entry, and the
 * scratch directory is removed either way.
 */
/**
 * The private run directory of one cell execution. Named by process id (not a random suffix) so
 * the worker can remove it after killing the cell process, which gets no chance to clean up.
 */
export function scratchDirOf(cacheDir: string, cacheKey: string, pid: number): string {
  return join(cacheDir, 'scratch', `${cacheKey}.${pid}`);
}

export async function runRemoteCell(
  data: CellJobData,
  env: { registry: Registry; signal: AbortSignal; log: Logger; progress: JobContext['progress'] },
): Promise<Omit<CellJobResult, 'worker'>> {
  const cache = new CellCache(data.cacheDir);
  // A cached key means another delivery finished it: executeCell then only restores it.
  const hit = await cache.has(data.spec.cacheKey);
  const scratch = scratchDirOf(data.cacheDir, data.spec.cacheKey, process.pid);
  try {
    for (const u of hit ? [] : data.upstream) {
      if (!(await cache.restore(u.cacheKey, join(scratch, u.dir)))) {
        throw new PerceptError(`${data.label}: upstream artifact ${u.dir} (cache key ${u.cacheKey}) is not in the shared cache ${data.cacheDir}; is the cache folder shared with the coordinator?`);
      }
    }
    if (!hit) {
      await mkdir(scratch, { recursive: true });
      writeFileAtomicSync(join(scratch, MANIFEST_FILE), canonicalJson(data.manifest, { pretty: true, what: 'manifest' }));
    }
    const out = await executeCell(data.spec, {
      registry: env.registry, runDir: scratch, baseDir: data.baseDir, cache, signal: env.signal, log: env.log, progress: env.progress,
    });
    return { artifactHash: out.artifactHash, cached: out.cached, records: out.records };
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
