import { describe, it, expect } from 'vitest';
import { rgbToLab } from './color.js';

describe('rgbToLab (skimage rgb2lab)', () => {
  // Expected values from scikit-image 0.19.3 color.rgb2lab.
  const cases: [number[], number[]][] = [
    [[1, 1, 1], [100, -0.002454938, 0.004653421]],
    [[1, 0, 0], [53.24059, 80.09231, 67.20275]],
    [[0.01, 0.01, 0.01], [0.6991424, -0.00004438817, 0.0000841378]], // below the 0.04045 and 0.008856 thresholds
    [[0.5, 0.5, 0.5], [53.38896, -0.001468497, 0.002783587]],
    [[0.2, 0.6, 0.9], [60.92953, -3.060155, -46.83765]],
    [[0, 0, 0], [0, 0, 0]],
  ];
  it('matches known Lab values', () => {
    const data = new Float32Array(cases.flatMap(([rgb]) => rgb));
    const lab = rgbToLab({ data, shape: [1, 1, cases.length, 3] });
    expect(lab.shape).toEqual([1, 1, cases.length, 3]);
    cases.forEach(([, e], i) => e.forEach((v, k) => expect(lab.data[i * 3 + k]).toBeCloseTo(v, 3)));
  });

  it('rejects a batch that is not RGB', () => {
    expect(() => rgbToLab({ data: new Float32Array(4), shape: [1, 1, 1, 4] as unknown as [number, number, number, 3] })).toThrow(/\[N,H,W,3\]/);
  });
});
