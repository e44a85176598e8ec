import { describe, it, expect } from 'vitest';
import { checkOutputs, Registry, type JobContext } from '@percept/core';
import { erf, erfinv, normalCdf, truncatedNormalInverse } from './truncnorm.js';
import { logSpace, simulateDynamicRange } from './dynamic-range.js';
import { normalizedSoftmaxEntropy } from './entropy.js';
import { paretoAnalysis } from './pareto.js';
import { paretoJob } from './pareto-job.js';
import { seededRandom } from '../stats.js';

describe('erf and the truncated normal', () => {
  it('matches tabulated erf / Φ values', () => {
    expect(erf(0.5)).toBeCloseTo(0.5204998778, 6);
    expect(erf(-1)).toBeCloseTo(-0.8427007929, 6);
    expect(normalCdf(1.959963985)).toBeCloseTo(0.975, 6);
    expect(erfinv(0.5204998778)).toBeCloseTo(0.5, 6);
    expect(() => erfinv(1)).toThrow(/erfinv/);
  });
  it('inverts the truncated CDF: the median of N(0,1) on [0, ∞) is Φ⁻¹(0.75)', () => {
    expect(truncatedNormalInverse(0.5, 0, 1, 0, 1e9)).toBeCloseTo(0.6744897502, 5);
    // Symmetric interval around the mean: median is the mean.
    expect(truncatedNormalInverse(0.5, 0.5, 2, 0, 1)).toBeCloseTo(0.5, 6);
  });
  it('stays inside [a, b] for extreme sigma and interval in the far upper tail', () => {
    for (const u of [0, 1e-12, 0.3, 0.999999]) {
      for (const s of [1e-4, 1, 1e4]) {
        const x = truncatedNormalInverse(u, 1, s, 0, 1);
        expect(x).toBeGreaterThanOrEqual(0);
        expect(x).toBeLessThanOrEqual(1);
      }
      const t = truncatedNormalInverse(u, 0, 1, 10, 11); // Φ(10) rounds to 1 without the mirror
      expect(t).toBeGreaterThanOrEqual(10);
      expect(t).toBeLessThanOrEqual(11);
    }
    // Far in the tail the density ∝ e^{−10(x−10)} nearly, so the median is ≈ 10 + ln2/10.
    expect(truncatedNormalInverse(0.5, 0, 1, 10, 11)).toBeCloseTo(10 + Math.LN2 / 10, 2);
    expect(truncatedNormalInverse(0.2, 0, 1, 10, 11)).toBeLessThan(truncatedNormalInverse(0.8, 0, 1, 10, 11));
  });
  it('mean of N(0,1) on [0, ∞) is √(2/π)', () => {
    const r = seededRandom(3);
    let s = 0;
    for (let i = 0; i < 20000; i++) s += truncatedNormalInverse(r(), 0, 1, 0, 50);
    expect(s / 20000).toBeCloseTo(Math.sqrt(2 / Math.PI), 1);
  });
  it('rejects a non-positive sigma', () => expect(() => truncatedNormalInverse(0.5, 0, 0, 0, 1)).toThrow(/sigma/));
});

describe('dynamic range (SPEC §4.1)', () => {
  // Oracle by hand: a: max(p,1−p) = 0.8, 0.6, 1, 0.5 → 0.725; b: 0.9, 0.7 → 0.8; overall 0.7625.
  const judges = { a: [0.2, 0.6, 1, 0.5], b: [0.9, 0.3] };
  it('gives the oracle for tiny sigma, ~50 for huge sigma, and decreases in between', () => {
    const r = simulateDynamicRange(judges, [1e-4, 0.1, 0.5, 2, 1e4], { repeats: 400, seed: 1 });
    expect(r.oracle).toBeCloseTo(76.25, 10);
    expect(r.curve[0].ps).toBeCloseTo(76.25, 6);
    expect(r.curve[0].bySubset).toEqual({ a: expect.closeTo(72.5, 6), b: expect.closeTo(80, 6) });
    expect(r.curve[0].ci95[0]).toBeCloseTo(76.25, 6);
    expect(Math.abs(r.curve[4].ps - 50)).toBeLessThan(2);
    for (let i = 1; i < r.curve.length; i++) expect(r.curve[i].ps).toBeLessThan(r.curve[i - 1].ps + 0.5);
    expect(r.curve[2].ps).toBeLessThan(r.curve[0].ps - 1);
    expect(r.curve[3].ci95[0]).toBeLessThan(r.curve[3].ci95[1]);
  });
  it('is deterministic for a seed', () => {
    const a = simulateDynamicRange(judges, [0.5], { repeats: 5, seed: 9 });
    expect(simulateDynamicRange(judges, [0.5], { repeats: 5, seed: 9 })).toEqual(a);
  });
  it('names bad judges and sigmas', () => {
    expect(() => simulateDynamicRange({ a: [1.5] }, [1], { repeats: 1, seed: 0 })).toThrow(/judge 0 of subset "a"/);
    expect(() => simulateDynamicRange(judges, [0], { repeats: 1, seed: 0 })).toThrow(/sigma/);
  });
  it('log-spaces the grid', () => {
    const g = logSpace(0.01, 10, 4);
    expect(g[0]).toBeCloseTo(0.01, 12);
    expect(g[1]).toBeCloseTo(0.1, 12);
    expect(g[3]).toBeCloseTo(10, 12);
  });
});

describe('normalised softmax entropy (SPEC §4.7)', () => {
  it('is 1 for uniform activations, ~0 for one dominant value, and matches a hand case', () => {
    const t = { data: Float32Array.from([3, 3, 3, 3, 50, 0, 0, 0, 0, 0, 0, Math.log(2)]), shape: [3, 2, 2], layout: 'NCHW' as const };
    // Third sample: softmax of (0, 0, 0, log 2) = (1/5, 1/5, 1/5, 2/5); H = 3/5·log 5 + 2/5·log(5/2).
    const h3 = (0.6 * Math.log(5) + 0.4 * Math.log(2.5)) / Math.log(4);
    const e = normalizedSoftmaxEntropy(t, 'x');
    expect(e[0]).toBeCloseTo(1, 12);
    expect(e[1]).toBeLessThan(1e-18);
    expect(e[2]).toBeCloseTo(h3, 6);
  });
  it('needs at least 2 values per sample', () => {
    expect(() => normalizedSoftmaxEntropy({ data: new Float32Array(2), shape: [2, 1], layout: 'NC' }, 'logit')).toThrow(/tap "logit"/);
  });
});

describe('pareto (SPEC §3.3)', () => {
  const points = [
    { id: 'r6', accuracy: 50, ps: 69.1, group: 'width' },
    { id: 'r6-w25', accuracy: 30, ps: 69.5, group: 'width' },
    { id: 'r6-w10', accuracy: 20, ps: 68.0, group: 'width' },
    { id: 'r6-e2', accuracy: 25, ps: 69.6, group: 'epochs' },
    { id: 'r200', accuracy: 70, ps: 67.6 },
    { id: 'r6-e1', accuracy: 15, ps: 68.5, group: 'epochs' },
  ];
  it('keeps the non-dominated models and summarises each sweep, with gains over the default', () => {
    const r = paretoAnalysis(points, 'r6');
    // r6-w25 (30, 69.5) and r6-w10 are dominated... r6-w10 by r6-e2; r6-w25 is not (higher accuracy than r6-e2).
    expect(r.frontier.map((p) => p.id)).toEqual(['r6-e2', 'r6-w25', 'r6', 'r200']);
    expect(r.groups.width).toEqual({ n: 3, best: 'r6-w25', pMax: 69.5, aPMax: 30, baseline: 'r6', baselinePS: 69.1, gain: expect.closeTo(0.4, 10) });
    expect(r.groups.epochs.gain).toBeCloseTo(0.5, 10);
    expect(r.groups.epochs.aPMax).toBe(25);
    expect(Object.keys(r.groups)).toEqual(['width', 'epochs']);
  });
  it('takes a per-sweep baseline map and leaves unlisted sweeps without a gain', () => {
    const r = paretoAnalysis(points, { width: 'r6' });
    expect(r.groups.width.gain).toBeCloseTo(0.4, 10);
    expect(r.groups.epochs.gain).toBeNull();
  });
  it('names bad input', () => {
    expect(() => paretoAnalysis(points, 'nope')).toThrow(/baseline "nope"/);
    expect(() => paretoAnalysis([...points, { id: 'r6', accuracy: 1, ps: 1 }])).toThrow(/"r6" is listed twice/);
    expect(() => paretoAnalysis([{ id: 'x', accuracy: Number.NaN, ps: 1 }])).toThrow(/field "accuracy"/);
  });
  it('runs as a job with outputs matching its schema', async () => {
    const out = await paretoJob.run({ points, baseline: 'r6' }, {} as JobContext);
    checkOutputs(paretoJob, out, 'pareto');
    expect((out.groups as Record<string, { pMax: number }>).epochs.pMax).toBe(69.6);
    expect(new Registry([]).has('job', 'pareto')).toBe(false);
  });
});
