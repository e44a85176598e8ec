import type { CellSpec, JsonValue, Manifest } from '@percept/core';

/** Queue names. Workers pick one of the cell queues; the coordinator owns the barrier queue. */
export const QUEUE_PREFIX = 'percept';
export type CellQueueName = 'cpu' | 'gpu';
export const cellQueueName = (q: CellQueueName) => `${QUEUE_PREFIX}-cells-${q}`;
export const BARRIER_QUEUE = `${QUEUE_PREFIX}-barriers`;

/**
 * What a cell job carries: the resolved cell and where its inputs and outputs live. Everything
 * here is plain JSON; a worker on another machine needs only this and the shared cache.
 */
export interface CellJobData {
  spec: CellSpec;
  /** The shared cell cache: the worker reads upstream artifacts from it and stores its own there. */
  cacheDir: string;
  /** The workflow file (on shared storage), to load its plugins and resolve relative paths. */
  workflowFile: string;
  baseDir: string;
  /** The workflow's `plugins` entries, loaded by the worker the same way the coordinator did. */
  plugins: string[];
  /** Upstream cells whose artifacts this cell reads: their directory in the run and cache key. */
  upstream: Array<{ dir: string; cacheKey: string }>;
  /**
   * The run's manifest as the coordinator had it when the step started, holding only the upstream
   * cells. The worker writes it into the scratch run directory, so a job that reads its own run
   * (the report) sees the records it would see on the local engine.
   */
  manifest: Manifest;
  runId: string;
  /** A label for logs and the dashboard. */
  label: string;
}

export interface CellJobResult {
  artifactHash: string;
  /** True when the worker found the artifact already cached (a duplicate delivery). */
  cached: boolean;
  records: Record<string, JsonValue>;
  worker: string;
}

/** Messages from the cell child process to its worker. */
export type ChildMessage =
  | { type: 'progress'; done: number; total: number | null; unit: string; message?: string }
  | { type: 'log'; level: 'info' | 'warn' | 'debug'; message: string }
  | { type: 'done'; result: Omit<CellJobResult, 'worker'> }
  | { type: 'error'; message: string; deterministic: boolean };

/** The message a worker sends to start the child. */
export interface ChildStart {
  type: 'start';
  data: CellJobData;
  /** A module exporting `createRegistry({ cwd, workflowFile, workflowPlugins })`. */
  registryModule: string;
}
