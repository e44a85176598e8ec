import type { JsonValue, Logger, StepContribution } from '../contracts.js';
import type { Registry } from '../registry.js';
import type { MatrixCell } from '../workflow/matrix.js';

export type CellStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'interrupted';
export type RunStatus = 'running' | 'succeeded' | 'failed' | 'interrupted';

/** A step as the engine sees it: its contribution resolved, its matrix expanded, its options still templates. */
export interface PlannedStep {
  id: string;
  uses: string;
  kind: 'job' | 'reporter';
  contribution: StepContribution;
  plugin: { name: string; version: string };
  /** Steps this one waits for: `needs` plus every step its options refer to. */
  deps: string[];
  /** Cells in matrix order; one cell with key "" and matrix null when the step has no matrix. */
  cells: Array<{ key: string; matrix: MatrixCell | null }>;
  /** The `with` object, expressions unresolved. */
  template: Record<string, JsonValue>;
  continueOnError: boolean;
  /** Steps whose outputs this one's options refer to (a subset of `deps`). */
  refs: string[];
  /**
   * Steps referred to only through `${steps.<id>.matching.outputs.…}` (and not in `needs`): each
   * cell's cache key covers just its matched cell of them, so adding a cell to a sweep does not
   * invalidate the others' results.
   */
  matchedDeps?: string[];
  /** The step's `if`, evaluated at planning time; absent when the step has none. */
  condition?: { met: boolean; reason: string };
}

export interface WorkflowPlan {
  name: string;
  /** Absolute path of the workflow file. */
  file: string;
  baseDir: string;
  /** sha256 of the workflow text as run (after any --set overrides). */
  sha256: string;
  /** --set overrides applied, as given. */
  overrides: string[];
  concurrency?: number;
  /** Steps in a dependency order (every step after the steps it depends on). */
  steps: PlannedStep[];
  /** Environment variables as read at planning time (only those the workflow refers to). */
  env: Record<string, string>;
}

/**
 * A cell: one resolved step instance. Everything needed to execute it anywhere, and everything
 * its cache key covers. Options are in portable form: paths inside the run directory are written
 * `${run}/…` so the key does not depend on where the run lives.
 */
export interface CellSpec {
  step: string;
  /** Directory name of the cell under steps/<step>/; "" when the step has no matrix. */
  cell: string;
  matrix: MatrixCell | null;
  uses: string;
  kind: 'job' | 'reporter';
  plugin: { name: string; version: string };
  options: Record<string, JsonValue>;
  /** Content hashes of the artifacts this cell reads, in dependency order. */
  inputs: Array<{ step: string; cell: string; hash: string }>;
  cacheKey: string;
}

export interface CellRecord {
  step: string;
  cell: string;
  matrix: MatrixCell | null;
  uses: string;
  plugin: { name: string; version: string };
  /** Path of the cell directory relative to the run directory. */
  dir: string;
  status: CellStatus;
  options?: Record<string, JsonValue>;
  inputs?: CellSpec['inputs'];
  cacheKey?: string;
  /** Restored from the cache instead of executed. */
  cached?: boolean;
  /** Kept from the run being resumed. */
  reused?: boolean;
  artifactHash?: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  /** What the job recorded with ctx.record(): engine info, weight hashes, skipped counts, … */
  records?: Record<string, JsonValue>;
  error?: string;
}

export interface HostInfo {
  node: string;
  platform: string;
  release: string;
  arch: string;
  cpuModel: string;
  cores: number;
  memoryBytes: number;
  hostname: string;
}

export interface Manifest {
  manifestVersion: 1;
  runId: string;
  engine: string;
  status: RunStatus;
  startedAt: string;
  finishedAt?: string;
  workflow: { name: string; path: string; sha256: string; overrides: string[] };
  host: HostInfo;
  plugins: Array<{ name: string; version: string }>;
  concurrency: number;
  cacheDir: string | null;
  /** When the run was resumed with --resume, oldest first. */
  resumedAt?: string[];
  cells: CellRecord[];
}

export type RunEvent =
  | { type: 'run-start'; runId: string; runDir: string; cells: number }
  | { type: 'cell-start'; step: string; cell: string; label: string }
  | { type: 'cell-progress'; step: string; cell: string; label: string; done: number; total: number | null; unit: string; message?: string }
  | { type: 'cell-finish'; step: string; cell: string; label: string; status: CellStatus; cached: boolean; reused: boolean; error?: string }
  | { type: 'log'; level: 'info' | 'warn' | 'debug'; step: string; cell: string; label: string; message: string }
  | { type: 'run-finish'; status: RunStatus };

export interface RunRequest {
  plan: WorkflowPlan;
  registry: Registry;
  runsDir: string;
  runId: string;
  /** null disables the cache (neither read nor written). */
  cacheDir: string | null;
  concurrency: number;
  signal?: AbortSignal;
  /** How long to wait for running cells after an abort before giving up on them. Default 10 s. */
  graceMs?: number;
  /** The manifest of the run being resumed (same run directory). */
  resume?: Manifest;
  onEvent?: (e: RunEvent) => void;
  log?: Logger;
}

export interface RunResult {
  status: RunStatus;
  runDir: string;
  manifest: Manifest;
}

/** Runs a plan's cells. `local` runs them in this process; other engines may farm cells out. */
export interface Engine {
  readonly name: string;
  run(request: RunRequest): Promise<RunResult>;
}
