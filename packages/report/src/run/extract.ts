/**
 * Finds chartable numbers in step outputs without depending on one job's exact result shape:
 * per-subset 2AFC maps (perceptual-score), layer-wise maps, and ImageNet accuracies. The rules are
 * small and documented in docs/reports.md; a job that wants its numbers charted uses these names.
 */
import type { JsonValue } from '@percept/core';
import { findAccuracyPercent, matrixValuesAgree } from '@percept/metrics';
import { BAPPS_SUBSETS, type BappsSubset } from '../published.js';
import type { AccuracyPsPoint } from '../charts/ps-vs-accuracy.js';
import type { LayerPsPoint } from '../charts/layerwise.js';
import type { LowPassPoint } from '../charts/lowpass.js';
import type { SubsetScores } from '../tables/lpips-table5.js';
import type { Interval } from '../charts/common.js';
import type { StepView } from './read-run.js';
import { cellShortLabel, matrixDescription } from './labels.js';

type Obj = Record<string, JsonValue>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys that hold a subset -> score map. */
const SUBSET_MAP_KEYS = ['perSubset', 'subsets', 'twoAfc', '2afc'];
/** Keys that hold a layer -> score map or array. */
const LAYER_MAP_KEYS = ['perLayer', 'layerwise', 'layerWise'];
/** Keys whose number is a 2AFC score of one subset (when the value is an object rather than a number). */
const SCORE_KEYS = ['score', 'ps', 'twoAfc', 'value', 'mean'];

/** A score in [0,1] is a fraction and is shown ×100; one in (1,100] is already ×100. */
function asPercent(v: number): number {
  return v <= 1 ? v * 100 : v;
}

function numberIn(v: JsonValue | undefined): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (isObj(v)) for (const k of SCORE_KEYS) if (typeof v[k] === 'number' && Number.isFinite(v[k])) return v[k] as number;
  return undefined;
}

function subsetMap(v: JsonValue | undefined): Record<string, number> | undefined {
  if (!isObj(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) {
    const n = numberIn(x);
    if (n !== undefined && n >= 0 && n <= 100) out[k] = asPercent(n);
  }
  return Object.keys(out).length ? out : undefined;
}

export interface SubsetScoreFinding extends SubsetScores {
  step: StepView;
  /** The distance (or other key) the scores were found under, e.g. "lpips". */
  key: string;
  /** Short, unique series label for legends and the first table column, e.g. "alexnet/onnx · lpips". */
  label: string;
  /** The full description for tables: step, matrix values and distance. */
  description: string;
  /** 95% confidence interval per subset (×100), when the job recorded one. */
  intervals?: Record<string, Interval>;
  /** Samples scored per subset, when recorded. */
  counts?: Record<string, number>;
  /** The overall score the job recorded (mean over its subsets) and its 95% CI. */
  overall?: { ps: number; ci?: Interval };
  perLayer?: Array<{ layer: string; ps: number }>;
  bestLayer?: { layer: string; ps: number };
  /** JND mAP ×100 per subset and their mean, when the job scored JND. */
  jnd?: { perSubset: Record<string, number>; mean?: number };
  /** The distance contribution used (e.g. "l2" for id "l2-lab"). */
  use?: string;
  /** The dataset split scored ("val", "train"), when recorded. */
  split?: string;
}

/** Scores per subset, and the ceilings implied by the judges, of one perceptual-score cell. */
export interface JudgeCeilings {
  step: StepView;
  /** mean(p² + (1 − p)²) ×100: how often a random rater agrees with the others. */
  human?: Record<string, number>;
  /** mean(max(p, 1 − p)) ×100: the best score any distance can reach. */
  oracle?: Record<string, number>;
}

function layerList(v: JsonValue | undefined): Array<{ layer: string; ps: number }> | undefined {
  if (Array.isArray(v)) {
    const out = v.flatMap((x, i) => {
      const n = numberIn(x);
      const name = isObj(x) && typeof x.layer === 'string' ? x.layer : isObj(x) && typeof x.tap === 'string' ? x.tap : `layer ${i + 1}`;
      return n === undefined ? [] : [{ layer: name, ps: asPercent(n) }];
    });
    return out.length ? out : undefined;
  }
  if (isObj(v)) {
    const out = Object.entries(v).flatMap(([k, x]) => {
      const n = numberIn(x);
      return n === undefined ? [] : [{ layer: k, ps: asPercent(n) }];
    });
    return out.length ? out : undefined;
  }
  return undefined;
}

function interval(v: JsonValue | undefined): Interval | undefined {
  if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isFinite(x)) && (v[0] as number) <= (v[1] as number)) {
    return [v[0] as number, v[1] as number];
  }
  return undefined;
}

function numberMap(v: JsonValue | undefined): Record<string, number> | undefined {
  if (!isObj(v)) return undefined;
  const out: Record<string, number> = {};
  for (const [k, x] of Object.entries(v)) if (typeof x === 'number' && Number.isFinite(x)) out[k] = x;
  return Object.keys(out).length ? out : undefined;
}

/**
 * True for the perceptual-score job's result shape (packages/dataset-bapps/src/perceptual-score.ts):
 * `distances.<id>.twoAfc.<subset> = { score ×100, ci95, n }`. Checked by shape rather than by the step's
 * `uses`, so results copied out of a run (no manifest entry) are still read exactly.
 */
function isPerceptualScore(o: Record<string, JsonValue>): boolean {
  if (!isObj(o.distances)) return false;
  const ds = Object.values(o.distances);
  return ds.length > 0 && ds.every((d) => isObj(d) && isObj(d.twoAfc) && Object.values(d.twoAfc).every((t) => isObj(t) && typeof t.score === 'number'));
}

function describe(step: StepView, key: string, use: string | undefined): string {
  const m = matrixDescription(step);
  const where = m ? `${step.step} [${m}]` : step.step;
  if (!key) return where;
  return `${where} · ${key}${use && use !== key ? ` (${use})` : ''}`;
}

/** Reads a perceptual-score result exactly: every number is ×100 already, intervals and counts are kept. */
function perceptualScoreFindings(step: StepView, o: Record<string, JsonValue>): SubsetScoreFinding[] {
  const short = cellShortLabel(step);
  const split = typeof o.split === 'string' ? o.split : undefined;
  return Object.entries(o.distances as Obj).map(([id, raw]) => {
    const d = raw as Obj;
    const perSubset: Record<string, number> = {};
    const intervals: Record<string, Interval> = {};
    const counts: Record<string, number> = {};
    for (const [s, t] of Object.entries(d.twoAfc as Obj)) {
      const r = t as Obj;
      perSubset[s] = r.score as number;
      const ci = interval(r.ci95);
      if (ci) intervals[s] = ci;
      if (typeof r.n === 'number') counts[s] = r.n;
    }
    const layerPS = numberMap(d.layerPS);
    const order = Array.isArray(d.layers) ? d.layers.filter((l): l is string => typeof l === 'string') : Object.keys(layerPS ?? {});
    const perLayer = layerPS ? order.filter((l) => layerPS[l] !== undefined).map((layer) => ({ layer, ps: layerPS[layer] })) : [];
    const best = isObj(d.bestLayer) && typeof d.bestLayer.layer === 'string' && typeof d.bestLayer.ps === 'number'
      ? { layer: d.bestLayer.layer, ps: d.bestLayer.ps }
      : undefined;
    const jndScores: Record<string, number> = {};
    if (isObj(d.jnd)) for (const [s, j] of Object.entries(d.jnd)) if (isObj(j) && typeof j.mAP === 'number') jndScores[s] = j.mAP;
    const use = typeof d.use === 'string' ? d.use : undefined;
    const ci = interval(d.psCI95);
    return {
      step,
      key: id,
      method: `${short} · ${id}`,
      label: `${short} · ${id}`,
      description: describe(step, id, use),
      perSubset,
      ...(Object.keys(intervals).length ? { intervals } : {}),
      ...(Object.keys(counts).length ? { counts } : {}),
      ...(typeof d.ps === 'number' ? { overall: { ps: d.ps, ...(ci ? { ci } : {}) } } : {}),
      ...(perLayer.length ? { perLayer } : {}),
      ...(best ? { bestLayer: best } : {}),
      ...(Object.keys(jndScores).length
        ? { jnd: { perSubset: jndScores, ...(typeof d.jndMean === 'number' ? { mean: d.jndMean } : {}) } }
        : {}),
      ...(use ? { use } : {}),
      ...(split ? { split } : {}),
    };
  });
}

/** Judge-agreement ceilings a perceptual-score cell recorded (absent for other result shapes). */
export function findJudgeCeilings(step: StepView): JudgeCeilings | undefined {
  const o = step.outputs;
  if (!o || !isPerceptualScore(o)) return undefined;
  const human = numberMap(o.humanCeiling);
  const oracle = numberMap(o.oracle);
  return human || oracle ? { step, ...(human ? { human } : {}), ...(oracle ? { oracle } : {}) } : undefined;
}

/**
 * Keys whose maps hold counts or ceilings per subset, never a method's scores (`unanimous`: the
 * distortion-sensitivity job's unanimous triplets per subset).
 */
const NOT_SCORES = new Set(['counts', 'jndCounts', 'humanCeiling', 'oracle', 'n', 'unanimous']);

/**
 * Per-subset 2AFC scores in one step's outputs. The perceptual-score job's shape is read exactly
 * (see perceptualScoreFindings). Other jobs may use these forms, at any depth (the path of keys above
 * the map, minus generic words, names the method):
 *   { perSubset: { traditional: 70.1, cnn: {score: 0.83}, … }, perLayer?: {...} }
 *   { <subset>: number, … } with at least one BAPPS subset name among the keys.
 */
export function findSubsetScores(step: StepView): SubsetScoreFinding[] {
  if (step.outputs && isPerceptualScore(step.outputs)) return perceptualScoreFindings(step, step.outputs);
  const found: SubsetScoreFinding[] = [];
  const short = cellShortLabel(step);
  const add = (path: string[], perSubset: Record<string, number>, perLayer?: Array<{ layer: string; ps: number }>) => {
    const key = specificKey(path);
    const label = key ? `${short} · ${key}` : short;
    found.push({ step, key, method: label, label, description: describe(step, key, undefined), perSubset, ...(perLayer ? { perLayer } : {}) });
  };
  const visit = (v: JsonValue, path: string[], depth: number) => {
    if (!isObj(v) || depth > 6) return;
    for (const k of SUBSET_MAP_KEYS) {
      const m = subsetMap(v[k]);
      if (m) {
        add(path, m, LAYER_MAP_KEYS.map((lk) => layerList(v[lk])).find(Boolean));
        return;
      }
    }
    if (Object.keys(v).some((k) => (BAPPS_SUBSETS as readonly string[]).includes(k))) {
      const m = subsetMap(v);
      if (m) {
        add(path, m);
        return;
      }
    }
    for (const [k, x] of Object.entries(v)) if (!NOT_SCORES.has(k)) visit(x, [...path, k], depth + 1);
  };
  if (step.outputs) visit(step.outputs, [], 0);
  return found;
}

const GENERIC = new Set(['distances', 'results', 'scores', 'byDistance', 'perDistance', 'outputs']);

/** The meaningful part of a key path, e.g. ["distances", "lpips-baseline"] -> "lpips-baseline". */
function specificKey(path: string[]): string {
  return path.filter((p) => !GENERIC.has(p) && !/^\d+$/.test(p)).join('.');
}

/** ImageNet top-1 accuracy (percent) in one step's outputs (see findAccuracyPercent in @percept/metrics). */
export function findAccuracy(step: StepView): number | undefined {
  return findAccuracyPercent(step.outputs);
}

/** Overall PS: the unweighted mean over the subsets present (SPEC §1.4); `complete` says whether all six were. */
export function overallPs(perSubset: Record<string, number>): { ps: number; complete: boolean; subsets: string[] } {
  const bapps = BAPPS_SUBSETS.filter((s) => perSubset[s] !== undefined);
  const keys: string[] = bapps.length ? bapps : Object.keys(perSubset);
  const ps = keys.reduce((a, k) => a + perSubset[k], 0) / keys.length;
  return { ps, complete: bapps.length === BAPPS_SUBSETS.length, subsets: keys };
}

/**
 * PS-vs-accuracy points: each PS finding is paired with the accuracy cell whose matrix values agree
 * on every shared key (e.g. the same `backbone`). Unpaired findings are returned for the caller to report.
 */
export function pairAccuracy(
  scores: SubsetScoreFinding[],
  accuracySteps: StepView[],
): { points: AccuracyPsPoint[]; unpaired: SubsetScoreFinding[]; incomplete: string[]; pairs: Array<{ finding: SubsetScoreFinding; accuracyStep: StepView; point: AccuracyPsPoint }> } {
  const points: AccuracyPsPoint[] = [];
  const pairs: Array<{ finding: SubsetScoreFinding; accuracyStep: StepView; point: AccuracyPsPoint }> = [];
  const unpaired: SubsetScoreFinding[] = [];
  const incomplete: string[] = [];
  for (const f of scores) {
    const match = accuracySteps.find((a) => matrixValuesAgree(f.step, a) && findAccuracy(a) !== undefined);
    if (!match) {
      unpaired.push(f);
      continue;
    }
    const { ps, complete, subsets } = overallPs(f.perSubset);
    if (!complete) incomplete.push(f.label);
    // The job's interval is for the mean over all subsets it scored; use it only when that is this mean.
    const sameMean = f.overall?.ci && subsets.length === Object.keys(f.perSubset).length && Math.abs(f.overall.ps - ps) < 1e-6;
    const accuracy = findAccuracy(match)!;
    const accCi = top1Interval(match, accuracy);
    const point: AccuracyPsPoint = {
      label: f.label, accuracy, ps, group: f.key || f.step.step,
      ...(sameMean ? { psInterval: f.overall!.ci } : {}), ...(accCi ? { accuracyInterval: accCi } : {}),
    };
    points.push(point);
    pairs.push({ finding: f, accuracyStep: match, point });
  }
  return { points, unpaired, incomplete, pairs };
}

/** The accuracy job's top-1 95% interval in percent, when `accuracy` is that job's top-1. */
function top1Interval(step: StepView, accuracy: number): Interval | undefined {
  const { top1, top1CI95: ci } = step.outputs as { top1?: unknown; top1CI95?: unknown };
  if (typeof top1 !== 'number' || Math.abs(top1 * 100 - accuracy) > 1e-9) return undefined;
  if (!Array.isArray(ci) || ci.length !== 2 || !ci.every((v) => typeof v === 'number' && Number.isFinite(v))) return undefined;
  return [ci[0] * 100, ci[1] * 100] as const;
}

/** Overall PS of a finding and, when the job's interval is for exactly that mean, its 95% CI. */
export function findingPs(f: SubsetScoreFinding): { ps: number; complete: boolean; ci?: Interval } {
  const { ps, complete, subsets } = overallPs(f.perSubset);
  const sameMean = f.overall?.ci && subsets.length === Object.keys(f.perSubset).length && Math.abs(f.overall.ps - ps) < 1e-6;
  return { ps, complete, ...(sameMean ? { ci: f.overall!.ci } : {}) };
}

/** Layer-wise points for the layer chart (1-based index in the order the job listed its layers). */
export function layerPoints(scores: SubsetScoreFinding[]): LayerPsPoint[] {
  return scores.flatMap((f) => (f.perLayer ?? []).map((l, i) => ({ model: f.label, layer: i + 1, ps: l.ps, tap: l.layer })));
}

export type { BappsSubset };

/** One step cell's normalised-accuracy curve (the `lowpass-accuracy` job's `curve` output). */
export interface LowPassFinding {
  step: StepView;
  /** Short series label (the cell's matrix values, or the step id). */
  label: string;
  description: string;
  clean: { top1: number; ci?: Interval; count?: number };
  /** In the job's r order. top1 and normalizedAccuracy are fractions; intervals only when recorded. */
  points: Array<{ r: number; top1: number; top1CI?: Interval; normalizedAccuracy: number | null; interval?: Interval }>;
}

/**
 * The low-pass curve of a cell: `curve: [{ r, top1, normalizedAccuracy, normalizedCI95?, top1CI95? }]`
 * and `clean: { top1, top1CI95?, count? }` (packages/dataset-imagenet/src/lowpass-accuracy.ts).
 */
export function findLowPassCurve(step: StepView): LowPassFinding | undefined {
  const o = step.outputs;
  if (!o || !Array.isArray(o.curve) || !isObj(o.clean) || typeof o.clean.top1 !== 'number') return undefined;
  const points: LowPassFinding['points'] = [];
  for (const c of o.curve) {
    if (!isObj(c) || typeof c.r !== 'number' || typeof c.top1 !== 'number') return undefined;
    const na = typeof c.normalizedAccuracy === 'number' && Number.isFinite(c.normalizedAccuracy) ? c.normalizedAccuracy : null;
    const ci = interval(c.normalizedCI95);
    const tci = interval(c.top1CI95);
    points.push({
      r: c.r, top1: c.top1, normalizedAccuracy: na,
      // A percentile interval of a ratio may, rarely, miss its point estimate: such an interval is not drawn.
      ...(ci && na !== null && ci[0] <= na && na <= ci[1] ? { interval: ci } : {}),
      ...(tci ? { top1CI: tci } : {}),
    });
  }
  if (!points.length) return undefined;
  const cleanCi = interval(o.clean.top1CI95);
  return {
    step,
    label: cellShortLabel(step),
    description: describe(step, '', undefined),
    clean: { top1: o.clean.top1, ...(cleanCi ? { ci: cleanCi } : {}), ...(typeof o.clean.count === 'number' ? { count: o.clean.count } : {}) },
    points,
  };
}

/** Chart points of low-pass findings (points whose ratio is undefined, clean top-1 = 0, are left out). */
export function lowPassPoints(findings: LowPassFinding[]): LowPassPoint[] {
  return findings.flatMap((f) => f.points.flatMap((p) => (p.normalizedAccuracy === null ? [] : [{
    model: f.label, r: p.r, normalizedAccuracy: p.normalizedAccuracy, ...(p.interval ? { interval: p.interval } : {}),
  }])));
}

/** A `pareto` job's result (packages/metrics/src/analysis/pareto-job.ts): points, frontier and per-sweep summaries. */
export interface ParetoFinding {
  step: StepView;
  points: Array<{ id: string; accuracy: number; ps: number; group?: string }>;
  groups: Record<string, { n: number; best: string; pMax: number; aPMax: number; baseline: string | null; baselinePS: number | null; gain: number | null }>;
  excluded: Array<{ step: string; cell: string; reason: string }>;
}

export function findPareto(step: StepView): ParetoFinding | undefined {
  const o = step.outputs;
  if (!o || !isObj(o.groups) || !Array.isArray(o.frontier) || !Array.isArray(o.points)) return undefined;
  const points = o.points.flatMap((p) => (isObj(p) && typeof p.id === 'string' && typeof p.accuracy === 'number' && typeof p.ps === 'number'
    ? [{ id: p.id, accuracy: p.accuracy, ps: p.ps, ...(typeof p.group === 'string' ? { group: p.group } : {}) }]
    : []));
  const excluded = Array.isArray(o.excluded)
    ? o.excluded.flatMap((e) => (isObj(e) && typeof e.step === 'string' ? [{ step: e.step, cell: typeof e.cell === 'string' ? e.cell : '', reason: typeof e.reason === 'string' ? e.reason : '' }] : []))
    : [];
  return { step, points, groups: o.groups as unknown as ParetoFinding['groups'], excluded };
}
