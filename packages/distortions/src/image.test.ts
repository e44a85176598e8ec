import { describe, expect, it } from 'vitest';
import { convolveSeparable, gaussianKernel, reflectCoord, reflectIndex, sampleBilinear, makeImg } from './image.js';
import { solveHomography } from './spatial.js';

describe('image helpers', () => {
  it('reflects indices about the edge pixels (reflect-101)', () => {
    expect([-3, -2, -1, 0, 1, 4, 5, 6, 7].map((i) => reflectIndex(i, 5))).toEqual([3, 2, 1, 0, 1, 4, 3, 2, 1]);
    expect(reflectCoord(-0.5, 5)).toBe(0.5);
    expect(reflectCoord(4.25, 5)).toBe(3.75);
  });

  it('samples bilinearly between pixel centres', () => {
    const img = makeImg(1, 2, Float32Array.from([0, 0, 0, 1, 1, 1]));
    expect(sampleBilinear(img, 0.25, 0, 0)).toBeCloseTo(0.25, 6);
    expect(sampleBilinear(img, -0.25, 0, 1)).toBeCloseTo(0.25, 6); // mirrored
  });

  it('blurs an impulse into the outer product of the kernel, and keeps a constant image', () => {
    const n = 15, c = 7;
    const k = gaussianKernel(1.2);
    const r = (k.length - 1) / 2;
    const impulse = makeImg(n, n);
    impulse.data.fill(1, (c * n + c) * 3, (c * n + c) * 3 + 3);
    const out = convolveSeparable(impulse, k);
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        const dy = y - c, dx = x - c;
        const expected = Math.abs(dy) <= r && Math.abs(dx) <= r ? k[dy + r] * k[dx + r] : 0;
        expect(out[(y * n + x) * 3 + 1]).toBeCloseTo(expected, 6);
      }
    }
    const flat = makeImg(6, 9, new Float32Array(6 * 9 * 3).fill(0.3));
    for (const v of convolveSeparable(flat, gaussianKernel(2))) expect(v).toBeCloseTo(0.3, 6);
  });

  it('solves a homography through four corner pairs', () => {
    const src: Array<[number, number]> = [[0, 0], [10, 0], [10, 10], [0, 10]];
    const dst: Array<[number, number]> = [[1, 0.5], [9, -1], [11, 12], [-1, 9]];
    const h = solveHomography(src, dst);
    for (let i = 0; i < 4; i++) {
      const [x, y] = src[i];
      const z = h[6] * x + h[7] * y + h[8];
      expect((h[0] * x + h[1] * y + h[2]) / z).toBeCloseTo(dst[i][0], 9);
      expect((h[3] * x + h[4] * y + h[5]) / z).toBeCloseTo(dst[i][1], 9);
    }
  });
});
