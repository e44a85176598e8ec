/** Builds a ReportDocument from a run directory's recorded artifacts, without recomputing anything. */
import { InputError } from '@percept/core';
import { pearson, spearman } from '@percept/metrics';
import { psVsAccuracyChart } from '../charts/ps-vs-accuracy.js';
import { perSubsetChart } from '../charts/per-subset.js';
import { layerwiseChart } from '../charts/layerwise.js';
import { buildTable5 } from '../tables/lpips-table5.js';
import { readRun, type RunView, type StepView } from '../run/read-run.js';
import { findAccuracy, findSubsetScores, layerPoints, pairAccuracy } from '../run/extract.js';
import type { ReportChart, ReportDocument, ReportTable } from './document.js';

export const CHART_KINDS = ['ps-vs-accuracy', 'per-subset', 'layerwise'] as const;
export type ChartKind = (typeof CHART_KINDS)[number];
export const TABLE_KINDS = ['table5'] as const;
export type TableKind = (typeof TABLE_KINDS)[number];

export interface RunReportOptions {
  title?: string;
  /** Steps whose outputs hold per-subset 2AFC scores; default: every step where some are found. */
  psSteps?: string[];
  /** Steps whose outputs hold ImageNet accuracy; default: every step with a top-level accuracy. */
  accuracySteps?: string[];
  /** Charts to draw (default: every kind the data supports). Asking for one without data is an error. */
  charts?: ChartKind[];
  tables?: TableKind[];
  /** Show published reference rows/lines (default true). */
  published?: boolean;
  width?: number;
  height?: number;
}

function selectSteps(run: RunView, ids: string[] | undefined, option: string): StepView[] {
  if (!ids) return run.steps;
  const known = [...new Set(run.steps.map((s) => s.step))];
  const missing = ids.filter((id) => !known.includes(id));
  if (missing.length) {
    throw new InputError(`report option "${option}": no step ${missing.map((m) => `"${m}"`).join(', ')} in run ${run.dir}`, {
      hint: `steps in this run: ${known.join(', ') || '(none)'}`,
    });
  }
  return run.steps.filter((s) => ids.includes(s.step));
}

function checkKinds<T extends string>(given: readonly string[] | undefined, allowed: readonly T[], option: string): T[] | undefined {
  if (!given) return undefined;
  for (const g of given) {
    if (!(allowed as readonly string[]).includes(g)) {
      throw new InputError(`report option "${option}": unknown kind "${g}"; expected one of ${allowed.join(', ')}`);
    }
  }
  return given as T[];
}

/** Builds the document from an already-read run (see readRun). */
export function buildRunReport(run: RunView, options: RunReportOptions = {}): ReportDocument {
  const wantCharts = checkKinds(options.charts, CHART_KINDS, 'charts');
  const wantTables = checkKinds(options.tables, TABLE_KINDS, 'tables');
  const published = options.published ?? true;
  const size = { width: options.width, height: options.height };
  const notes: string[] = [];

  const done = (s: StepView) => s.outputs !== null && (s.status === undefined || s.status === 'succeeded');
  const psSteps = selectSteps(run, options.psSteps, 'psSteps').filter(done);
  const accSteps = selectSteps(run, options.accuracySteps, 'accuracySteps').filter((s) => done(s) && findAccuracy(s) !== undefined);
  const scores = psSteps.flatMap(findSubsetScores);
  const failed = run.steps.filter((s) => s.status && s.status !== 'succeeded' && s.status !== 'skipped');
  if (failed.length) notes.push(`Cells not included (did not succeed): ${failed.map((s) => `${s.step}/${s.cell || '-'} (${s.status})`).join(', ')}.`);

  const charts: ReportChart[] = [];
  const tables: ReportTable[] = [];
  const want = (k: ChartKind) => !wantCharts || wantCharts.includes(k);
  const requireData = (k: string, ok: boolean, what: string) => {
    if (!ok && wantCharts?.includes(k as ChartKind)) {
      throw new InputError(`report: chart "${k}" was requested but run ${run.dir} has no ${what}`);
    }
    return ok;
  };

  if (want('ps-vs-accuracy') && requireData('ps-vs-accuracy', scores.length > 0 && accSteps.length > 0, 'pairs of perceptual-score and accuracy outputs')) {
    const { points, unpaired, incomplete } = pairAccuracy(scores, accSteps);
    if (unpaired.length) notes.push(`No accuracy cell with matching matrix values for: ${unpaired.map((u) => u.method).join('; ')}.`);
    if (incomplete.length) notes.push(`PS of ${incomplete.join('; ')} averages fewer than the six BAPPS val subsets.`);
    if (requireData('ps-vs-accuracy', points.length > 0, 'perceptual-score cells paired with accuracy cells (same matrix values)')) {
      charts.push({
        id: 'ps-vs-accuracy',
        title: 'Perceptual Score vs ImageNet accuracy',
        spec: psVsAccuracyChart(points, { ...size, references: published ? undefined : false }),
        caption: `Points: ${points.length} measured cells of this run; the line is their Pareto frontier.${correlation(points)}${published ? ' Dashed lines are published values (LPIPS Table 5), not measured here.' : ''}`,
      });
    }
  }
  if (want('per-subset') && requireData('per-subset', scores.length > 0, 'per-subset 2AFC scores')) {
    charts.push({
      id: 'per-subset',
      title: '2AFC score per subset',
      spec: perSubsetChart(scores, size),
      caption: 'Measured 2AFC scores (×100) per subset for every scored cell of this run.',
    });
  }
  const layers = layerPoints(scores);
  if (want('layerwise') && requireData('layerwise', layers.length > 0, 'layer-wise scores (perLayer)')) {
    charts.push({ id: 'layerwise', title: 'Layer-wise Perceptual Score', spec: layerwiseChart(layers, size), caption: 'One layer at a time.' });
  }
  if ((!wantTables || wantTables.includes('table5')) && scores.length > 0) {
    tables.push({ id: 'table5', table: buildTable5(scores, { includePublished: published }) });
  } else if (wantTables?.includes('table5')) {
    throw new InputError(`report: table "table5" was requested but run ${run.dir} has no per-subset 2AFC scores`);
  }
  if (!charts.length && !tables.length) {
    notes.push('No step in this run produced outputs this report knows how to chart (per-subset 2AFC scores or accuracy).');
  }

  const p = run.provenance;
  return {
    title: options.title ?? `Percept report: ${p.workflow?.name ?? 'run'} ${p.runId}`,
    provenance: {
      ...p,
      runDir: run.dir,
      steps: run.steps.map((s) => ({
        step: s.step,
        cell: s.cell,
        uses: s.uses,
        status: s.status,
        artifactHash: s.artifactHash,
        engine: engineSummary(s),
      })),
    },
    tables,
    charts,
    notes,
  };
}

/** Correlation of accuracy and PS over the measured points (needs 3+ points with spread on both axes). */
function correlation(points: { accuracy: number; ps: number }[]): string {
  const x = points.map((p) => p.accuracy), y = points.map((p) => p.ps);
  if (points.length < 3 || new Set(x).size < 2 || new Set(y).size < 2) return '';
  return ` Pearson r = ${pearson(x, y).toFixed(2)}, Spearman ρ = ${spearman(x, y).toFixed(2)} (n = ${points.length}).`;
}

/** "onnxruntime-node 1.30 (cpu)" from a job's recorded EngineInfo, when it recorded one. */
function engineSummary(s: StepView): string | undefined {
  const e = s.records?.engine;
  if (e && typeof e === 'object' && !Array.isArray(e) && typeof e.engine === 'string') {
    return `${e.engine}${typeof e.engineVersion === 'string' ? ` ${e.engineVersion}` : ''}${typeof e.provider === 'string' ? ` (${e.provider})` : ''}`;
  }
  return typeof e === 'string' ? e : undefined;
}

/** Reads a run directory and builds its report document. */
export function reportFromRunDir(runDir: string, options: RunReportOptions = {}): ReportDocument {
  return buildRunReport(readRun(runDir), options);
}
