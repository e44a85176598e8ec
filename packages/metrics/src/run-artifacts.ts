/**
 * Reading a run directory's recorded artifacts: the one place outside the engine that knows its layout
 * (runs/<workflow>/<run-id>/manifest.json, steps/<step>/<cell>/result.json and cell.json). The report
 * reads whole runs with it, and jobs that gather upstream steps' results (pareto's `from`) read the
 * run they are part of, pairing cells of different steps by their matrix values as the report does.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative, resolve, sep } from 'node:path';
import { InputError, type JsonValue } from '@percept/core';

export const MANIFEST_FILE = 'manifest.json';
export const RESULT_FILE = 'result.json';
/** Written by the engine beside result.json: the cell's step, matrix, options and records. */
export const CELL_FILE = 'cell.json';

export interface RunProvenance {
  runId: string;
  status?: string;
  engine?: string;
  startedAt?: string;
  finishedAt?: string;
  workflow?: { name?: string; path?: string; sha256?: string; overrides?: string[] };
  host?: Record<string, JsonValue>;
  plugins?: Array<{ name: string; version: string }>;
  resumedFrom?: string[];
}

/** One finished (or failed) step cell and what it produced. */
export interface StepView {
  step: string;
  /** Cell directory name under steps/<step>/; "" for a step without a matrix. */
  cell: string;
  /** The contribution the step used (e.g. "perceptual-score"), when the manifest says. */
  uses?: string;
  plugin?: { name: string; version: string };
  matrix: Record<string, JsonValue> | null;
  options?: Record<string, JsonValue>;
  status?: string;
  /** Provenance the job recorded (engine info, weight hashes, skipped counts). */
  records?: Record<string, JsonValue>;
  artifactHash?: string;
  /** Absolute path of the cell directory. */
  dir: string;
  /** The parsed result.json (the step's outputs); null when the cell wrote none. */
  outputs: Record<string, JsonValue> | null;
}

export interface RunView {
  dir: string;
  provenance: RunProvenance;
  steps: StepView[];
}

function readJson(path: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`${what}: cannot read ${path}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new InputError(`${what}: ${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A result file may be the outputs object itself or an envelope `{ outputs: {...}, ... }`; both are
 * accepted so the engine can add metadata to result.json without breaking reports.
 */
function outputsOf(result: unknown, path: string): Record<string, JsonValue> {
  if (!isObject(result)) throw new InputError(`${path}: expected a JSON object of step outputs`);
  if (isObject(result.outputs)) return result.outputs as Record<string, JsonValue>;
  return result as Record<string, JsonValue>;
}

/** Every result.json under steps/, for runs whose manifest lists no cells (e.g. still running). */
function scanResults(runDir: string): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 4 || !existsSync(dir)) return;
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory() && !e.name.startsWith('.')) walk(p, depth + 1);
      else if (e.isFile() && e.name === RESULT_FILE) out.push(p);
    }
  };
  walk(join(runDir, 'steps'), 0);
  return out.sort();
}

export interface ReadRunOptions {
  /**
   * Accept a directory without manifest.json, reading only the cells on disk (a job reading its own
   * run where the engine keeps no manifest, e.g. a BullMQ worker's scratch run holding the upstream
   * artifacts). Default false: a report needs the manifest's provenance.
   */
  manifestOptional?: boolean;
}

/** Reads a run directory. Throws an InputError naming the path when it is not one. */
export function readRun(runDir: string, options: ReadRunOptions = {}): RunView {
  const dir = resolve(runDir);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new InputError(`run directory ${dir} does not exist`, { hint: 'pass runs/<workflow>/<run-id> of a finished run' });
  }
  const manifestPath = join(dir, MANIFEST_FILE);
  if (!existsSync(manifestPath) && options.manifestOptional) {
    return { dir, provenance: { runId: basename(dir) }, steps: cellsFromDisk(dir, new Set()) };
  }
  if (!existsSync(manifestPath)) {
    throw new InputError(`${dir} is not a run directory: ${MANIFEST_FILE} is missing`, {
      hint: 'pass runs/<workflow>/<run-id> (the directory that holds manifest.json)',
    });
  }
  const m = readJson(manifestPath, 'run manifest');
  if (!isObject(m) || typeof m.runId !== 'string') {
    throw new InputError(`${manifestPath}: field "runId" must be a string (is this a Percept run manifest?)`);
  }
  const provenance: RunProvenance = {
    runId: m.runId,
    status: typeof m.status === 'string' ? m.status : undefined,
    engine: typeof m.engine === 'string' ? m.engine : undefined,
    startedAt: typeof m.startedAt === 'string' ? m.startedAt : undefined,
    finishedAt: typeof m.finishedAt === 'string' ? m.finishedAt : undefined,
    workflow: isObject(m.workflow) ? (m.workflow as RunProvenance['workflow']) : undefined,
    host: isObject(m.host) ? (m.host as Record<string, JsonValue>) : undefined,
    plugins: Array.isArray(m.plugins) ? (m.plugins as RunProvenance['plugins']) : undefined,
    resumedFrom: Array.isArray(m.resumedFrom) ? (m.resumedFrom as string[]) : undefined,
  };

  const steps: StepView[] = [];
  const seen = new Set<string>();
  const cells = Array.isArray(m.cells) ? m.cells : [];
  for (const [i, c] of cells.entries()) {
    if (!isObject(c) || typeof c.step !== 'string') {
      throw new InputError(`${manifestPath}: cells[${i}].step must be a string`);
    }
    const cell = typeof c.cell === 'string' ? c.cell : '';
    const cellDir = resolve(dir, typeof c.dir === 'string' ? c.dir : join('steps', c.step, cell));
    const resultPath = join(cellDir, RESULT_FILE);
    seen.add(resultPath);
    steps.push({
      step: c.step,
      cell,
      uses: typeof c.uses === 'string' ? c.uses : undefined,
      plugin: isObject(c.plugin) ? (c.plugin as StepView['plugin']) : undefined,
      matrix: isObject(c.matrix) ? (c.matrix as Record<string, JsonValue>) : null,
      options: isObject(c.options) ? (c.options as Record<string, JsonValue>) : undefined,
      status: typeof c.status === 'string' ? c.status : undefined,
      records: isObject(c.records) ? (c.records as Record<string, JsonValue>) : undefined,
      artifactHash: typeof c.artifactHash === 'string' ? c.artifactHash : undefined,
      dir: cellDir,
      outputs: existsSync(resultPath) ? outputsOf(readJson(resultPath, `step ${c.step}`), resultPath) : null,
    });
  }
  steps.push(...cellsFromDisk(dir, seen));
  return { dir, provenance, steps };
}

/** Cells present on disk but not (yet) in the manifest: step/cell from the path, matrix from cell.json. */
function cellsFromDisk(dir: string, seen: ReadonlySet<string>): StepView[] {
  const steps: StepView[] = [];
  for (const resultPath of scanResults(dir)) {
    if (seen.has(resultPath)) continue;
    const parts = relative(join(dir, 'steps'), resultPath).split(sep).slice(0, -1);
    const meta = cellMeta(join(resultPath, '..'));
    steps.push({
      step: parts[0],
      cell: parts.slice(1).join('/'),
      ...(typeof meta?.uses === 'string' ? { uses: meta.uses } : {}),
      matrix: isObject(meta?.matrix) ? (meta.matrix as Record<string, JsonValue>) : null,
      ...(meta ? { status: 'succeeded' } : {}),
      dir: join(resultPath, '..'),
      outputs: outputsOf(readJson(resultPath, `step ${parts[0]}`), resultPath),
    });
  }
  return steps;
}

/** A finished cell's cell.json (written last, so its presence means the artifact is complete), or undefined. */
function cellMeta(cellDir: string): Record<string, unknown> | undefined {
  const p = join(cellDir, CELL_FILE);
  if (!existsSync(p)) return undefined;
  try {
    const m = JSON.parse(readFileSync(p, 'utf8'));
    return isObject(m) ? m : undefined;
  } catch {
    return undefined;
  }
}

/** A short label for a step cell, e.g. "score [backbone=alexnet]". */
export function cellLabel(s: Pick<StepView, 'step' | 'cell' | 'matrix'>): string {
  if (s.matrix && Object.keys(s.matrix).length) {
    return Object.entries(s.matrix)
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
      .join(', ');
  }
  return s.cell || s.step;
}

/**
 * True when two cells belong together: they share at least one matrix key and agree (as JSON) on every
 * shared key. This is how PS cells are paired with accuracy cells (the report's PS-vs-accuracy points,
 * pareto's `from`): steps of one model carry the same `model`/`step` axes.
 */
export function matrixValuesAgree(a: Pick<StepView, 'matrix'>, b: Pick<StepView, 'matrix'>): boolean {
  if (!a.matrix || !b.matrix) return false;
  const shared = Object.keys(a.matrix).filter((k) => k in b.matrix!);
  return shared.length > 0 && shared.every((k) => JSON.stringify(a.matrix![k]) === JSON.stringify(b.matrix![k]));
}

const ACCURACY_KEYS = ['top1', 'top1Accuracy', 'accuracy', 'acc'];

/**
 * Top-1 accuracy in percent in a cell's outputs, looked up at the top level or one level down under
 * one of top1 / top1Accuracy / accuracy / acc. A value in [0, 1] is a fraction (the accuracy job's
 * `top1`) and is multiplied by 100; one in (1, 100] is already a percentage.
 */
export function findAccuracyPercent(outputs: Record<string, JsonValue> | null): number | undefined {
  if (!outputs) return undefined;
  const pct = (v: number) => (v <= 1 ? v * 100 : v);
  for (const k of ACCURACY_KEYS) {
    const v = outputs[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100) return pct(v);
    if (isObject(v)) for (const kk of ACCURACY_KEYS) {
      const x = (v as Record<string, JsonValue>)[kk];
      if (typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 100) return pct(x);
    }
  }
  return undefined;
}
