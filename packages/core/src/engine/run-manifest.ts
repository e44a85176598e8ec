/**
 * The run manifest both engines write: the same records, the same file, the same resume rules, so a
 * run begun on one engine can be resumed on another.
 */
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Registry } from '../registry.js';
import { isAtomicTempFile } from '../util/atomic.js';
import { CELL_FILE, RESULT_FILE } from './cache.js';
import { exists } from './files.js';
import { hostInfo } from './host.js';
import { cellDirOf } from './plan.js';
import type { CellRecord, Manifest, RunRequest } from './types.js';

export const MANIFEST_FILE = 'manifest.json';

/** The key of a cell record in maps: step id and cell key, which may hold any printable text. */
export const cellRecordKey = (step: string, cell: string): string => `${step}\u0000${cell}`;

/**
 * The cache key of a complete artifact in `cellDir`, or undefined when it is absent or partial. A
 * cell is finished when its cell.json (written last) names the cache key, whatever the manifest
 * says: the process may have died between the artifact and the manifest.
 */
export async function finishedCellKey(cellDir: string): Promise<string | undefined> {
  if (!(await exists(join(cellDir, RESULT_FILE)))) return undefined;
  try {
    const meta = JSON.parse(await readFile(join(cellDir, CELL_FILE), 'utf8')) as { cacheKey?: unknown };
    return typeof meta.cacheKey === 'string' ? meta.cacheKey : undefined;
  } catch {
    return undefined;
  }
}

export interface RunManifestStart {
  manifest: Manifest;
  manifestPath: string;
  /** This run's records by cellRecordKey. */
  recordOf: Map<string, CellRecord>;
  /** The resumed run's records by cellRecordKey (empty for a new run). */
  previous: Map<string, CellRecord>;
}

/**
 * A fresh manifest with one pending record per planned cell (not yet written). On resume it keeps
 * the first start time, appends this resumption, and removes temp manifests a killed process left.
 */
export async function startRunManifest(
  req: RunRequest,
  opts: { engine: string; runDir: string; registry: Registry; concurrency: number; cacheDir: string | null },
): Promise<RunManifestStart> {
  const { plan } = req;
  const now = new Date().toISOString();
  const cells: CellRecord[] = plan.steps.flatMap((s) =>
    s.cells.map((c) => ({
      step: s.id, cell: c.key, matrix: c.matrix, uses: s.uses, plugin: s.plugin, dir: cellDirOf(s.id, c.key), status: 'pending' as const,
    })),
  );
  const manifest: Manifest = {
    manifestVersion: 1,
    runId: req.runId,
    engine: opts.engine,
    status: 'running',
    startedAt: req.resume?.startedAt ?? now,
    workflow: { name: plan.name, path: plan.file, sha256: plan.sha256, overrides: plan.overrides },
    host: hostInfo(),
    plugins: opts.registry.listPlugins().map((p) => ({ name: p.name, version: p.version })),
    concurrency: opts.concurrency,
    cacheDir: opts.cacheDir,
    ...(req.resume ? { resumedAt: [...(req.resume.resumedAt ?? []), now] } : {}),
    cells,
  };
  // A killed process may have left a temp manifest behind; it is never read, so remove it.
  for (const f of await readdir(opts.runDir).catch(() => [] as string[])) {
    if (isAtomicTempFile(f)) await rm(join(opts.runDir, f), { force: true });
  }
  return {
    manifest,
    manifestPath: join(opts.runDir, MANIFEST_FILE),
    recordOf: new Map(cells.map((c) => [cellRecordKey(c.step, c.cell), c])),
    previous: new Map((req.resume?.cells ?? []).map((c) => [cellRecordKey(c.step, c.cell), c])),
  };
}
