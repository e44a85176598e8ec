/**
 * Statistics for reports: correlations, Pareto frontiers, standard errors, bootstrap intervals.
 */
import { InputError } from '@percept/core';
import { mean } from './scores.js';

export { mean };

/** Sample standard deviation (ddof = 1). */
export function std(values: ArrayLike<number>): number {
  if (values.length < 2) throw new InputError(`std: needs at least 2 values, got ${values.length}`);
  const m = mean(values);
  let s = 0;
  for (let i = 0; i < values.length; i++) s += (values[i] - m) ** 2;
  return Math.sqrt(s / (values.length - 1));
}

/** Standard error of the mean: sample std / sqrt(n). */
export function standardError(values: ArrayLike<number>): number {
  return std(values) / Math.sqrt(values.length);
}

function pairs(what: string, x: ArrayLike<number>, y: ArrayLike<number>): number {
  if (x.length !== y.length) throw new InputError(`${what}: x has ${x.length} values but y has ${y.length}`);
  if (x.length < 2) throw new InputError(`${what}: needs at least 2 pairs, got ${x.length}`);
  return x.length;
}

/** Pearson correlation; NaN when either variable is constant. */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = pairs('pearson', x, y);
  const mx = mean(x), my = mean(y);
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx, dy = y[i] - my;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  return sxy / Math.sqrt(sxx * syy);
}

/** Ranks 1..n with ties given their average rank. */
export function averageRanks(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const ranks = new Float64Array(n);
  for (let i = 0; i < n;) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]] = r;
    i = j + 1;
  }
  return ranks;
}

/** Spearman rank correlation: Pearson on average ranks (scipy.stats.spearmanr). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  pairs('spearman', x, y);
  return pearson(averageRanks(x), averageRanks(y));
}

/** Kendall's tau-b (scipy.stats.kendalltau default), O(n²). */
export function kendallTau(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = pairs('kendallTau', x, y);
  let concordant = 0, discordant = 0, tiesX = 0, tiesY = 0;
  for (let i = 0; i < n; i++) {
    for (let j = i + 1; j < n; j++) {
      const dx = Math.sign(x[i] - x[j]), dy = Math.sign(y[i] - y[j]);
      if (dx === 0 && dy === 0) continue;
      if (dx === 0) tiesX++;
      else if (dy === 0) tiesY++;
      else if (dx === dy) concordant++;
      else discordant++;
    }
  }
  return (concordant - discordant) / Math.sqrt((concordant + discordant + tiesX) * (concordant + discordant + tiesY));
}

export interface ParetoPoint { x: number; y: number; id?: string }

/**
 * The non-dominated points, sorted by x ascending. Axes listed in `maximize` are better when
 * larger, the others when smaller. A point is dominated when another is at least as good on both
 * axes and strictly better on one; exact duplicates are all kept.
 */
export function paretoFrontier<P extends ParetoPoint>(points: readonly P[], options: { maximize?: readonly ('x' | 'y')[] } = {}): P[] {
  const maximize = options.maximize ?? ['x', 'y'];
  const sx = maximize.includes('x') ? 1 : -1, sy = maximize.includes('y') ? 1 : -1;
  points.forEach((p, i) => {
    if (!Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new InputError(`paretoFrontier: point ${p.id ?? i} has non-finite coordinates (${p.x}, ${p.y})`);
  });
  const front = points.filter((p) => !points.some((q) => {
    const gx = sx * (q.x - p.x), gy = sy * (q.y - p.y);
    return gx >= 0 && gy >= 0 && (gx > 0 || gy > 0);
  }));
  return front.sort((a, b) => a.x - b.x || a.y - b.y);
}

/** A small, fast, seedable PRNG (mulberry32); returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Linear-interpolation quantile of sorted values (NumPy's default method). */
export function quantileSorted(sorted: ArrayLike<number>, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos), hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

export interface BootstrapOptions {
  statistic?: 'mean' | ((values: Float64Array) => number);
  resamples?: number;
  seed?: number;
  level?: number;
}

export interface BootstrapResult {
  estimate: number;
  lower: number;
  upper: number;
  level: number;
  resamples: number;
  seed: number;
}

/** Percentile bootstrap interval of a statistic (default the mean), deterministic for a seed. */
export function bootstrapCI(values: ArrayLike<number>, options: BootstrapOptions = {}): BootstrapResult {
  const n = values.length;
  if (n === 0) throw new InputError('bootstrapCI: no values');
  const resamples = options.resamples ?? 1000;
  const level = options.level ?? 0.95;
  const seed = options.seed ?? 0;
  if (!Number.isInteger(resamples) || resamples < 1) throw new InputError(`bootstrapCI: resamples must be a positive integer, got ${resamples}`);
  if (!(level > 0 && level < 1)) throw new InputError(`bootstrapCI: level must be in (0, 1), got ${level}`);
  const stat = options.statistic ?? 'mean';
  const rand = seededRandom(seed);
  const src = Float64Array.from(values);
  const stats = new Float64Array(resamples);
  const sample = stat === 'mean' ? null : new Float64Array(n);
  for (let r = 0; r < resamples; r++) {
    if (sample === null) {
      // The mean needs no resampled copy: sum the drawn values directly.
      let s = 0;
      for (let i = 0; i < n; i++) s += src[Math.floor(rand() * n)];
      stats[r] = s / n;
    } else {
      for (let i = 0; i < n; i++) sample[i] = src[Math.floor(rand() * n)];
      stats[r] = (stat as (v: Float64Array) => number)(sample);
    }
  }
  stats.sort();
  const alpha = (1 - level) / 2;
  const estimate = stat === 'mean' ? mean(src) : (stat as (v: Float64Array) => number)(src);
  return { estimate, lower: quantileSorted(stats, alpha), upper: quantileSorted(stats, 1 - alpha), level, resamples, seed };
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new InputError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5, r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** Wilson score interval for a proportion successes/n. */
export function wilsonInterval(successes: number, n: number, level = 0.95): { estimate: number; lower: number; upper: number; level: number } {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`wilsonInterval: n must be a positive integer, got ${n}`);
  if (!(successes >= 0 && successes <= n)) throw new InputError(`wilsonInterval: successes must be in [0, ${n}], got ${successes}`);
  const z = normalQuantile(1 - (1 - level) / 2);
  const phat = successes / n, z2 = z * z;
  const denom = 1 + z2 / n;
  const center = (phat + z2 / (2 * n)) / denom;
  const half = (z * Math.sqrt((phat * (1 - phat)) / n + z2 / (4 * n * n))) / denom;
  return { estimate: phat, lower: Math.max(0, center - half), upper: Math.min(1, center + half), level };
}
