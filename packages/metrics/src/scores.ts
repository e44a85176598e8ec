/**
 * Scoring human judgements: 2AFC (the Perceptual Score), JND mAP, and their reference bounds.
 */
import { InputError, type DistanceResult } from '@percept/core';

function checkLengths(what: string, arrays: Record<string, ArrayLike<number>>): number {
  const entries = Object.entries(arrays);
  const n = entries[0][1].length;
  for (const [name, a] of entries) {
    if (a.length !== n) {
      throw new InputError(`${what}: ${entries.map(([k, v]) => `${k} has ${v.length}`).join(', ')} values; they must be equal (mismatch at "${name}")`);
    }
  }
  return n;
}

function checkProbability(what: string, name: string, p: ArrayLike<number>): void {
  for (let i = 0; i < p.length; i++) {
    if (!(p[i] >= 0 && p[i] <= 1)) throw new InputError(`${what}: ${name}[${i}] = ${p[i]} is not a probability in [0, 1]`);
  }
}

export function mean(values: ArrayLike<number>): number {
  if (values.length === 0) throw new InputError('mean: no values');
  let s = 0;
  for (let i = 0; i < values.length; i++) s += values[i];
  return s / values.length;
}

/**
 * One 2AFC triplet: s = (d0<d1)(1−p) + (d1<d0)p + 0.5(d0==d1), where p is the fraction of humans
 * who judged x1 closer to the reference (LPIPS score_2afc_dataset). In [0,1]; report ×100.
 */
export function twoAfcScore(d0: number, d1: number, p: number): number {
  return d0 < d1 ? 1 - p : d1 < d0 ? p : 0.5;
}

/** Per-triplet 2AFC scores and their mean. */
export function twoAfcScores(d0: ArrayLike<number>, d1: ArrayLike<number>, p: ArrayLike<number>): { scores: Float64Array; mean: number } {
  const n = checkLengths('twoAfcScores', { d0, d1, p });
  if (n === 0) throw new InputError('twoAfcScores: no triplets');
  checkProbability('twoAfcScores', 'p', p);
  const scores = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < n; i++) {
    if (Number.isNaN(d0[i]) || Number.isNaN(d1[i])) throw new InputError(`twoAfcScores: distance of triplet ${i} is NaN (d0=${d0[i]}, d1=${d1[i]})`);
    scores[i] = twoAfcScore(d0[i], d1[i], p[i]);
    sum += scores[i];
  }
  return { scores, mean: sum / n };
}

/** Best achievable 2AFC agreement of a single human rater: mean(p² + (1−p)²) (LPIPS "Human"). */
export function humanCeiling(p: ArrayLike<number>): number {
  if (p.length === 0) throw new InputError('humanCeiling: no judgements');
  checkProbability('humanCeiling', 'p', p);
  let s = 0;
  for (let i = 0; i < p.length; i++) s += p[i] * p[i] + (1 - p[i]) * (1 - p[i]);
  return s / p.length;
}

/** Best achievable score of any distance: mean(max(p, 1−p)) (the σ→0 limit of SPEC §4.1). */
export function oracle(p: ArrayLike<number>): number {
  if (p.length === 0) throw new InputError('oracle: no judgements');
  checkProbability('oracle', 'p', p);
  let s = 0;
  for (let i = 0; i < p.length; i++) s += Math.max(p[i], 1 - p[i]);
  return s / p.length;
}

/** The overall PS: the UNWEIGHTED mean over subsets (SPEC §1.4), not pooled over triplets. */
export function overallPS(perSubset: Readonly<Record<string, number>>): number {
  const values = Object.values(perSubset);
  if (values.length === 0) throw new InputError('overallPS: no subsets');
  for (const [k, v] of Object.entries(perSubset)) {
    if (!Number.isFinite(v)) throw new InputError(`overallPS: subset "${k}" has score ${v}`);
  }
  return mean(values);
}

/** 2AFC score of each layer alone, from the per-layer distances of d0 and d1. */
export function layerwisePS(d0: DistanceResult, d1: DistanceResult, p: ArrayLike<number>): Record<string, number> {
  if (d0.layers.join('\u0000') !== d1.layers.join('\u0000')) {
    throw new InputError(`layerwisePS: d0 and d1 have different layers: [${d0.layers.join(', ')}] vs [${d1.layers.join(', ')}]`);
  }
  const out: Record<string, number> = {};
  d0.layers.forEach((layer, l) => { out[layer] = twoAfcScores(d0.perLayer[l], d1.perLayer[l], p).mean; });
  return out;
}

/** The layer with the highest score ("optimal layer-wise PS"); the first one on ties. */
export function bestLayer(scores: Readonly<Record<string, number>>): { layer: string; score: number } {
  let best: { layer: string; score: number } | undefined;
  for (const [layer, score] of Object.entries(scores)) if (!best || score > best.score) best = { layer, score };
  if (!best) throw new InputError('bestLayer: no layers');
  return best;
}

/**
 * JND mAP (LPIPS score_jnd_dataset): rank pairs by ascending distance, treat the fraction of
 * "same" answers as soft positives, and compute VOC average precision (use_07_metric=false) with
 * the precision envelope. Ties are ordered by input position (a STABLE sort of the flattened
 * distances); NumPy's default quicksort leaves tie order unspecified, so results on tied
 * distances can differ from LPIPS by the order it happened to pick.
 */
export function jndMap(ds: ArrayLike<number>, sames: ArrayLike<number>): number {
  const n = checkLengths('jndMap', { ds, sames });
  if (n === 0) throw new InputError('jndMap: no pairs');
  checkProbability('jndMap', 'sames', sames);
  for (let i = 0; i < n; i++) if (Number.isNaN(ds[i])) throw new InputError(`jndMap: distance of pair ${i} is NaN`);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => ds[a] - ds[b]); // Array.sort is stable (ES2019)
  let totalSame = 0;
  for (let i = 0; i < n; i++) totalSame += sames[i];
  if (totalSame === 0) throw new InputError('jndMap: no pair was judged "same" by anyone, so recall is undefined');
  const rec = new Float64Array(n + 2), prec = new Float64Array(n + 2);
  let tp = 0, fp = 0;
  for (let i = 0; i < n; i++) {
    const s = sames[order[i]];
    tp += s; fp += 1 - s;
    prec[i + 1] = tp / (tp + fp);
    rec[i + 1] = tp / totalSame;
  }
  rec[n + 1] = 1;
  prec[n + 1] = 0;
  for (let i = n + 1; i >= 1; i--) prec[i - 1] = Math.max(prec[i - 1], prec[i]);
  let ap = 0;
  for (let i = 0; i <= n; i++) if (rec[i + 1] !== rec[i]) ap += (rec[i + 1] - rec[i]) * prec[i + 1];
  return ap;
}
