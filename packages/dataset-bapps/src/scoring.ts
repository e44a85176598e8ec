/**
 * The one statistic the perceptual-score job needs beyond @percept/metrics: a confidence interval
 * for the overall PS, which is an unweighted mean of subset means (SPEC §1.4). Pooling all triplets
 * into one bootstrap would weight subsets by size, so each resample draws every subset's triplets
 * from that subset alone (a stratified bootstrap) and averages the subset means.
 */
import { InputError } from '@percept/core';
import { quantileSorted, seededRandom } from '@percept/metrics';

export interface Interval {
  lower: number;
  upper: number;
}

/** Stratified percentile bootstrap of mean_s(mean(strata[s])), deterministic for a seed. */
export function stratifiedMeanCI(strata: readonly ArrayLike<number>[], resamples: number, seed: number, level = 0.95): Interval {
  if (strata.length === 0 || strata.some((s) => s.length === 0)) throw new InputError('stratifiedMeanCI: every stratum needs at least one value');
  if (!Number.isInteger(resamples) || resamples < 1) throw new InputError(`stratifiedMeanCI: resamples must be a positive integer, got ${resamples}`);
  const rand = seededRandom(seed);
  const stats = new Float64Array(resamples);
  for (let r = 0; r < resamples; r++) {
    let total = 0;
    for (const s of strata) {
      const n = s.length;
      let sum = 0;
      for (let i = 0; i < n; i++) sum += s[Math.floor(rand() * n)];
      total += sum / n;
    }
    stats[r] = total / strata.length;
  }
  stats.sort();
  const alpha = (1 - level) / 2;
  return { lower: quantileSorted(stats, alpha), upper: quantileSorted(stats, 1 - alpha) };
}
