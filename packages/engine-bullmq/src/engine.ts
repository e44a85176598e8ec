import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FlowJobNode, JobsOptions, Queue } from 'bullmq';
import {
  CellCache, PerceptError, canonicalJson, cellLabel, cellRecordKey, executeCell, finishedCellKey, isPlainObject, parseWorkflowSource,
  readCellArtifact, resolveCell, runDirOf, startRunManifest, writeFileAtomicSync,
  type CellRecord, type CellSpec, type Engine, type Manifest, type PlannedStep, type RunEvent, type RunRequest,
  type RunResult, type RunStatus, type UpstreamCell,
} from '@percept/core';
import { openBroker, type Broker } from './broker.js';
import { BARRIER_QUEUE, cellQueueName, type CellJobData, type CellQueueName } from './protocol.js';

export interface BullmqEngineOptions {
  /** redis://host:port or postgres://user@host:port/db, or an opened broker. */
  broker: string | Broker;
  queue?: CellQueueName;
  /** Tries per cell for transient errors (deterministic ones are not retried). Default 3. */
  attempts?: number;
  /** First retry delay, doubled on each further attempt. Default 1000 ms. */
  backoffMs?: number;
  /** How often the coordinator looks at its jobs. Default 200 ms. */
  pollMs?: number;
}

const key = cellRecordKey;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The workflow's `plugins` entries: workers load the same plugins the coordinator did. */
async function workflowPlugins(file: string): Promise<string[]> {
  const parsed = parseWorkflowSource(file, await readFile(file, 'utf8'));
  const v = parsed.value;
  return isPlainObject(v) && Array.isArray(v.plugins) ? (v.plugins as unknown[]).filter((p): p is string => typeof p === 'string') : [];
}

/**
 * The coordinator. Steps run in dependency order; a step's cells are resolved here (the same
 * resolveCell the local engine uses), cache hits and cells finished in a resumed run are taken
 * without touching the broker, and the rest are enqueued as one BullMQ flow: a barrier parent
 * with one child per cell whose job id is the cell's cache key. BullMQ ignores an add with a
 * known id, so a resubmission or a re-attached coordinator never runs a cell twice. Workers
 * store artifacts in the shared cache; the coordinator copies them into the run directory and
 * writes the manifest exactly as the local engine does, so runs can switch engines and resume.
 */
export class BullmqEngine implements Engine {
  readonly name = 'bullmq';
  constructor(private readonly opts: BullmqEngineOptions) {}

  async run(req: RunRequest): Promise<RunResult> {
    const { plan, registry } = req;
    if (!req.cacheDir) {
      throw new PerceptError('The bullmq engine needs a cell cache: workers exchange artifacts through it (drop --no-cache, and give --cache-dir a folder every worker can reach).');
    }
    const broker = typeof this.opts.broker === 'string' ? openBroker(this.opts.broker) : this.opts.broker;
    const cache = new CellCache(resolve(req.cacheDir));
    const runDir = runDirOf(req.runsDir, plan.name, req.runId);
    const emit = (e: RunEvent) => req.onEvent?.(e);
    const signal = req.signal ?? new AbortController().signal;
    const now = () => new Date().toISOString();
    const attempts = Math.max(1, this.opts.attempts ?? 3);
    const pollMs = this.opts.pollMs ?? 200;
    const plugins = await workflowPlugins(plan.file);

    const { manifest, manifestPath, recordOf, previous } = await startRunManifest(req, {
      engine: this.name, runDir, registry, concurrency: Math.max(1, Math.floor(req.concurrency)), cacheDir: cache.dir,
    });
    const cells = manifest.cells;
    const saveNow = () => writeFileAtomicSync(manifestPath, canonicalJson(manifest, { pretty: true, what: 'manifest' }));
    // Rewriting the whole manifest on every change is quadratic on a sweep of thousands of cells,
    // so changes are batched (at most one write per 200 ms). Resume does not depend on it being
    // current: a finished cell is recognised by its cell.json and the cache.
    let lastSave = 0;
    let pendingSave: NodeJS.Timeout | undefined;
    const save = () => {
      if (pendingSave) return;
      const wait = lastSave + 200 - Date.now();
      if (wait <= 0) { lastSave = Date.now(); saveNow(); return; }
      pendingSave = setTimeout(() => { pendingSave = undefined; lastSave = Date.now(); saveNow(); }, wait);
    };
    const flush = () => { if (pendingSave) clearTimeout(pendingSave); pendingSave = undefined; saveNow(); };
    saveNow();
    emit({ type: 'run-start', runId: req.runId, runDir, cells: cells.length });

    const queue = broker.queue(cellQueueName(this.opts.queue ?? 'cpu'));
    const barriers = broker.queue(BARRIER_QUEUE);
    const flows = broker.flowProducer();
    // The clients reconnect by themselves; without a listener their errors would be printed as
    // unhandled, once per retry, while the broker is away.
    let lastWarn = 0;
    const onBrokerError = (e: Error) => {
      if (Date.now() - lastWarn < 5000) return;
      lastWarn = Date.now();
      req.log?.warn(`broker ${broker.display}: ${e.message} (retrying)`);
    };
    for (const c of [queue, barriers, flows] as Array<{ on(ev: 'error', f: (e: Error) => void): unknown }>) c.on('error', onBrokerError);
    const upstream = new Map<string, UpstreamCell[]>();
    const failedSteps = new Set<string>();
    const blockedSteps = new Set<string>();
    const skippedSteps = new Set<string>();
    let failFast = false;
    const labelOf = (s: PlannedStep, i: number) => (s.cells[i].matrix ? `${s.id} ${cellLabel(s.cells[i].matrix!)}` : s.id);

    // Each step starts when the steps it depends on are over, so independent steps (and their
    // flows) run side by side, as with the local engine.
    const stepDone = new Map<string, Promise<void>>();
    const runOne = async (step: PlannedStep) => {
      await Promise.all(step.deps.map((d) => stepDone.get(d)));
      if (signal.aborted || failFast) return;
      const skip = step.condition && !step.condition.met
        ? step.condition.reason
        : (() => { const d = step.refs.find((r) => skippedSteps.has(r)); return d ? `uses the outputs of step "${d}", which was skipped` : undefined; })();
      if (skip !== undefined) {
        skippedSteps.add(step.id);
        upstream.set(step.id, []);
        step.cells.forEach((c, i) => {
          Object.assign(recordOf.get(key(step.id, c.key))!, { status: 'skipped', error: skip });
          emit({ type: 'cell-finish', step: step.id, cell: c.key, label: labelOf(step, i), status: 'skipped', cached: false, reused: false, error: skip });
        });
        save();
        return;
      }
      if (step.deps.some((d) => failedSteps.has(d) || blockedSteps.has(d))) {
        blockedSteps.add(step.id);
        for (const c of step.cells) Object.assign(recordOf.get(key(step.id, c.key))!, { status: 'skipped', error: 'a step it needs failed' });
        save();
        return;
      }
      await this.runStep(step, {
        req, runDir, cache, queue, barriers, flows, upstream, recordOf, previous, emit, save, signal, attempts, pollMs, plugins, labelOf, now, manifest,
        onFailure: () => { failedSteps.add(step.id); if (!step.continueOnError) failFast = true; },
        failFast: () => failFast,
      });
    };
    try {
      // plan.steps is in dependency order, so every dependency's promise exists when it is needed.
      for (const step of plan.steps) stepDone.set(step.id, runOne(step));
      const outcomes = await Promise.allSettled(stepDone.values());
      const crashed = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected');
      if (crashed) throw crashed.reason;
    } finally {
      await Promise.allSettled([queue.close(), barriers.close(), flows.close()]);
    }

    let status: RunStatus;
    if (signal.aborted) {
      status = 'interrupted';
      for (const c of cells) if (c.status === 'running' || c.status === 'pending') Object.assign(c, { status: 'interrupted', error: 'the coordinator was interrupted; the cell may still finish on a worker (resume to collect it)' });
    } else {
      status = cells.some((c) => c.status === 'failed' && !plan.steps.find((s) => s.id === c.step)!.continueOnError) ? 'failed' : 'succeeded';
      for (const c of cells) if (c.status === 'pending' || c.status === 'running') Object.assign(c, { status: 'skipped', error: 'not finished: the run stopped after a failure' });
    }
    Object.assign(manifest, { status, finishedAt: now() });
    flush();
    emit({ type: 'run-finish', status });
    return { status, runDir, manifest };
  }

  private async runStep(step: PlannedStep, x: StepRun): Promise<void> {
    const { req, runDir, cache, queue, recordOf, emit, save, signal } = x;
    const results: Array<UpstreamCell | undefined> = new Array(step.cells.length);
    const remote = new Map<string, { index: number; spec: CellSpec; started: number; active: boolean; progress?: number }>();

    const succeed = async (index: number, spec: CellSpec, how: { cached: boolean; reused: boolean; started: number }) => {
      const rec = recordOf.get(key(step.id, step.cells[index].key))!;
      const art = await readCellArtifact(join(runDir, rec.dir));
      Object.assign(rec, { status: 'succeeded', cached: how.cached, reused: how.reused, artifactHash: art.artifactHash, records: art.records, finishedAt: x.now(), durationMs: Date.now() - how.started });
      if (!rec.startedAt) rec.startedAt = new Date(how.started).toISOString();
      results[index] = { cell: rec.cell, dir: rec.dir, outputs: art.outputs, hash: art.artifactHash };
      emit({ type: 'cell-finish', step: step.id, cell: rec.cell, label: x.labelOf(step, index), status: 'succeeded', cached: how.cached, reused: how.reused });
    };
    const fail = (index: number, message: string) => {
      const rec = recordOf.get(key(step.id, step.cells[index].key))!;
      Object.assign(rec, { status: 'failed', error: message, finishedAt: x.now() });
      emit({ type: 'cell-finish', step: step.id, cell: rec.cell, label: x.labelOf(step, index), status: 'failed', cached: false, reused: false, error: message });
      x.onFailure();
    };

    // Workers read upstream artifacts from the shared cache; cells kept from a resumed run may
    // never have been stored there (e.g. made with --no-cache), so store them now.
    const upstreamRefs: CellJobData['upstream'] = [];
    for (const d of step.deps) {
      for (const c of x.req.plan.steps.find((s) => s.id === d)!.cells) {
        const rec = recordOf.get(key(d, c.key))!;
        if (rec.status !== 'succeeded' || !rec.cacheKey) continue;
        if (!(await cache.has(rec.cacheKey))) await cache.store(rec.cacheKey, join(runDir, rec.dir));
        upstreamRefs.push({ dir: rec.dir, cacheKey: rec.cacheKey });
      }
    }

    // Jobs that read their own run (the report) find the same records a local run would give them.
    const upstreamDirs = new Set(upstreamRefs.map((u) => u.dir));
    const manifestSnapshot = JSON.parse(JSON.stringify({ ...x.manifest, cells: x.manifest.cells.filter((c) => upstreamDirs.has(c.dir)) })) as Manifest;

    const children: FlowJobNode[] = [];
    for (let i = 0; i < step.cells.length; i++) {
      const rec = recordOf.get(key(step.id, step.cells[i].key))!;
      const started = Date.now();
      let spec: CellSpec;
      try {
        spec = resolveCell(req.plan, step, i, x.upstream);
      } catch (e) {
        fail(i, e instanceof Error ? e.message : String(e));
        continue;
      }
      Object.assign(rec, { options: spec.options, inputs: spec.inputs, cacheKey: spec.cacheKey });
      delete rec.error;
      const prev = x.previous.get(key(step.id, rec.cell));
      if (req.resume && (await finishedCellKey(join(runDir, rec.dir))) === spec.cacheKey) {
        await succeed(i, spec, { cached: prev?.cached === true, reused: true, started });
        continue;
      }
      if (await cache.has(spec.cacheKey)) {
        // Restores the cached artifact into the run directory; nothing is executed.
        await executeCell(spec, { registry: req.registry, runDir, baseDir: req.plan.baseDir, cache, signal, log: { info() {}, warn() {}, debug() {} }, progress: () => {} });
        await succeed(i, spec, { cached: true, reused: false, started });
        continue;
      }
      remote.set(spec.cacheKey, { index: i, spec, started, active: false });
      const state = await queue.getJobState(spec.cacheKey);
      if (state === 'completed' || state === 'failed') {
        // Finished before but its artifact is gone from the cache (or it failed on an earlier
        // run being resumed): run it again.
        await queue.remove(spec.cacheKey).catch(() => 0);
      } else if (state !== 'unknown') {
        continue; // Waiting or running from an earlier coordinator: re-attach to it.
      }
      children.push({ name: x.labelOf(step, i), queueName: queue.name, data: this.jobData(spec, x, upstreamRefs, manifestSnapshot, x.labelOf(step, i)), opts: this.jobOpts(spec, step, x) });
    }
    save();

    const barrierId = `${req.runId}.${step.id}.${Date.now().toString(36)}`;
    if (children.length) {
      await x.flows.add({ name: `${step.id} barrier`, queueName: BARRIER_QUEUE, data: { runId: req.runId, step: step.id, cells: children.length }, opts: { jobId: barrierId }, children });
    }

    // Watch the jobs until each one is final. The coordinator, not the barrier, decides when the
    // step is over, so a failed or vanished child can never leave the step waiting forever.
    while (remote.size && !signal.aborted) {
      // Ask for the states in parallel batches: a sweep may have thousands of cells in flight.
      const states = new Map<string, string>();
      const ids = [...remote.keys()];
      for (let k = 0; k < ids.length && !signal.aborted; k += 500) {
        const chunk = ids.slice(k, k + 500);
        const got = await Promise.all(chunk.map((id) => queue.getJobState(id).catch(() => 'unreachable')));
        chunk.forEach((id, j) => states.set(id, got[j]));
      }
      for (const [id, r] of [...remote]) {
        if (signal.aborted) break;
        const state = states.get(id) ?? 'unreachable';
        const rec = recordOf.get(key(step.id, step.cells[r.index].key))!;
        if (state === 'active') {
          if (!r.active) {
            r.active = true;
            Object.assign(rec, { status: 'running', startedAt: x.now() });
            emit({ type: 'cell-start', step: step.id, cell: rec.cell, label: x.labelOf(step, r.index) });
            save();
          }
          // Relay the worker's progress (only running jobs are asked: at most one per worker slot).
          if (req.onEvent) {
            const p = (await queue.getJob(id).catch(() => undefined))?.progress as { done?: unknown; total?: unknown; unit?: unknown; message?: unknown } | undefined;
            if (p && typeof p === 'object' && typeof p.done === 'number' && p.done !== r.progress) {
              r.progress = p.done;
              emit({
                type: 'cell-progress', step: step.id, cell: rec.cell, label: x.labelOf(step, r.index), done: p.done,
                total: typeof p.total === 'number' ? p.total : null, unit: typeof p.unit === 'string' ? p.unit : '',
                ...(typeof p.message === 'string' ? { message: p.message } : {}),
              });
            }
          }
        } else if (state === 'completed' || (state === 'unknown' && (await cache.has(id)))) {
          // 'unknown' with a cache entry: finished and already trimmed by removeOnComplete.
          remote.delete(id);
          if (!(await cache.restore(id, join(runDir, rec.dir)))) {
            fail(r.index, `worker reported ${id} complete, but its artifact is not in the shared cache ${cache.dir}; do the workers use the same cache folder?`);
          } else await succeed(r.index, r.spec, { cached: false, reused: false, started: r.started });
          save();
        } else if (state === 'failed') {
          remote.delete(id);
          const job = await queue.getJob(id).catch(() => undefined);
          fail(r.index, job?.failedReason || 'the cell failed on a worker');
          save();
        } else if (state === 'unknown') {
          // Removed behind our back (e.g. by an operator): submit it again on its own.
          await queue.add(x.labelOf(step, r.index), this.jobData(r.spec, x, upstreamRefs, manifestSnapshot, x.labelOf(step, r.index)), this.jobOpts(r.spec, step, x));
        }
      }
      if ((!step.continueOnError && this.stepFailed(step, recordOf)) || x.failFast()) {
        // Fail fast (this step or another one failed): take back the cells no worker has
        // started; running ones finish on their own and stay in the cache.
        for (const id of remote.keys()) await queue.remove(id).catch(() => 0);
        break;
      }
      if (remote.size) await sleep(x.pollMs);
    }
    if (children.length) await x.barriers.remove(barrierId, { removeChildren: false }).catch(() => 0);
    if (results.filter(Boolean).length === step.cells.length) x.upstream.set(step.id, results as UpstreamCell[]);
  }

  private stepFailed(step: PlannedStep, recordOf: Map<string, CellRecord>): boolean {
    return step.cells.some((c) => recordOf.get(key(step.id, c.key))!.status === 'failed');
  }

  private jobData(spec: CellSpec, x: StepRun, upstream: CellJobData['upstream'], manifest: Manifest, label: string): CellJobData {
    return {
      spec, cacheDir: x.cache.dir, workflowFile: x.req.plan.file, baseDir: x.req.plan.baseDir, plugins: x.plugins,
      upstream, manifest, runId: x.req.runId, label,
    };
  }

  private jobOpts(spec: CellSpec, step: PlannedStep, x: StepRun): JobsOptions {
    return {
      jobId: spec.cacheKey,
      attempts: x.attempts,
      backoff: { type: 'exponential', delay: this.opts.backoffMs ?? 1000 },
      // Keep the broker's memory bounded on large sweeps: the cache, not the broker, remembers
      // what finished.
      removeOnComplete: { count: 1000 },
      removeOnFail: { count: 1000 },
      ...(step.continueOnError ? { ignoreDependencyOnFailure: true } : { failParentOnFailure: true }),
    };
  }
}

interface StepRun {
  req: RunRequest;
  runDir: string;
  cache: CellCache;
  queue: Queue;
  barriers: Queue;
  flows: ReturnType<Broker['flowProducer']>;
  upstream: Map<string, UpstreamCell[]>;
  recordOf: Map<string, CellRecord>;
  previous: Map<string, CellRecord>;
  emit: (e: RunEvent) => void;
  save: () => void;
  signal: AbortSignal;
  attempts: number;
  pollMs: number;
  plugins: string[];
  labelOf: (s: PlannedStep, i: number) => string;
  now: () => string;
  manifest: Manifest;
  onFailure: () => void;
  /** True once a step without continueOnError has failed: the run stops taking on work. */
  failFast: () => boolean;
}

