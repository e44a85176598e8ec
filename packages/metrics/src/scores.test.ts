import { describe, it, expect } from 'vitest';
import type { DistanceResult } from '@percept/core';
import { bestLayer, humanCeiling, jndMap, layerwisePS, oracle, overallPS, twoAfcScores } from './scores.js';
import { JndAccumulator, TwoAfcAccumulator } from './accumulators.js';

const result = (total: number[], perLayer: number[][], layers: string[]): DistanceResult => ({
  total: Float32Array.from(total), perLayer: perLayer.map((l) => Float32Array.from(l)), layers,
});

describe('2AFC', () => {
  it('scores each triplet with soft p and ties at 0.5', () => {
    // d0<d1 -> 1-p; d1<d0 -> p; tie -> 0.5.
    const r = twoAfcScores([1, 2, 3, 3], [2, 1, 3, 4], [0.25, 0.25, 0.9, 1]);
    expect(Array.from(r.scores)).toEqual([0.75, 0.25, 0.5, 0]);
    expect(r.mean).toBeCloseTo(0.375, 12);
  });

  it('rejects bad input with the index', () => {
    expect(() => twoAfcScores([1, 2], [2, 1], [0.5, 1.5])).toThrow(/p\[1\] = 1.5/);
    expect(() => twoAfcScores([1, NaN], [2, 1], [0.5, 0.5])).toThrow(/triplet 1 is NaN/);
    expect(() => twoAfcScores([1], [2, 1], [0.5, 0.5])).toThrow(/d0 has 1/);
  });

  it('human ceiling and oracle', () => {
    expect(humanCeiling([0, 1, 0.5, 0.25])).toBeCloseTo((1 + 1 + 0.5 + 0.625) / 4, 12);
    expect(oracle([0, 1, 0.5, 0.25])).toBeCloseTo((1 + 1 + 0.5 + 0.75) / 4, 12);
  });

  it('overall PS is the unweighted mean of subsets', () => {
    expect(overallPS({ traditional: 0.7, cnn: 0.8, superres: 0.6 })).toBeCloseTo(0.7, 12);
    expect(() => overallPS({})).toThrow(/no subsets/);
  });

  it('layer-wise PS and the best layer', () => {
    const d0 = result([3, 3], [[1, 2], [2, 1]], ['a', 'b']);
    const d1 = result([4, 2], [[2, 1], [1, 2]], ['a', 'b']);
    // p = [0, 1]. Layer a: d0<d1 (score 1-0) then d1<d0 (score 1) -> 1. Layer b: the reverse -> 0.
    const s = layerwisePS(d0, d1, [0, 1]);
    expect(s).toEqual({ a: 1, b: 0 });
    expect(bestLayer(s)).toEqual({ layer: 'a', score: 1 });
    // With p = [0, 0] each layer gets one right and one wrong.
    expect(layerwisePS(d0, d1, [0, 0])).toEqual({ a: 0.5, b: 0.5 });
  });

  it('the accumulator matches the batch computation, per layer too, and bootstraps deterministically', () => {
    const acc = new TwoAfcAccumulator();
    acc.update(result([1, 2], [[1, 2]], ['x']), result([2, 1], [[2, 2]], ['x']), [0.2, 0.4]);
    acc.update(result([5], [[0]], ['x']), result([5], [[1]], ['x']), [1]);
    const r = acc.compute();
    expect(r.n).toBe(3);
    expect(r.score).toBeCloseTo((0.8 + 0.4 + 0.5) / 3, 12);
    expect(r.perLayer.x).toBeCloseTo((0.8 + 0.5 + 0) / 3, 12);
    expect(Array.from(acc.scores('x'))).toEqual([0.8, 0.5, 0]);
    expect(acc.ci({ seed: 3, resamples: 200 })).toEqual(acc.ci({ seed: 3, resamples: 200 }));
    expect(() => acc.update([1], [2], [0.5])).toThrow(/layers changed/);
  });
});

describe('JND mAP', () => {
  it('matches a hand-computed VOC AP with the precision envelope', () => {
    // Sorted sames [1,0,1]: precision 1, .5, 2/3; recall .5, .5, 1.
    // Envelope -> AP = .5·1 + .5·(2/3) = 5/6.
    expect(jndMap([0.1, 0.2, 0.3], [1, 0, 1])).toBeCloseTo(5 / 6, 12);
    // Order comes from the distances, not the input order.
    expect(jndMap([0.3, 0.1, 0.2], [1, 1, 0])).toBeCloseTo(5 / 6, 12);
  });

  it('handles soft "same" fractions', () => {
    // s = [.5, 1]: TP .5, 1.5; FP .5, .5 -> prec .5, .75; rec 1/3, 1. Envelope .75, .75 -> AP .75.
    expect(jndMap([1, 2], [0.5, 1])).toBeCloseTo(0.75, 12);
  });

  it('orders tied distances stably (input order)', () => {
    expect(jndMap([0.5, 0.5], [0, 1])).toBeCloseTo(0.5, 12);
    expect(jndMap([0.5, 0.5], [1, 0])).toBeCloseTo(1, 12);
  });

  it('errors when nobody answered "same"', () => {
    expect(() => jndMap([1, 2], [0, 0])).toThrow(/recall is undefined/);
  });

  it('the accumulator equals jndMap over the concatenation', () => {
    const acc = new JndAccumulator();
    acc.update(result([0.1, 0.2], [[0.2, 0.1]], ['l']), [1, 0]);
    acc.update(result([0.3], [[0.3]], ['l']), [1]);
    const r = acc.compute();
    expect(r.map).toBeCloseTo(jndMap([0.1, 0.2, 0.3], [1, 0, 1]), 12);
    expect(r.perLayer.l).toBeCloseTo(jndMap([0.2, 0.1, 0.3], [1, 0, 1]), 12);
  });
});
