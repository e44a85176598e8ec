import { describe, expect, it } from 'vitest';
import { fft, fft2d, signedFrequency } from './fft.js';
import { Rng } from './prng.js';

function naiveDft(re: Float64Array, im: Float64Array): [Float64Array, Float64Array] {
  const n = re.length;
  const or = new Float64Array(n), oi = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    for (let j = 0; j < n; j++) {
      const a = (-2 * Math.PI * j * k) / n;
      or[k] += re[j] * Math.cos(a) - im[j] * Math.sin(a);
      oi[k] += re[j] * Math.sin(a) + im[j] * Math.cos(a);
    }
  }
  return [or, oi];
}

function randomComplex(n: number, seed: number): [Float64Array, Float64Array] {
  const rng = new Rng(seed);
  return [Float64Array.from({ length: n }, () => rng.normal()), Float64Array.from({ length: n }, () => rng.normal())];
}

describe('fft', () => {
  for (const n of [1, 2, 4, 8, 64, 3, 5, 7, 12, 45, 63, 100]) {
    it(`matches the naive DFT and inverts, n = ${n}`, () => {
      const [re, im] = randomComplex(n, n);
      const [er, ei] = naiveDft(re, im);
      const r = re.slice(), i = im.slice();
      fft(r, i);
      for (let k = 0; k < n; k++) {
        expect(r[k]).toBeCloseTo(er[k], 9);
        expect(i[k]).toBeCloseTo(ei[k], 9);
      }
      fft(r, i, true);
      for (let k = 0; k < n; k++) {
        expect(r[k]).toBeCloseTo(re[k], 10);
        expect(i[k]).toBeCloseTo(im[k], 10);
      }
    });
  }

  it('rejects mismatched real and imaginary lengths', () => {
    expect(() => fft(new Float64Array(4), new Float64Array(3))).toThrow(/imaginary part has 3/);
  });

  it('fft2d puts a 2-D cosine at its two frequency bins', () => {
    const h = 16, w = 12, ky = 3, kx = 2;
    const re = new Float64Array(h * w), im = new Float64Array(h * w);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) re[y * w + x] = Math.cos(2 * Math.PI * (kx * x / w + ky * y / h));
    fft2d(re, im, h, w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const peak = (y === ky && x === kx) || (y === h - ky && x === w - kx);
        expect(Math.abs(re[y * w + x])).toBeCloseTo(peak ? (h * w) / 2 : 0, 8);
      }
    }
  });

  it('signedFrequency wraps like fftshift', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((k) => signedFrequency(k, 8))).toEqual([0, 1, 2, 3, -4, -3, -2, -1]);
    expect([0, 1, 2, 3, 4].map((k) => signedFrequency(k, 5))).toEqual([0, 1, 2, -2, -1]);
  });
});
