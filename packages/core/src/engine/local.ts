import { join, resolve } from 'node:path';
import type { JsonValue, Logger } from '../contracts.js';
import { writeFileAtomicSync } from '../util/atomic.js';
import { canonicalJson } from '../util/canonical.js';
import { CellCache } from './cache.js';
import { executeCell, readCellArtifact } from './cell.js';
import { cellLabel } from '../workflow/matrix.js';
import { resolveCell, type UpstreamCell } from './plan.js';
import { cellRecordKey, finishedCellKey, startRunManifest } from './run-manifest.js';
import type { Engine, PlannedStep, RunEvent, RunRequest, RunResult, RunStatus } from './types.js';

export function runDirOf(runsDir: string, workflowName: string, runId: string): string {
  return resolve(runsDir, workflowName, runId);
}

/** A sortable, readable run id: 20240501-120000-ab12. */
export function newRunId(now = new Date()): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const stamp = `${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}-${p(now.getUTCHours())}${p(now.getUTCMinutes())}${p(now.getUTCSeconds())}`;
  return `${stamp}-${Math.floor(Math.random() * 0xffff).toString(16).padStart(4, '0')}`;
}


/**
 * Runs every cell in this process: cells whose dependencies have finished run concurrently, up to
 * `concurrency`. The manifest is rewritten atomically after every state change, so a killed run
 * leaves an accurate record for `--resume`.
 */
export class LocalEngine implements Engine {
  readonly name = 'local';

  async run(req: RunRequest): Promise<RunResult> {
    const { plan, registry } = req;
    const runDir = runDirOf(req.runsDir, plan.name, req.runId);
    const emit = (e: RunEvent) => req.onEvent?.(e);
    const signal = req.signal ?? new AbortController().signal;
    const cache = req.cacheDir ? new CellCache(resolve(req.cacheDir)) : null;
    const concurrency = Math.max(1, Math.floor(req.concurrency));
    const now = () => new Date().toISOString();

    const { manifest, manifestPath, recordOf, previous } = await startRunManifest(req, {
      engine: this.name, runDir, registry, concurrency, cacheDir: cache ? cache.dir : null,
    });
    const cells = manifest.cells;
    const save = () => writeFileAtomicSync(manifestPath, canonicalJson(manifest, { pretty: true, what: 'manifest' }));
    save();
    emit({ type: 'run-start', runId: req.runId, runDir, cells: cells.length });

    interface StepState { next: number; running: number; results: Array<UpstreamCell | undefined>; failed: boolean; blocked: boolean; skipped: boolean }
    const state = new Map<string, StepState>(
      plan.steps.map((s) => [s.id, { next: 0, running: 0, results: new Array(s.cells.length), failed: false, blocked: false, skipped: false }]),
    );
    const upstream = new Map<string, UpstreamCell[]>();
    const running = new Set<Promise<void>>();
    let failFast = false;

    const runCell = async (step: PlannedStep, index: number) => {
      const key = step.cells[index].key;
      const rec = recordOf.get(cellRecordKey(step.id, key))!;
      const label = step.cells[index].matrix ? `${step.id} ${cellLabel(step.cells[index].matrix)}` : step.id;
      const started = Date.now();
      Object.assign(rec, { status: 'running', startedAt: now() });
      delete rec.error;
      save();
      emit({ type: 'cell-start', step: step.id, cell: key, label });
      const cellLog: Logger = {
        info: (m) => { emit({ type: 'log', level: 'info', step: step.id, cell: key, label, message: m }); req.log?.info(`[${label}] ${m}`); },
        warn: (m) => { emit({ type: 'log', level: 'warn', step: step.id, cell: key, label, message: m }); req.log?.warn(`[${label}] ${m}`); },
        debug: (m) => { emit({ type: 'log', level: 'debug', step: step.id, cell: key, label, message: m }); req.log?.debug(`[${label}] ${m}`); },
      };
      try {
        const spec = resolveCell(plan, step, index, upstream);
        Object.assign(rec, { options: spec.options, inputs: spec.inputs, cacheKey: spec.cacheKey });
        const prev = previous.get(cellRecordKey(step.id, key));
        let outcome: { outputs: Record<string, JsonValue>; artifactHash: string; records: Record<string, JsonValue>; cached: boolean };
        let reused = false;
        if (req.resume && (await finishedCellKey(join(runDir, rec.dir))) === spec.cacheKey) {
          outcome = { ...(await readCellArtifact(join(runDir, rec.dir))), cached: prev?.cached === true };
          reused = true;
        } else {
          outcome = await executeCell(spec, {
            registry, runDir, baseDir: plan.baseDir, cache, signal, log: cellLog,
            progress: (done, total, unit, message) =>
              emit({ type: 'cell-progress', step: step.id, cell: key, label, done, total, unit, ...(message ? { message } : {}) }),
          });
        }
        Object.assign(rec, {
          status: 'succeeded', cached: outcome.cached, reused, artifactHash: outcome.artifactHash, records: outcome.records,
          finishedAt: now(), durationMs: Date.now() - started,
        });
        const st = state.get(step.id)!;
        st.results[index] = { cell: key, dir: rec.dir, outputs: outcome.outputs, hash: outcome.artifactHash };
        // (Array.every skips holes, so count the filled slots instead.)
        if (st.results.filter(Boolean).length === step.cells.length) upstream.set(step.id, st.results as UpstreamCell[]);
        emit({ type: 'cell-finish', step: step.id, cell: key, label, status: 'succeeded', cached: outcome.cached, reused });
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        const interrupted = signal.aborted;
        Object.assign(rec, { status: interrupted ? 'interrupted' : 'failed', error: message, finishedAt: now(), durationMs: Date.now() - started });
        if (!interrupted) {
          state.get(step.id)!.failed = true;
          if (!step.continueOnError) failFast = true;
        }
        emit({ type: 'cell-finish', step: step.id, cell: key, label, status: rec.status, cached: false, reused: false, error: message });
      } finally {
        state.get(step.id)!.running--;
        save();
      }
    };

    const blockedBy = (s: PlannedStep) => s.deps.some((d) => state.get(d)!.failed || state.get(d)!.blocked);
    // A step is skipped (not failed) when its own `if` is unmet, or when it uses the outputs of a
    // skipped step. A step that merely `needs` a skipped one still runs.
    const skipReason = (s: PlannedStep): string | undefined => {
      if (s.condition && !s.condition.met) return s.condition.reason;
      const from = s.refs.find((d) => state.get(d)!.skipped);
      return from ? `uses the outputs of step "${from}", which was skipped` : undefined;
    };
    const launch = () => {
      for (const step of plan.steps) {
        const st = state.get(step.id)!;
        if (st.blocked || st.skipped) continue;
        const skip = skipReason(step);
        if (skip !== undefined && step.deps.every((d) => upstream.has(d) || state.get(d)!.skipped)) {
          st.skipped = true;
          for (const c of step.cells) {
            const rec = recordOf.get(cellRecordKey(step.id, c.key))!;
            Object.assign(rec, { status: 'skipped', error: skip });
            const label = c.matrix ? `${step.id} ${cellLabel(c.matrix)}` : step.id;
            emit({ type: 'cell-finish', step: step.id, cell: c.key, label, status: 'skipped', cached: false, reused: false, error: skip });
          }
          upstream.set(step.id, []);
          save();
          continue;
        }
        if (blockedBy(step)) {
          st.blocked = true;
          for (const c of step.cells) {
            const rec = recordOf.get(cellRecordKey(step.id, c.key))!;
            if (rec.status === 'pending') Object.assign(rec, { status: 'skipped', error: 'a step it needs failed' });
          }
          save();
          continue;
        }
        if (!step.deps.every((d) => upstream.has(d))) continue;
        while (st.next < step.cells.length && running.size < concurrency) {
          const i = st.next++;
          st.running++;
          const p: Promise<void> = runCell(step, i).finally(() => running.delete(p));
          running.add(p);
        }
      }
    };

    const aborted = new Promise<void>((res) => {
      if (signal.aborted) res();
      else signal.addEventListener('abort', () => res(), { once: true });
    });
    for (;;) {
      if (!signal.aborted && !failFast) launch();
      if (running.size === 0) break;
      await Promise.race([...running, aborted]);
      if (signal.aborted) {
        const grace = new Promise<void>((res) => setTimeout(res, req.graceMs ?? 10_000).unref());
        await Promise.race([Promise.allSettled([...running]), grace]);
        break;
      }
    }

    let status: RunStatus;
    if (signal.aborted) {
      status = 'interrupted';
      for (const c of cells) if (c.status === 'running') Object.assign(c, { status: 'interrupted', error: 'the run was interrupted' });
    } else {
      status = cells.some((c) => c.status === 'failed' && !plan.steps.find((s) => s.id === c.step)!.continueOnError) ? 'failed' : 'succeeded';
      for (const c of cells) if (c.status === 'pending') Object.assign(c, { status: 'skipped', error: 'not started: the run stopped after a failure' });
    }
    Object.assign(manifest, { status, finishedAt: now() });
    save();
    emit({ type: 'run-finish', status });
    return { status, runDir, manifest };
  }
}
