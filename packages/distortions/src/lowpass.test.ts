import { describe, expect, it } from 'vitest';
import type { ImageBatch } from '@percept/core';
import { applyDistortion } from './catalog.js';
import { lowpass } from './lowpass.js';
import { proceduralImages } from './procedural.js';

/** A grey image 0.5 + 0.4 cos(2 pi k x / w) (or along y), identical in R, G and B. */
function cosineImage(size: number, k: number, axis: 'x' | 'y'): ImageBatch {
  const data = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const t = axis === 'x' ? x : y;
      data.fill(0.5 + 0.4 * Math.cos((2 * Math.PI * k * t) / size), (y * size + x) * 3, (y * size + x) * 3 + 3);
    }
  }
  return { data, shape: [1, size, size, 3] };
}

function maxAbsDiff(a: Float32Array, b: Float32Array | number): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - (typeof b === 'number' ? b : b[i])));
  return m;
}

describe('lowpass', () => {
  // Hand-checked: a cosine of k cycles per image survives iff k <= r/2; otherwise only its mean (0.5) remains.
  for (const size of [64, 48, 45]) {
    for (const [k, r, survives] of [[5, 10, true], [5, 9.99, false], [5, 11, true], [3, 4, false], [8, 16, true], [1, 2, true], [1, 1, false]] as const) {
      it(`cosine k=${k} with r=${r} on ${size}x${size}: ${survives ? 'survives' : 'removed'}`, () => {
        for (const axis of ['x', 'y'] as const) {
          const img = cosineImage(size, k, axis);
          const out = lowpass(img, r);
          if (survives) expect(maxAbsDiff(out.data, img.data)).toBeLessThan(1e-5);
          else expect(maxAbsDiff(out.data, 0.5)).toBeLessThan(1e-5);
        }
      });
    }
  }

  it('r >= size is the identity and r = 0 leaves the mean colour', () => {
    const img = proceduralImages(2, 64, 3);
    expect(maxAbsDiff(lowpass(img, 64).data, img.data)).toBeLessThan(1e-5);
    expect(maxAbsDiff(lowpass(img, 500).data, img.data)).toBeLessThan(1e-5);
    const flat = lowpass(img, 0);
    for (let n = 0; n < 2; n++) {
      for (let c = 0; c < 3; c++) {
        let mean = 0;
        for (let p = 0; p < 64 * 64; p++) mean += img.data[n * 64 * 64 * 3 + p * 3 + c];
        mean /= 64 * 64;
        for (let p = 0; p < 64 * 64; p += 97) expect(flat.data[n * 64 * 64 * 3 + p * 3 + c]).toBeCloseTo(mean, 5);
      }
    }
  });

  it('keeps the Nyquist row only at r = size for even sizes', () => {
    const img = cosineImage(8, 4, 'x'); // alternating 0.9 / 0.1
    expect(maxAbsDiff(lowpass(img, 7.9).data, 0.5)).toBeLessThan(1e-6);
    expect(maxAbsDiff(lowpass(img, 8).data, img.data)).toBeLessThan(1e-6);
  });

  it('as a distortion, option r overrides severity and severity maps to r = (1 - s) x side', async () => {
    const img = cosineImage(64, 20, 'x');
    const byR = await applyDistortion('lowpass', img, { severity: 0, r: 30 });
    expect(maxAbsDiff(byR.data, 0.5)).toBeLessThan(1e-5);
    // severity 0.25 -> r = 48 keeps k = 20 (<= 24); severity 0.5 -> r = 32 removes it (> 16).
    expect(maxAbsDiff((await applyDistortion('lowpass', img, { severity: 0.25 })).data, img.data)).toBeLessThan(1e-5);
    expect(maxAbsDiff((await applyDistortion('lowpass', img, { severity: 0.5 })).data, 0.5)).toBeLessThan(1e-5);
  });

  it('rejects a negative r, naming it', () => {
    expect(() => lowpass(cosineImage(8, 1, 'x'), -1)).toThrow(/"r" must be a non-negative number/);
  });
});
