import { describe, expect, it } from 'vitest';
import { proceduralImages, proceduralKinds } from './procedural.js';
import { rmse } from './image.js';

function stats(a: Float32Array) {
  let lo = Infinity, hi = -Infinity, sum = 0;
  for (const v of a) { lo = Math.min(lo, v); hi = Math.max(hi, v); sum += v; }
  const mean = sum / a.length;
  let v2 = 0;
  for (const v of a) v2 += (v - mean) ** 2;
  return { lo, hi, mean, std: Math.sqrt(v2 / a.length) };
}

describe('proceduralImages', () => {
  const n = 10, size = 48;
  const batch = proceduralImages(n, size, 7);
  const len = size * size * 3;
  const img = (i: number, b = batch) => b.data.subarray(i * len, (i + 1) * len);

  it('has the requested shape and values in [0,1]', () => {
    expect(batch.shape).toEqual([n, size, size, 3]);
    const s = stats(batch.data);
    expect(s.lo).toBeGreaterThanOrEqual(0);
    expect(s.hi).toBeLessThanOrEqual(1);
  });

  it('is deterministic, and the first k images do not depend on n', () => {
    expect(Array.from(proceduralImages(n, size, 7).data)).toEqual(Array.from(batch.data));
    expect(Array.from(proceduralImages(3, size, 7).data)).toEqual(Array.from(batch.data.subarray(0, 3 * len)));
    expect(rmse(proceduralImages(1, size, 8).data, img(0).slice())).toBeGreaterThan(0.01);
  });

  it('is varied: every image has structure and no two images are alike', () => {
    for (let i = 0; i < n; i++) expect(stats(img(i)).std, `image ${i} (${proceduralKinds[i % 5]})`).toBeGreaterThan(0.02);
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) expect(rmse(img(i).slice(), img(j).slice())).toBeGreaterThan(0.03);
  });

  it('rejects bad sizes, naming the argument', () => {
    expect(() => proceduralImages(0, 8)).toThrow(/"n" must be a positive integer/);
    expect(() => proceduralImages(1, 1.5)).toThrow(/"size" must be an integer/);
  });
});
