/**
 * Finds chartable numbers in step outputs without depending on one job's exact result shape:
 * per-subset 2AFC maps (perceptual-score), layer-wise maps, and ImageNet accuracies. The rules are
 * small and documented in docs/reports.md; a job that wants its numbers charted uses these names.
 */
import type { JsonValue } from '@percept/core';
import { BAPPS_SUBSETS, type BappsSubset } from '../published.js';
import type { AccuracyPsPoint } from '../charts/ps-vs-accuracy.js';
import type { LayerPsPoint } from '../charts/layerwise.js';
import type { SubsetScores } from '../tables/lpips-table5.js';
import { cellLabel, type StepView } from './read-run.js';

type Obj = Record<string, JsonValue>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys that hold a subset -> score map. */
const SUBSET_MAP_KEYS = ['perSubset', 'subsets', 'twoAfc', '2afc'];
/** Keys that hold a layer -> score map or array. */
const LAYER_MAP_KEYS = ['perLayer', 'layerwise', 'layerWise'];
/** Keys whose number is a 2AFC score of one subset (when the value is an object rather than a number). */
const SCORE_KEYS = ['score', 'ps', 'twoAfc', 'value', 'mean'];
const ACCURACY_KEYS = ['top1', 'top1Accuracy', 'accuracy', 'acc'];

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
  /** The distance (or other key) the scores were found under, e.g. "lpips-baseline". */
  key: string;
  perLayer?: Array<{ layer: string; ps: number }>;
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

/**
 * Per-subset 2AFC scores in one step's outputs. Accepted forms, at any depth (the path of keys above
 * the map, minus generic words, names the method):
 *   { perSubset: { traditional: 70.1, cnn: {score: 0.83}, … }, perLayer?: {...} }
 *   { <subset>: number, … } with at least one BAPPS subset name among the keys.
 */
export function findSubsetScores(step: StepView): SubsetScoreFinding[] {
  const found: SubsetScoreFinding[] = [];
  const label = cellLabel(step);
  const visit = (v: JsonValue, path: string[], depth: number) => {
    if (!isObj(v) || depth > 6) return;
    for (const k of SUBSET_MAP_KEYS) {
      const m = subsetMap(v[k]);
      if (m) {
        const perLayer = LAYER_MAP_KEYS.map((lk) => layerList(v[lk])).find(Boolean);
        found.push({ step, key: specificKey(path), method: methodName(label, path), perSubset: m, ...(perLayer ? { perLayer } : {}) });
        return;
      }
    }
    if (Object.keys(v).some((k) => (BAPPS_SUBSETS as readonly string[]).includes(k))) {
      const m = subsetMap(v);
      if (m) {
        found.push({ step, key: specificKey(path), method: methodName(label, path), perSubset: m });
        return;
      }
    }
    for (const [k, x] of Object.entries(v)) visit(x, [...path, k], depth + 1);
  };
  if (step.outputs) visit(step.outputs, [], 0);
  return found;
}

const GENERIC = new Set(['distances', 'results', 'scores', 'byDistance', 'perDistance', 'outputs']);

/** The meaningful part of a key path, e.g. ["distances", "lpips-baseline"] -> "lpips-baseline". */
function specificKey(path: string[]): string {
  return path.filter((p) => !GENERIC.has(p) && !/^\d+$/.test(p)).join('.');
}

function methodName(cell: string, path: string[]): string {
  const specific = specificKey(path);
  return specific ? `${cell} · ${specific}` : cell;
}

/** ImageNet top-1 accuracy (percent) in one step's outputs, looked up at the top level or under "accuracy". */
export function findAccuracy(step: StepView): number | undefined {
  const o = step.outputs;
  if (!o) return undefined;
  for (const k of ACCURACY_KEYS) {
    const v = o[k];
    if (typeof v === 'number' && Number.isFinite(v) && v >= 0 && v <= 100) return asPercent(v);
    if (isObj(v)) for (const kk of ACCURACY_KEYS) {
      const x = v[kk];
      if (typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 100) return asPercent(x);
    }
  }
  return undefined;
}

/** Overall PS: the unweighted mean over the subsets present (SPEC §1.4); `complete` says whether all six were. */
export function overallPs(perSubset: Record<string, number>): { ps: number; complete: boolean; subsets: string[] } {
  const bapps = BAPPS_SUBSETS.filter((s) => perSubset[s] !== undefined);
  const keys: string[] = bapps.length ? bapps : Object.keys(perSubset);
  const ps = keys.reduce((a, k) => a + perSubset[k], 0) / keys.length;
  return { ps, complete: bapps.length === BAPPS_SUBSETS.length, subsets: keys };
}

/** Matrix values shared by two cells, compared as JSON; cells match when every shared key agrees. */
function sameModel(a: StepView, b: StepView): boolean {
  if (!a.matrix || !b.matrix) return false;
  const shared = Object.keys(a.matrix).filter((k) => k in b.matrix!);
  return shared.length > 0 && shared.every((k) => JSON.stringify(a.matrix![k]) === JSON.stringify(b.matrix![k]));
}

/**
 * PS-vs-accuracy points: each PS finding is paired with the accuracy cell whose matrix values agree
 * on every shared key (e.g. the same `backbone`). Unpaired findings are returned for the caller to report.
 */
export function pairAccuracy(
  scores: SubsetScoreFinding[],
  accuracySteps: StepView[],
): { points: AccuracyPsPoint[]; unpaired: SubsetScoreFinding[]; incomplete: string[] } {
  const points: AccuracyPsPoint[] = [];
  const unpaired: SubsetScoreFinding[] = [];
  const incomplete: string[] = [];
  for (const f of scores) {
    const match = accuracySteps.find((a) => sameModel(f.step, a) && findAccuracy(a) !== undefined);
    if (!match) {
      unpaired.push(f);
      continue;
    }
    const { ps, complete } = overallPs(f.perSubset);
    if (!complete) incomplete.push(f.method);
    points.push({ label: f.method, accuracy: findAccuracy(match)!, ps, group: f.key || f.step.step });
  }
  return { points, unpaired, incomplete };
}

/** Layer-wise points for the layer chart (1-based index in the order the job listed its layers). */
export function layerPoints(scores: SubsetScoreFinding[]): LayerPsPoint[] {
  return scores.flatMap((f) => (f.perLayer ?? []).map((l, i) => ({ model: f.method, layer: i + 1, ps: l.ps, tap: l.layer })));
}

export type { BappsSubset };
