/**
 * Dynamic range of the Perceptual Score (Kumar §3.2, Fig. 3; SPEC §4.1).
 *
 * For the real judges p, p̃ = 𝟙[p > 0.5]. An "ideal but noisy" distance draws d0 ~ φ(1, σ, 0, 1),
 * d1 ~ φ(0, σ, 0, 1) when p̃ = 1 (humans preferred p1, so p0 should look farther) and the reverse
 * when p̃ = 0; the triplet is then scored with Eq. 2 and the real p. As σ → 0 this is the oracle
 * mean(max(p, 1−p)) (ties at p = 0.5 score 0.5 either way); as σ → ∞ both draws become uniform on
 * [0, 1] and the score tends to 50.
 */
import { InputError } from '@percept/core';
import { oracle, twoAfcScore } from '../scores.js';
import { quantileSorted, seededRandom } from '../stats.js';
import { truncatedNormalInverse } from './truncnorm.js';

export interface DynamicRangeOptions {
  /** Repetitions per σ (each a fresh draw for every triplet). */
  repeats: number;
  seed: number;
}

export interface DynamicRangePoint {
  sigma: number;
  /** Mean over repetitions of the overall score ×100 (unweighted mean of subsets, SPEC §1.4). */
  ps: number;
  /** 2.5% and 97.5% percentiles of the repetitions' scores ×100. */
  ci95: [number, number];
  /** Mean over repetitions, per subset, ×100. */
  bySubset: Record<string, number>;
}

export interface DynamicRangeResult {
  curve: DynamicRangePoint[];
  /** σ → 0 limit: mean over subsets of mean(max(p, 1−p)), ×100. */
  oracle: number;
  /** σ → ∞ limit. */
  chance: number;
}

/** `count` values log-spaced from `min` to `max` inclusive. */
export function logSpace(min: number, max: number, count: number): number[] {
  if (!(min > 0) || !(max >= min) || !Number.isInteger(count) || count < 1) {
    throw new InputError(`logSpace: need 0 < min <= max and a positive integer count, got min=${min} max=${max} count=${count}`);
  }
  if (count === 1) return [min];
  const l0 = Math.log(min), step = (Math.log(max) - l0) / (count - 1);
  return Array.from({ length: count }, (_, i) => Math.exp(l0 + i * step));
}

/** Mean 2AFC score of one simulated draw of every triplet of one subset. */
function simulateSubset(p: ArrayLike<number>, sigma: number, rand: () => number): number {
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const far = truncatedNormalInverse(rand(), 1, sigma, 0, 1);
    const near = truncatedNormalInverse(rand(), 0, sigma, 0, 1);
    const [d0, d1] = p[i] > 0.5 ? [far, near] : [near, far];
    sum += twoAfcScore(d0, d1, p[i]);
  }
  return sum / p.length;
}

export function simulateDynamicRange(
  judges: Readonly<Record<string, ArrayLike<number>>>, sigmas: readonly number[], options: DynamicRangeOptions,
): DynamicRangeResult {
  const subsets = Object.keys(judges);
  if (subsets.length === 0) throw new InputError('dynamic-range: no subsets with judges');
  for (const s of subsets) {
    const p = judges[s];
    if (p.length === 0) throw new InputError(`dynamic-range: subset "${s}" has no judges`);
    for (let i = 0; i < p.length; i++) {
      if (!(p[i] >= 0 && p[i] <= 1)) throw new InputError(`dynamic-range: judge ${i} of subset "${s}" must be in [0,1], got ${p[i]}`);
    }
  }
  if (!Number.isInteger(options.repeats) || options.repeats < 1) throw new InputError(`dynamic-range: option "repeats" must be a positive integer, got ${options.repeats}`);
  const rand = seededRandom(options.seed);
  const curve = sigmas.map((sigma) => {
    if (!(sigma > 0) || !Number.isFinite(sigma)) throw new InputError(`dynamic-range: every sigma must be a positive finite number, got ${sigma}`);
    const overall = new Float64Array(options.repeats);
    const sums = Object.fromEntries(subsets.map((s) => [s, 0]));
    for (let r = 0; r < options.repeats; r++) {
      let total = 0;
      for (const s of subsets) {
        const v = simulateSubset(judges[s], sigma, rand);
        sums[s] += v;
        total += v;
      }
      overall[r] = total / subsets.length;
    }
    const sorted = Float64Array.from(overall).sort();
    const mean = overall.reduce((a, b) => a + b, 0) / overall.length;
    return {
      sigma,
      ps: 100 * mean,
      ci95: [100 * quantileSorted(sorted, 0.025), 100 * quantileSorted(sorted, 0.975)] as [number, number],
      bySubset: Object.fromEntries(subsets.map((s) => [s, (100 * sums[s]) / options.repeats])),
    };
  });
  const oracleMean = subsets.reduce((a, s) => a + oracle(judges[s]), 0) / subsets.length;
  return { curve, oracle: 100 * oracleMean, chance: 50 };
}
