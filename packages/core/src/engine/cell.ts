import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { JobContext, JsonValue, Logger } from '../contracts.js';
import { PerceptError } from '../errors.js';
import type { Registry } from '../registry.js';
import { writeFileAtomic } from '../util/atomic.js';
import { canonicalJson, isPlainObject } from '../util/canonical.js';
import { CELL_FILE, RESULT_FILE, type CellCache } from './cache.js';
import { hashTree } from './files.js';
import { checkOutputs } from './options.js';
import { cellDirOf } from './plan.js';
import { fromPortable, toPortable } from './portable.js';
import type { CellSpec } from './types.js';

export interface CellEnvironment {
  registry: Registry;
  runDir: string;
  baseDir: string;
  cache: CellCache | null;
  signal: AbortSignal;
  log: Logger;
  progress: JobContext['progress'];
  /** Called with each ctx.record() so a live manifest can show it. */
  onRecord?: (key: string, value: JsonValue) => void;
}

export interface CellOutcome {
  /** The result as stored in result.json (portable form). */
  outputs: Record<string, JsonValue>;
  artifactHash: string;
  cached: boolean;
  records: Record<string, JsonValue>;
}

/** Reads a finished cell's artifact back (for reuse on resume and for cache hits). */
export async function readCellArtifact(cellDir: string): Promise<Omit<CellOutcome, 'cached'>> {
  const outputs = JSON.parse(await readFile(join(cellDir, RESULT_FILE), 'utf8')) as Record<string, JsonValue>;
  let records: Record<string, JsonValue> = {};
  try {
    const meta = JSON.parse(await readFile(join(cellDir, CELL_FILE), 'utf8'));
    if (isPlainObject(meta.records)) records = meta.records as Record<string, JsonValue>;
  } catch {
    // A cell without provenance still has a valid result.
  }
  return { outputs, records, artifactHash: await hashTree(cellDir, [CELL_FILE]) };
}

/**
 * Executes one cell: restore it from the cache, or run its job in a fresh cell directory and
 * write `result.json` (canonical JSON) and `cell.json` (its spec and records) atomically, then
 * store it in the cache. Self-contained and idempotent: the same spec always yields the same
 * directory, so any engine (local or remote) may run it, twice if need be.
 */
export async function executeCell(spec: CellSpec, env: CellEnvironment): Promise<CellOutcome> {
  const rel = cellDirOf(spec.step, spec.cell);
  const cellDir = join(env.runDir, rel);
  if (env.cache && (await env.cache.restore(spec.cacheKey, cellDir))) {
    return { ...(await readCellArtifact(cellDir)), cached: true };
  }
  // Leftovers of an interrupted attempt must not leak into this artifact.
  await rm(cellDir, { recursive: true, force: true });
  await mkdir(cellDir, { recursive: true });
  const contribution = env.registry.get(spec.kind, spec.uses);
  const label = spec.cell ? `${spec.step}[${spec.cell}]` : spec.step;
  const records: Record<string, JsonValue> = {};
  const ctx: JobContext = {
    stepId: label,
    outputDir: cellDir,
    runDir: env.runDir,
    baseDir: env.baseDir,
    registry: env.registry,
    signal: env.signal,
    log: env.log,
    progress: env.progress,
    record(key, value) {
      records[key] = value;
      env.onRecord?.(key, value);
    },
  };
  const result = await contribution.run(fromPortable(spec.options, { runDir: env.runDir }), ctx);
  if (!isPlainObject(result)) {
    throw new PerceptError(`${label}: ${spec.kind} "${spec.uses}" returned ${Array.isArray(result) ? 'an array' : String(result)}; a job must return an object whose keys are its outputs.`);
  }
  checkOutputs(contribution, result, label);
  const outputs = toPortable(result, { cellDir, runDir: env.runDir });
  await writeFileAtomic(join(cellDir, RESULT_FILE), canonicalJson(outputs, { pretty: true, what: `${label}: result` }));
  const meta = {
    step: spec.step, cell: spec.cell, matrix: spec.matrix, uses: spec.uses, kind: spec.kind, plugin: spec.plugin,
    options: spec.options, inputs: spec.inputs, cacheKey: spec.cacheKey,
    records: toPortable(records, { cellDir, runDir: env.runDir }),
  };
  await writeFileAtomic(join(cellDir, CELL_FILE), canonicalJson(meta, { pretty: true, what: `${label}: recorded provenance` }));
  const artifactHash = await hashTree(cellDir, [CELL_FILE]);
  if (env.cache) await env.cache.store(spec.cacheKey, cellDir);
  return { outputs, artifactHash, cached: false, records: meta.records };
}
