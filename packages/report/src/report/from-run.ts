/** Builds a ReportDocument from a run directory's recorded artifacts, without recomputing anything. */
import { InputError } from '@percept/core';
import { matrixValuesAgree, pearson, spearman } from '@percept/metrics';
import { psVsAccuracyChart } from '../charts/ps-vs-accuracy.js';
import { perSubsetChart } from '../charts/per-subset.js';
import { layerwiseChart } from '../charts/layerwise.js';
import { lowPassChart } from '../charts/lowpass.js';
import { buildTable5 } from '../tables/lpips-table5.js';
import { buildPerSubsetTable, type SubsetTableReference } from '../tables/per-subset.js';
import { buildLayerwiseTables } from '../tables/layerwise.js';
import { BAPPS_SUBSETS } from '../published.js';
import { readRun, type RunView, type StepView } from '../run/read-run.js';
import {
  findAccuracy, findJudgeCeilings, findLowPassCurve, findPareto, findSubsetScores, layerPoints, lowPassPoints, pairAccuracy,
  type LowPassFinding, type ParetoFinding,
} from '../run/extract.js';
import { buildSweepTable, buildTable1 } from '../tables/table1.js';
import { uniqueLabels } from '../run/labels.js';
import { findEntropy, findMargins, type EntropyFinding } from '../run/measures.js';
import { groupName } from '../run/sweep-select.js';
import { aggregateOver, type AggregatedPoint } from '../run/aggregate.js';
import type { PMaxGuide, AccuracyPsPoint } from '../charts/ps-vs-accuracy.js';
import { buildSweepCharts, checkSweepSpecs, type SweepChartSpec } from './sweeps.js';
import { pairMeasure, psVsMeasureChart } from './measure-scatter.js';
import {
  buildPublishedTable, checkFigure, checkPanels, figureName, noNumbersNote, panelCells, publishedCaption, publishedMarks,
  type PanelSpec,
} from './paper-figures.js';
import type { PaperFigure } from '../published-figures.js';
import { dynamicRangeChart, findDynamicRange } from './dynamic-range.js';
import type { ReportChart, ReportDocument, ReportTable } from './document.js';

export const CHART_KINDS = ['ps-vs-accuracy', 'per-subset', 'layerwise', 'lowpass', 'pareto', 'ps-vs-entropy', 'ps-vs-margin', 'margin-vs-accuracy', 'dynamic-range'] as const;
export type ChartKind = (typeof CHART_KINDS)[number];
/**
 * per-subset: one column per subset present (any dataset) with 95% CIs; table5: the LPIPS Table 5
 * layout with published rows (BAPPS val subsets only); layerwise: PS of each layer alone; jnd: JND mAP;
 * lowpass: normalised accuracy per low-pass side r (lowpass-accuracy cells); table1: Kumar Table 1 layout
 * and the per-sweep p_max / a(p_max) table (pareto cells).
 */
export const TABLE_KINDS = ['per-subset', 'table5', 'layerwise', 'jnd', 'lowpass', 'table1'] as const;
export type TableKind = (typeof TABLE_KINDS)[number];

export interface RunReportOptions {
  title?: string;
  /** Steps whose outputs hold per-subset 2AFC scores; default: every step where some are found. */
  psSteps?: string[];
  /** Steps whose outputs hold ImageNet accuracy; default: every step with a top-level accuracy. */
  accuracySteps?: string[];
  /** The dataset the accuracy was measured on, for axis and chart titles (default "ImageNet"). */
  accuracyDataset?: string;
  /** Charts to draw (default: every kind the data supports). Asking for one without data is an error. */
  charts?: ChartKind[];
  /**
   * Tables (default: chosen from the data: Table 5 when BAPPS val subsets were scored, the per-subset
   * table for any other subsets, layer-wise and JND tables when present). Asking for one without data is an error.
   */
  tables?: TableKind[];
  /** Show published reference rows/lines (default true). They appear only beside BAPPS val results. */
  published?: boolean;
  width?: number;
  height?: number;
  /**
   * Colour (and shape) PS-vs-x points by these matrix keys, e.g. ["model"] (default: by distance id).
   * Applies to ps-vs-accuracy, ps-vs-entropy and ps-vs-margin.
   */
  colorBy?: string[];
  /** Average ps-vs-accuracy points over this matrix key (e.g. "seed"): mean ± standard error on both axes (Kumar Fig. 4). */
  aggregate?: string;
  /**
   * Dotted p_max / a(p_max) guide lines (Kumar Fig. 9): on ps-vs-accuracy per colour group (its best
   * measured PS and the accuracy there), on the pareto chart from the pareto step's sweeps.
   */
  pMax?: boolean;
  /**
   * Another run (e.g. fig01's) whose paired PS and top-1 cells give the reference frontier drawn on
   * the `pareto` chart: Kumar Fig. 10's dashed line of out-of-the-box models.
   */
  referenceRun?: RunView;
  /** PS, entropy or margin against one swept matrix key: one chart per entry (see report/sweeps.ts). */
  sweeps?: SweepChartSpec[];
  /**
   * The paper figure this run reproduces: its published numbers (published-figures.ts) are drawn in the
   * charts as their own labelled series and listed beside the run's in a "published vs this run" table.
   * Needs `published` (default true).
   */
  figure?: PaperFigure;
  /**
   * Split a scatter into panels, one chart each (e.g. Fig. 7a ResNets / 7b ViTs): each panel keeps the
   * cells agreeing with its `where` (and with `final` only each model's last checkpoint).
   */
  panels?: PanelSpec[];
  /** The step writing this report inside the run it reports on (so a "running" run is explained, not alarming). */
  writtenBy?: string;
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

const succeeded = (s: StepView) => s.outputs !== null && (s.status === undefined || s.status === 'succeeded');

/** A run's finished perceptual-score and accuracy cells (all, or those of the named steps) and its per-subset scores. */
function scoredCells(run: RunView, psStepIds?: string[], accuracyStepIds?: string[]) {
  const psSteps = selectSteps(run, psStepIds, 'psSteps').filter(succeeded);
  const accSteps = selectSteps(run, accuracyStepIds, 'accuracySteps').filter((s) => succeeded(s) && findAccuracy(s) !== undefined);
  const scores = uniqueLabels(psSteps.flatMap(findSubsetScores)).map((f) => ({ ...f, method: f.label }));
  return { psSteps, accSteps, scores };
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

const isBapps = (s: string) => (BAPPS_SUBSETS as readonly string[]).includes(s);
const cellName = (s: StepView) => `${s.step}/${s.cell || '-'}`;

/** Builds the document from an already-read run (see readRun). */
export function buildRunReport(run: RunView, options: RunReportOptions = {}): ReportDocument {
  const wantCharts = checkKinds(options.charts, CHART_KINDS, 'charts');
  const wantTables = checkKinds(options.tables, TABLE_KINDS, 'tables');
  checkSweepSpecs(options.sweeps);
  const figure = checkFigure(options.figure);
  const panels = checkPanels(options.panels);
  const published = options.published ?? true;
  const paper = published ? figure : undefined;
  const panelsOf = (chart: string): Array<PanelSpec | undefined> => {
    const ps = panels.filter((p) => (p.chart ?? 'ps-vs-accuracy') === chart);
    return ps.length ? ps : [undefined];
  };
  const chartId = (chart: string, panel: PanelSpec | undefined) => (panel ? `${chart}-${panel.id}` : chart);
  // The report heading names the panel and what is plotted; the chart's own title (panel?.title ?? heading) stays short.
  const panelTitle = (title: string, panel: PanelSpec | undefined) => (panel?.title ? `${panel.title}: ${title}` : panel ? `${title} (panel ${panel.id})` : title);
  const panelEmpty = (chart: string, panel: PanelSpec | undefined) =>
    notes.push(`Chart ${chartId(chart, panel)} is not drawn: no cell of this run agrees with its panel${panel?.where ? ` (${JSON.stringify(panel.where)})` : ''}${panel?.final ? ' at its last checkpoint' : ''}.`);
  const size = { width: options.width, height: options.height };
  const notes: string[] = [];

  const { psSteps, accSteps, scores } = scoredCells(run, options.psSteps, options.accuracySteps);
  const accDataset = options.accuracyDataset ?? 'ImageNet';
  notes.push(...cellStatusNotes(run, options.writtenBy));

  const charts: ReportChart[] = [];
  const tables: ReportTable[] = [];
  const want = (k: ChartKind) => !wantCharts || wantCharts.includes(k);
  const requireData = (k: string, ok: boolean, what: string) => {
    if (!ok && wantCharts?.includes(k as ChartKind)) {
      throw new InputError(`report: chart "${k}" was requested but run ${run.dir} has no ${what}`);
    }
    return ok;
  };

  const colorBy = options.colorBy?.length ? options.colorBy : undefined;
  // Published numbers are BAPPS val PS and ImageNet accuracy: say so when this run measured something else.
  const notVal = scores.some((f) => (f.split !== undefined && f.split !== 'val') || !Object.keys(f.perSubset).every(isBapps));
  const notValNote = notVal ? ' This run\'s PS is not on the six BAPPS val subsets, so its numbers are not comparable with the published ones.' : '';
  const distanceIds = new Set(scores.map((f) => f.key));
  const colourOf = (step: StepView, key: string) =>
    colorBy ? [groupName(step, colorBy), distanceIds.size > 1 ? key : ''].filter(Boolean).join(' · ') : key || step.step;
  if (want('ps-vs-accuracy') && requireData('ps-vs-accuracy', scores.length > 0 && accSteps.length > 0, 'pairs of perceptual-score and accuracy outputs')) {
    const { unpaired, incomplete, pairs } = pairAccuracy(scores, accSteps);
    if (unpaired.length) notes.push(`No accuracy cell with matching matrix values for: ${unpaired.map((u) => u.label).join('; ')}.`);
    if (incomplete.length) notes.push(`PS of ${incomplete.join('; ')} averages fewer than the six BAPPS val subsets.`);
    requireData('ps-vs-accuracy', pairs.length > 0, 'perceptual-score cells paired with accuracy cells (same matrix values)');
    for (const panel of panelsOf('ps-vs-accuracy')) {
      const kept = panelCells(pairs.map((p) => ({ ...p, step: p.finding.step, key: p.finding.key })), panel);
      if (!kept.length) {
        if (panel) panelEmpty('ps-vs-accuracy', panel);
        continue;
      }
      let points: AccuracyPsPoint[] = kept.map((p) => ({ ...p.point, group: colourOf(p.finding.step, p.finding.key) }));
      let aggregateCaption = '';
      if (options.aggregate) {
        const agg: AggregatedPoint[] = aggregateOver(kept.map((p) => ({ step: p.finding.step, key: p.finding.key, point: p.point })), options.aggregate, colourOf);
        points = agg;
        const single = agg.filter((a) => a.n < 2).map((a) => a.label);
        aggregateCaption = ` Each point is the mean over ${options.aggregate} (n = ${[...new Set(agg.map((a) => a.n))].sort((a, b) => a - b).join(', ')} runs per point); bars are ± one standard error on both axes${single.length ? `; ${single.join(', ')} had a single run (no bars)` : ''}.`;
      }
      const guides = options.pMax ? pMaxGuides(points) : undefined;
      const pub = publishedMarks(paper, { chart: 'ps-vs-accuracy' }, panel);
      const title = panelTitle(`Perceptual Score vs ${accDataset} accuracy`, panel);
      charts.push({
        id: chartId('ps-vs-accuracy', panel),
        title: `${title}${options.aggregate ? ` (mean ± SE over ${options.aggregate})` : ''}`,
        spec: psVsAccuracyChart(points, {
          ...size, references: published ? undefined : false, guides, published: pub.marks,
          title: panel?.title ?? title, xTitle: `${accDataset} top-1 accuracy (%)`,
        }),
        caption: `Points: ${points.length} ${options.aggregate ? 'models' : 'measured cells'} of this run${colorBy ? `, coloured by ${colorBy.join(' and ')}` : ''}${panel?.where ? ` (cells with ${JSON.stringify(panel.where)})` : ''}; the line is their Pareto frontier.${correlation(points)}${aggregateCaption}` +
          `${guides?.length ? ' Dotted lines: p_max (best measured PS of each colour group) and a(p_max) (its accuracy).' : ''}` +
          `${published ? ' Grey dashed lines are published values (LPIPS Table 5), not measured here.' : ''}${publishedCaption(pub.values)}${pub.marks.length ? notValNote : ''}`,
      });
    }
  }

  // Kumar Figs. 15b/15d and 12a: PS against a measure of the same model.
  const entropy = run.steps.filter(succeeded).map(findEntropy).filter((e): e is EntropyFinding => e !== undefined);
  const margins = run.steps.filter(succeeded).flatMap(findMargins);
  const measureScatter = (kind: 'ps-vs-entropy' | 'ps-vs-margin', cells: Array<{ step: StepView; key?: string; value: number }>, what: string, xTitle: string, caption: string) => {
    if (!want(kind) || !requireData(kind, cells.length > 0 && scores.length > 0, `${what} cells and perceptual-score cells`)) return;
    const { points: all, unpaired, paired } = pairMeasure(scores, cells, (f) => colourOf(f.step, f.key));
    if (!requireData(kind, all.length > 0, `perceptual-score cells paired with ${what} cells (same matrix values)`)) return;
    if (unpaired.length) notes.push(`Chart ${kind}: no ${what} cell with matching matrix values for ${unpaired.join('; ')}.`);
    for (const panel of panelsOf(kind)) {
      const points = panelCells(paired, panel).map((p) => p.point);
      if (!points.length) {
        panelEmpty(kind, panel);
        continue;
      }
      const pub = kind === 'ps-vs-entropy' ? publishedMarks(paper, { chart: 'ps-vs-entropy' }, panel) : { marks: [], values: [] };
      const title = panelTitle(`Perceptual Score vs ${xTitle}`, panel);
      charts.push({
        id: chartId(kind, panel),
        title,
        spec: psVsMeasureChart(points, { ...size, title: panel?.title ?? title, xTitle, published: pub.marks }),
        caption: `${points.length} cells of this run${colorBy ? `, coloured by ${colorBy.join(' and ')}` : ''}${panel?.where ? ` (cells with ${JSON.stringify(panel.where)}${panel.final ? ', last checkpoints' : ''})` : panel?.final ? ' (last checkpoints)' : ''}. ${caption}${correlation(points)}${publishedCaption(pub.values)}${pub.marks.length ? notValNote : ''}`,
      });
    }
  };
  measureScatter('ps-vs-entropy', entropy.map((e) => ({ step: e.step, value: e.entropy })), 'activation-entropy', 'mean normalised activation entropy',
    'x: the mean over tapped stages of the normalised entropy of the reference patches (activation-entropy step).');
  measureScatter('ps-vs-margin', margins.map((m) => ({ step: m.step, key: m.key, value: m.margin })), 'distortion-sensitivity', 'distortion margin',
    'x: mean d(ref, farther) − mean d(ref, nearer) over unanimous triplets (distortion-sensitivity step); Fig. 12a as the body text plots it.');

  // Kumar Fig. 12a as its caption plots it: the distortion margin against accuracy.
  if (want('margin-vs-accuracy') && requireData('margin-vs-accuracy', margins.length > 0 && accSteps.length > 0, 'distortion-sensitivity cells and accuracy cells')) {
    const paired = margins.flatMap((m) => {
      const a = accSteps.find((s) => matrixValuesAgree(m.step, s));
      return a ? [{ step: m.step, key: m.key, point: { label: uniqueMarginLabel(m, margins), accuracy: findAccuracy(a)!, ps: m.margin, group: colourOf(m.step, m.key) } }] : [];
    });
    if (requireData('margin-vs-accuracy', paired.length > 0, 'distortion-sensitivity cells paired with accuracy cells (same matrix values)')) {
      const lonely = margins.length - paired.length;
      if (lonely) notes.push(`Chart margin-vs-accuracy: ${lonely} distortion-sensitivity cell(s) have no accuracy cell with matching matrix values.`);
      for (const panel of panelsOf('margin-vs-accuracy')) {
        const points = panelCells(paired, panel).map((p) => p.point);
        if (!points.length) {
          panelEmpty('margin-vs-accuracy', panel);
          continue;
        }
        const title = panelTitle(`Distortion margin vs ${accDataset} accuracy`, panel);
        charts.push({
          id: chartId('margin-vs-accuracy', panel),
          title,
          spec: psVsAccuracyChart(points, { ...size, title: panel?.title ?? title, xTitle: `${accDataset} top-1 accuracy (%)`, yTitle: 'Distortion margin', frontier: false, references: false }),
          caption: `${points.length} cells of this run${colorBy ? `, coloured by ${colorBy.join(' and ')}` : ''}: y is the mean d(ref, farther) − mean d(ref, nearer) over unanimous triplets, x the top-1 of the same checkpoint (Fig. 12a as its caption plots it; the paper gives no numbers).${correlation(points)}`,
        });
      }
    }
  }

  // Kumar Fig. 3: PS of simulated distances against their noise σ.
  const ranges = run.steps.filter(succeeded).map(findDynamicRange).filter((r) => r !== undefined);
  const rangesNotVal = ranges.some((r) => !r.subsets.length || !r.subsets.every(isBapps));
  if (want('dynamic-range') && requireData('dynamic-range', ranges.length > 0, 'dynamic-range outputs (curve of simulated PS per σ)')) {
    const pub = publishedMarks(paper, { chart: 'dynamic-range' });
    charts.push({
      id: 'dynamic-range',
      title: 'Dynamic range of the Perceptual Score (Fig. 3)',
      spec: dynamicRangeChart(ranges, { ...size, published: pub.marks }),
      caption: 'PS of distances drawn from truncated normals on [0, 1] that agree with the human majority, against their noise σ (dynamic-range step; whiskers: the 2.5–97.5% range over repeats); ' +
        `dotted: this run's oracle (σ → 0) and chance (σ → ∞).${publishedCaption(pub.values)}` +
        `${pub.marks.length && rangesNotVal ? ' These judges are not the six BAPPS val subsets\', so the curve is not comparable with the published lines.' : ''}`,
    });
  }

  charts.push(...buildSweepCharts(options.sweeps ?? [], { scores, entropy, margins, size, figure: paper }, notes));

  const anyCi = scores.some((f) => f.intervals && Object.keys(f.intervals).length);
  if (want('per-subset') && requireData('per-subset', scores.length > 0, 'per-subset 2AFC scores')) {
    charts.push({
      id: 'per-subset',
      title: '2AFC score per subset',
      spec: perSubsetChart(scores.map((f) => ({ method: f.label, perSubset: f.perSubset, intervals: f.intervals })), size),
      caption:
        `Measured 2AFC scores (×100) per subset for every scored series of this run${anyCi ? '; whiskers are 95% bootstrap confidence intervals' : ''}. ` +
        'The tables below describe each series.',
    });
  }
  const withLayers = scores.filter((f) => f.perLayer?.length);
  if (want('layerwise') && requireData('layerwise', withLayers.length > 0, 'layer-wise scores (perLayer/layerPS)')) {
    // Identical series (e.g. the same weights on two engines) would hide each other: draw each once, named together.
    const merged = mergeIdentical(withLayers.map((f) => ({ label: f.label, key: f.key, item: f, values: f.perLayer!.map((l) => [l.layer, l.ps] as const) })));
    charts.push({
      id: 'layerwise',
      title: 'Layer-wise Perceptual Score',
      spec: layerwiseChart(layerPoints(merged.map((m) => ({ ...m.item, label: m.label }))), size),
      caption:
        'Perceptual Score of each tapped layer alone (mean over subsets); the layer-wise tables list the values and tap names.' +
        (merged.some((m) => m.merged) ? ' Series with identical values are drawn once and named together ("a = b").' : ''),
    });
  }

  // Kumar Fig. 17: normalised accuracy against the low-pass side r, one line per lowpass-accuracy cell.
  const lowpass = uniqueLabels(run.steps.filter(succeeded).map(findLowPassCurve).filter((f): f is LowPassFinding => f !== undefined));
  const lpPoints = lowPassPoints(lowpass);
  const undefinedRatio = lowpass.filter((f) => f.points.some((p) => p.normalizedAccuracy === null)).map((f) => f.label);
  if (undefinedRatio.length) notes.push(`Normalised accuracy is undefined (clean top-1 is 0) for: ${undefinedRatio.join('; ')}.`);
  if (want('lowpass') && requireData('lowpass', lpPoints.length > 0, 'lowpass-accuracy outputs (curve of normalised accuracy per r)')) {
    const anyLpCi = lpPoints.some((p) => p.interval);
    charts.push({
      id: 'lowpass',
      title: 'Normalized accuracy vs low-pass filter size',
      spec: lowPassChart(lpPoints, size),
      caption:
        'Top-1 on images through the square low-pass Fourier filter of side r (cycles per image) divided by top-1 on the same clean images, ' +
        `measured in this run (Kumar Fig. 17)${anyLpCi ? '; whiskers are paired-bootstrap 95% intervals' : ''}. The paper publishes no numbers for this figure.`,
    });
  }

  // Kumar Table 1 and Fig. 10: from pareto cells (points gathered from the sweeps' PS and accuracy).
  const pareto = run.steps.filter(succeeded).map(findPareto).filter((f): f is ParetoFinding => f !== undefined);
  for (const f of pareto) {
    if (f.excluded.length) {
      const shown = f.excluded.slice(0, 10).map((e) => `${e.step}${e.cell ? `[${e.cell}]` : ''} (${e.reason})`).join(', ');
      notes.push(`${cellName(f.step)} left out ${f.excluded.length} cell(s): ${shown}${f.excluded.length > 10 ? `, and ${f.excluded.length - 10} more (see its result.json, "excluded")` : ''}.`);
    }
  }
  const paretoPoints = pareto.flatMap((f) => f.points);
  const reference = options.referenceRun ? referencePoints(options.referenceRun) : [];
  if (options.referenceRun && !reference.length) {
    throw new InputError(`report: option "referenceRun" names run ${options.referenceRun.dir}, which has no perceptual-score cells paired with accuracy cells (same matrix values)`);
  }
  if (want('pareto') && requireData('pareto', paretoPoints.length > 0, 'pareto outputs (points gathered into sweeps)')) {
    charts.push({
      id: 'pareto',
      title: 'Perceptual Score vs accuracy per sweep (Fig. 10)',
      spec: psVsAccuracyChart(paretoPoints.map((p) => ({ label: p.id, accuracy: p.accuracy, ps: p.ps, group: p.group ?? 'not in a sweep' })), {
        ...size, title: 'PS vs accuracy per sweep (Kumar Fig. 10)', references: published ? undefined : false, xTitle: `${accDataset} top-1 accuracy (%)`,
        ...(options.pMax ? { guides: pareto.flatMap((f) => Object.entries(f.groups).map(([group, g]) => ({ group, pMax: g.pMax, aPMax: g.aPMax }))) } : {}),
        ...(reference.length ? { referenceFrontier: { points: reference } } : {}),
      }),
      caption:
        `Every model of the pareto step${pareto.length > 1 ? 's' : ''} (${paretoPoints.length} points measured in this run), coloured by sweep; ` +
        `the line is their Pareto frontier (the highest accuracy reachable at each PS).${options.pMax ? ' Dotted lines: each sweep\'s p_max and a(p_max) as the pareto step recorded them.' : ''}` +
        `${reference.length ? ` The grey dashed line is the frontier of the ${reference.length} models of run ${options.referenceRun!.dir} (the reference of Kumar Fig. 10: out-of-the-box models).` : ''}` +
        `${published ? ' Dashed lines are published values (LPIPS Table 5), not measured here.' : ''}`,
    });
  }

  tables.push(...runTables(run, scores, psSteps, wantTables, published, notes));
  if (paper) {
    const t = buildPublishedTable(paper, { scores, accuracy: accSteps, entropy });
    if (t) tables.unshift({ id: 'table-published', table: t });
    const none = noNumbersNote(paper);
    if (none) notes.push(none);
    else if (!t && !charts.some((c) => /published/.test(c.caption ?? ''))) notes.push(`${figureName(paper)}: no published number of this figure fits this run's charts.`);
  }
  const withGroups = pareto.filter((f) => Object.keys(f.groups).length > 0);
  if (wantTables ? wantTables.includes('table1') : withGroups.length > 0) {
    if (!withGroups.length) throw new InputError(`report: table "table1" was requested but run ${run.dir} has no pareto outputs with sweeps (groups)`);
    withGroups.forEach((f, i) => {
      const suffix = withGroups.length > 1 ? `-${i + 1}` : '';
      tables.push({ id: `table-1${suffix}`, table: buildTable1(f.groups, { published, source: `From step ${cellName(f.step)}.` }) });
      tables.push({ id: `table-sweeps${suffix}`, table: buildSweepTable(f.groups) });
    });
  }
  if (wantTables ? wantTables.includes('lowpass') : lowpass.length > 0) {
    if (!lowpass.length) throw new InputError(`report: table "lowpass" was requested but run ${run.dir} has no lowpass-accuracy outputs (curve of normalised accuracy per r)`);
    tables.push({ id: 'table-lowpass', table: lowPassTable(lowpass) });
  }
  if (!charts.length && !tables.length) {
    notes.push('No step in this run produced outputs this report knows how to chart (per-subset 2AFC scores or accuracy).');
  }

  const p = run.provenance;
  return {
    title: options.title ?? `Percept report: ${p.workflow?.name ?? 'run'} ${p.runId}`,
    provenance: {
      ...p,
      ...(p.status === 'running' && options.writtenBy ? { statusText: `in progress (report written by step ${options.writtenBy})` } : {}),
      runDir: run.dir,
      steps: run.steps.map((s) => ({
        step: s.step,
        cell: s.cell,
        uses: s.uses,
        status: s.status === 'running' && s.step === options.writtenBy ? 'running (writing this report)' : s.status,
        artifactHash: s.artifactHash,
        engine: engineSummary(s),
      })),
    },
    tables,
    charts,
    notes,
  };
}

type Finding = ReturnType<typeof findSubsetScores>[number];

/** Picks and builds the tables; see TABLE_KINDS for what each is and when it is chosen. */
function runTables(run: RunView, scores: Finding[], psSteps: StepView[], wanted: TableKind[] | undefined, published: boolean, notes: string[]): ReportTable[] {
  const need = (k: TableKind, ok: boolean, what: string) => {
    if (wanted?.includes(k) && !ok) throw new InputError(`report: table "${k}" was requested but run ${run.dir} has no ${what}`);
    return wanted ? wanted.includes(k) : ok;
  };
  const tables: ReportTable[] = [];
  const bapps = scores.filter((f) => Object.keys(f.perSubset).some(isBapps));
  const other = scores.filter((f) => Object.keys(f.perSubset).some((s) => !isBapps(s)));

  if (need('table5', bapps.length > 0, 'scores on BAPPS val subsets (traditional, cnn, superres, deblur, color, frameinterp)')) {
    // Published numbers are BAPPS val results: beside anything else (train split) they would mislead.
    const notVal = bapps.filter((f) => f.split !== undefined && f.split !== 'val');
    if (notVal.length && published) notes.push(`Table 5 shows no published rows because ${notVal.map((f) => f.label).join('; ')} scored the ${notVal[0].split} split, not val.`);
    tables.push({
      id: 'table5',
      table: buildTable5(
        bapps.map((f) => ({
          method: f.label,
          perSubset: Object.fromEntries(Object.entries(f.perSubset).filter(([s]) => isBapps(s))),
          intervals: f.intervals,
          overall: f.overall,
        })),
        { includePublished: published && notVal.length === 0 },
      ),
    });
  }
  // Automatically: the subsets Table 5 cannot show. On request: every subset.
  const perSubsetRows = wanted?.includes('per-subset') ? scores : other;
  if (need('per-subset', perSubsetRows.length > 0, 'per-subset 2AFC scores')) {
    const keep = (m: Record<string, number>) => (wanted?.includes('per-subset') || !bapps.length ? m : Object.fromEntries(Object.entries(m).filter(([s]) => !isBapps(s))));
    tables.push({
      id: 'table-per-subset',
      table: buildPerSubsetTable(
        perSubsetRows.map((f) => ({ label: f.label, description: f.description, perSubset: keep(f.perSubset), intervals: f.intervals, overall: f.overall })),
        {
          title: '2AFC score per subset',
          references: ceilingRows(psSteps),
          notes: countsNote(perSubsetRows),
        },
      ),
    });
  }
  const layered = scores.filter((f) => f.perLayer?.length);
  if (need('layerwise', layered.length > 0, 'layer-wise scores (perLayer/layerPS)')) {
    const layerTables = buildLayerwiseTables(
      layered.map((f) => ({ label: f.label, description: f.description, perLayer: f.perLayer!, combined: f.overall?.ps, bestLayer: f.bestLayer })),
    );
    layerTables.forEach((t, i) => tables.push({ id: i ? `table-layerwise-${i + 1}` : 'table-layerwise', table: t }));
  }
  const jnd = scores.filter((f) => f.jnd && Object.keys(f.jnd.perSubset).length);
  if (need('jnd', jnd.length > 0, 'JND mAP results')) {
    tables.push({
      id: 'table-jnd',
      table: buildPerSubsetTable(
        jnd.map((f) => ({ label: f.label, perSubset: f.jnd!.perSubset, ...(f.jnd!.mean !== undefined ? { overall: { ps: f.jnd!.mean } } : {}) })),
        { title: 'JND mAP per subset', measure: 'JND mean average precision ×100' },
      ),
    });
  }
  return tables;
}

/** Normalised accuracy per r (columns) for each low-pass series (rows), beside its clean top-1. */
function lowPassTable(findings: LowPassFinding[]): ReportTable['table'] {
  const rs = [...new Set(findings.flatMap((f) => f.points.map((p) => p.r)))].sort((a, b) => a - b);
  const pct = (iv?: readonly [number, number]) => (iv ? ([iv[0] * 100, iv[1] * 100] as [number, number]) : undefined);
  return {
    title: 'Normalized accuracy per low-pass filter size r',
    columns: [
      { key: 'label', label: 'Series', align: 'left' },
      { key: 'clean', label: 'Clean top-1 (%)', digits: 1 },
      ...rs.map((r) => ({ key: `r:${r}`, label: `r = ${r}`, digits: 3 })),
    ],
    rows: findings.map((f) => ({
      cells: {
        label: f.label,
        clean: { value: f.clean.top1 * 100, ...(f.clean.ci ? { ci: pct(f.clean.ci) } : {}) },
        ...Object.fromEntries(f.points.map((p) => [`r:${p.r}`, p.normalizedAccuracy === null ? null : { value: p.normalizedAccuracy, ...(p.interval ? { ci: p.interval } : {}) }])),
      },
    })),
    notes: [
      'top-1(r) / top-1(clean) on the same images; brackets: paired-bootstrap 95% interval of the ratio (clean top-1: Wilson 95%). "–": r not measured for that series.',
      ...findings.map((f) => `${f.label}: ${f.description}${f.clean.count !== undefined ? `, ${f.clean.count} images` : ''}.`),
    ],
  };
}

/** Reference rows from the judges of each distinct dataset scored: the ceiling a rater and the best possible distance reach. */
function ceilingRows(steps: StepView[]): SubsetTableReference[] {
  const rows: SubsetTableReference[] = [];
  const seen = new Set<string>();
  const found = steps.map(findJudgeCeilings).filter((c) => c !== undefined);
  const distinct = new Set(found.map((c) => JSON.stringify([c.human, c.oracle]))).size;
  for (const c of found) {
    const key = JSON.stringify([c.human, c.oracle]);
    if (seen.has(key)) continue;
    seen.add(key);
    const from = distinct > 1 ? ` (${c.step.step})` : '';
    const group = 'from the judges (not a method)';
    if (c.human) rows.push({ label: `rater agreement${from}`, description: 'mean(p² + (1−p)²): a random rater scored against the others', group, perSubset: c.human });
    if (c.oracle) rows.push({ label: `oracle${from}`, description: 'mean(max(p, 1−p)): the best score any distance can reach', group, perSubset: c.oracle });
  }
  return rows;
}

function countsNote(scores: Finding[]): string[] {
  const counts = new Set(scores.map((f) => JSON.stringify(f.counts ?? null)));
  const first = scores.find((f) => f.counts)?.counts;
  if (!first) return [];
  if (counts.size === 1) return [`Triplets per subset: ${Object.entries(first).map(([s, n]) => `${s} ${n}`).join(', ')}.`];
  return ['Series were scored on different numbers of triplets; see each step\'s result.json (counts).'];
}

/** Notes about cells that are not in the report: failed, skipped, or not finished when it was written. */
function cellStatusNotes(run: RunView, writtenBy: string | undefined): string[] {
  const by = (pred: (s: StepView) => boolean) => run.steps.filter(pred).map(cellName);
  const failed = run.steps.filter((s) => s.status === 'failed' || s.status === 'interrupted').map((s) => `${cellName(s)} (${s.status})`);
  const skipped = by((s) => s.status === 'skipped');
  const open = by((s) => (s.status === 'running' || s.status === 'pending') && s.step !== writtenBy);
  const out: string[] = [];
  if (failed.length) out.push(`Cells not included (did not succeed): ${failed.join(', ')}.`);
  if (skipped.length) out.push(`Cells skipped by the run: ${skipped.join(', ')}.`);
  if (open.length) out.push(`Cells not finished when this report was written: ${open.join(', ')}.`);
  return out;
}

/**
 * Groups series whose values are identical. A group is labelled "a = b · key" when its members share
 * the distance key (e.g. "alexnet/onnx = alexnet/tfjs · lpips"), else "a = b".
 */
function mergeIdentical<T>(series: Array<{ label: string; key: string; item: T; values: ReadonlyArray<readonly [string, number]> }>) {
  const groups = new Map<string, typeof series>();
  for (const s of series) {
    const k = JSON.stringify(s.values.map(([name, v]) => [name, Math.round(v * 1e9)]));
    groups.set(k, [...(groups.get(k) ?? []), s]);
  }
  return [...groups.values()].map((g) => {
    if (g.length === 1) return { label: g[0].label, item: g[0].item, merged: false };
    const suffix = ` · ${g[0].key}`;
    const shared = g[0].key !== '' && g.every((s) => s.key === g[0].key && s.label.endsWith(suffix));
    const label = shared ? `${g.map((s) => s.label.slice(0, -suffix.length)).join(' = ')}${suffix}` : g.map((s) => s.label).join(' = ');
    return { label, item: g[0].item, merged: true };
  });
}

/** p_max / a(p_max) of each colour group with two or more points (ties: the higher accuracy). */
function pMaxGuides(points: AccuracyPsPoint[]): PMaxGuide[] {
  const groups = new Map<string, AccuracyPsPoint[]>();
  for (const p of points) groups.set(p.group ?? 'measured', [...(groups.get(p.group ?? 'measured') ?? []), p]);
  return [...groups].filter(([, ps]) => ps.length >= 2).map(([group, ps]) => {
    const best = ps.reduce((a, b) => (b.ps > a.ps || (b.ps === a.ps && b.accuracy > a.accuracy) ? b : a));
    return { group, pMax: best.ps, aPMax: best.accuracy };
  });
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

/** A margin cell's label: step, cell and, when cells hold several distances, the distance id. */
function uniqueMarginLabel(m: { step: StepView; key: string }, all: ReadonlyArray<{ key: string }>): string {
  const several = new Set(all.map((a) => a.key)).size > 1;
  return `${m.step.step}${m.step.cell ? `[${m.step.cell}]` : ''}${several ? ` · ${m.key}` : ''}`;
}

/** The (PS, top-1) pairs of another run, for a reference frontier. */
function referencePoints(ref: RunView): Array<{ accuracy: number; ps: number; label: string }> {
  const { scores, accSteps } = scoredCells(ref);
  return pairAccuracy(scores, accSteps).pairs.map((p) => ({ accuracy: p.point.accuracy, ps: p.point.ps, label: p.point.label }));
}
