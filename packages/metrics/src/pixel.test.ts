import { describe, it, expect } from 'vitest';
import type { ImageBatch } from '@percept/core';
import { dssim, l2Distance, psnr, ssim } from './pixel.js';
import { ssimImage } from './ssim.js';
import { rgbToLabValues } from './lab.js';

/** The deterministic test pattern also fed to scikit-image 0.19.3 for the reference values below. */
function pattern(h: number, w: number, which: 'a' | 'b'): ImageBatch {
  const data = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < 3; c++) {
    data[(y * w + x) * 3 + c] = which === 'a' ? ((y * 7 + x * 3 + c * 5) % 11) / 10 : ((y * 5 + x * 2 + c * 3 + 1) % 13) / 12;
  }
  return { data, shape: [1, h, w, 3] };
}
const flat = (v: number, h = 8, w = 8): ImageBatch => ({ data: new Float32Array(h * w * 3).fill(v), shape: [1, h, w, 3] });

/** SSIM straight from the definition: one window at a time, no separable filtering. */
function directSsim(a: ImageBatch, b: ImageBatch, win: number, R: number): number {
  const [, h, w] = a.shape;
  const pad = (win - 1) / 2, np = win * win, C1 = (0.01 * R) ** 2, C2 = (0.03 * R) ** 2;
  let total = 0;
  for (let c = 0; c < 3; c++) {
    let sum = 0, count = 0;
    for (let y = pad; y < h - pad; y++) for (let x = pad; x < w - pad; x++) {
      const xs: number[] = [], ys: number[] = [];
      for (let dy = -pad; dy <= pad; dy++) for (let dx = -pad; dx <= pad; dx++) {
        xs.push(a.data[((y + dy) * w + x + dx) * 3 + c]);
        ys.push(b.data[((y + dy) * w + x + dx) * 3 + c]);
      }
      const mx = xs.reduce((s, v) => s + v, 0) / np, my = ys.reduce((s, v) => s + v, 0) / np;
      let vx = 0, vy = 0, cxy = 0;
      for (let i = 0; i < np; i++) { vx += (xs[i] - mx) ** 2; vy += (ys[i] - my) ** 2; cxy += (xs[i] - mx) * (ys[i] - my); }
      vx /= np - 1; vy /= np - 1; cxy /= np - 1;
      sum += ((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
      count++;
    }
    total += sum / count;
  }
  return total / 3;
}

describe('ssim', () => {
  it('is 1 for identical images and DSSIM 0', () => {
    const a = pattern(9, 10, 'a');
    expect(ssim(a, a)[0]).toBeCloseTo(1, 10);
    expect(dssim(a, a).total[0]).toBeCloseTo(0, 10);
  });

  it('matches a direct per-window computation', () => {
    const a = pattern(9, 10, 'a'), b = pattern(9, 10, 'b');
    expect(ssim(a, b, { winSize: 7 })[0]).toBeCloseTo(directSsim(a, b, 7, 1), 6);
    expect(ssim(a, b, { winSize: 3, dataRange: 2 })[0]).toBeCloseTo(directSsim(a, b, 3, 2), 6);
  });

  it('matches scikit-image structural_similarity (uniform 7 and gaussian 11)', () => {
    const a = pattern(9, 10, 'a'), b = pattern(9, 10, 'b');
    expect(ssim(a, b)[0]).toBeCloseTo(0.03926049081615923, 6);
    expect(dssim(a, b).total[0]).toBeCloseTo((1 - 0.03926049081615923) / 2, 6);
    const c = pattern(12, 13, 'a'), d = pattern(12, 13, 'b');
    expect(ssim(c, d, { gaussianWeights: true })[0]).toBeCloseTo(0.134535473619045, 6);
    expect(ssim(c, d, { gaussianWeights: true, useSampleCovariance: false })[0]).toBeCloseTo(0.13456800322908574, 6);
  });

  it('is invariant to rescaling values together with dataRange (LPIPS uses 255 on uint8)', () => {
    const a = pattern(9, 10, 'a'), b = pattern(9, 10, 'b');
    const k = 255;
    const scaled = ssimImage(a.data.map((v) => v * k), b.data.map((v) => v * k), 9, 10, 3, { dataRange: k });
    expect(scaled).toBeCloseTo(ssim(a, b)[0], 8);
  });

  it('rejects images smaller than the window', () => {
    expect(() => ssim(flat(0, 5, 5), flat(0, 5, 5))).toThrow(/5x5 \(HxW\) is smaller than the 7x7 window/);
  });
});

describe('l2 and psnr', () => {
  it('rgb l2 is the mean squared difference of the [-1,1] images', () => {
    expect(l2Distance(flat(0.25), flat(0.75), 'rgb').total[0]).toBeCloseTo(1, 6);
  });

  it('lab l2 is 0.5·mean((Lab/100)²) differences', () => {
    // white vs black: L differs by 100, a and b by ~0.
    expect(l2Distance(flat(1), flat(0), 'lab').total[0]).toBeCloseTo(0.5 / 3, 6);
    expect(l2Distance(flat(0.3), flat(0.3)).total[0]).toBe(0);
  });

  it('psnr = 10 log10(peak²/mse); peak 1 on [0,1] equals 255 on uint8', () => {
    expect(psnr(flat(0.5), flat(0.6))[0]).toBeCloseTo(20, 4);
    expect(psnr(flat(0.5), flat(0.5))[0]).toBe(Infinity);
  });

  it('rejects batches of different shapes', () => {
    expect(() => l2Distance(flat(0, 8, 8), flat(0, 8, 9))).toThrow(/differ in shape: \[1,8,8,3\] vs \[1,8,9,3\]/);
  });
});

describe('Lab (private copy of skimage rgb2lab)', () => {
  it('matches scikit-image values', () => {
    const lab = rgbToLabValues([1, 1, 1, 1, 0, 0, 0.2, 0.6, 0.9]);
    const e = [100, -0.002454938, 0.004653421, 53.24059, 80.09231, 67.20275, 60.92953203, -3.06015532, -46.83765364];
    e.forEach((v, i) => expect(lab[i]).toBeCloseTo(v, 4));
  });
});
