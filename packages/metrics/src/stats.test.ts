import { describe, it, expect } from 'vitest';
import { bootstrapCI, kendallTau, normalQuantile, paretoFrontier, pearson, spearman, standardError, wilsonInterval } from './stats.js';
import { topK } from './accuracy.js';

describe('correlations', () => {
  // Reference values from scipy.stats (spearmanr, kendalltau tau-b, pearsonr).
  const x = [1, 2, 2, 3, 5, 5, 5, 8], y = [2, 1, 4, 4, 6, 6, 9, 7];
  it('spearman uses average ranks for ties', () => expect(spearman(x, y)).toBeCloseTo(0.8759284757666266, 12));
  it('kendall tau-b', () => expect(kendallTau(x, y)).toBeCloseTo(0.760608730574164, 12));
  it('pearson', () => expect(pearson(x, y)).toBeCloseTo(0.7979393896129331, 12));
  it('standard error', () => expect(standardError([1, 2, 3, 4])).toBeCloseTo(Math.sqrt(5 / 3) / 2, 12));
  it('rejects unequal lengths', () => expect(() => spearman([1, 2], [1])).toThrow(/x has 2 values but y has 1/));
});

describe('paretoFrontier', () => {
  const pts = [
    { x: 1, y: 1, id: 'A' }, { x: 2, y: 3, id: 'B' }, { x: 3, y: 2, id: 'C' },
    { x: 2, y: 2, id: 'D' }, { x: 0.5, y: 0.5, id: 'E' }, { x: 3, y: 2, id: 'F' },
  ];
  it('keeps the non-dominated points (both maximised), sorted by x, duplicates kept', () => {
    expect(paretoFrontier(pts).map((p) => p.id)).toEqual(['B', 'C', 'F']);
  });
  it('minimises axes not listed in maximize', () => {
    expect(paretoFrontier(pts, { maximize: ['y'] }).map((p) => p.id)).toEqual(['E', 'A', 'B']);
  });
});

describe('bootstrapCI', () => {
  const values = Array.from({ length: 50 }, (_, i) => (i * 7919) % 13 / 13);
  it('is deterministic for a seed and brackets the estimate', () => {
    const a = bootstrapCI(values, { seed: 42, resamples: 500 });
    expect(bootstrapCI(values, { seed: 42, resamples: 500 })).toEqual(a);
    expect(bootstrapCI(values, { seed: 43, resamples: 500 }).lower).not.toBe(a.lower);
    expect(a.lower).toBeLessThan(a.estimate);
    expect(a.upper).toBeGreaterThan(a.estimate);
    const wider = bootstrapCI(values, { seed: 42, resamples: 500, level: 0.99 });
    expect(wider.upper - wider.lower).toBeGreaterThan(a.upper - a.lower);
  });
  it('collapses for constant data and accepts a custom statistic', () => {
    const c = bootstrapCI([0.7, 0.7, 0.7], { seed: 1 });
    expect(c.lower).toBeCloseTo(0.7, 12);
    expect(c.upper).toBeCloseTo(0.7, 12);
    const med = bootstrapCI([1, 2, 3, 4, 100], { seed: 1, statistic: (v) => Float64Array.from(v).sort()[2] });
    expect(med.estimate).toBe(3);
    expect(med.upper).toBeLessThanOrEqual(100);
  });
});

describe('proportions and accuracy', () => {
  it('wilson interval for 8/10 at 95%', () => {
    const w = wilsonInterval(8, 10);
    expect(w.lower).toBeCloseTo(0.49016, 4);
    expect(w.upper).toBeCloseTo(0.94332, 4);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
  });

  it('topK counts classes with a strictly larger logit', () => {
    const logits = { data: Float32Array.from([1, 3, 2, 5, 1, 0]), shape: [2, 3], layout: 'NC' as const };
    expect(topK(logits, [2, 1], 1).accuracy).toBe(0);
    expect(Array.from(topK(logits, [2, 1], 2).correct)).toEqual([1, 1]);
    expect(topK(logits, [1, 0], 1).accuracy).toBe(1);
    expect(() => topK(logits, [3, 0], 1)).toThrow(/label 0 is 3/);
  });
});
