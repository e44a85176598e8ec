import { describe, expect, it } from 'vitest';
import { fft2d, signedFrequency } from './fft.js';
import { coloredNoise } from './noise.js';
import { Rng } from './prng.js';

/** Fraction of the power of channel 0 at radial frequencies <= 4 cycles per image. */
function lowFrequencyFraction(noise: Float64Array, n: number): number {
  const re = new Float64Array(n * n), im = new Float64Array(n * n);
  for (let i = 0; i < n * n; i++) re[i] = noise[i * 3];
  fft2d(re, im, n, n);
  let low = 0, all = 0;
  for (let y = 0; y < n; y++) {
    for (let x = 0; x < n; x++) {
      const p = re[y * n + x] ** 2 + im[y * n + x] ** 2;
      all += p;
      if (Math.hypot(signedFrequency(x, n), signedFrequency(y, n)) <= 4) low += p;
    }
  }
  return low / all;
}

describe('coloredNoise', () => {
  const n = 64;
  it('is zero-mean, unit-variance per channel', () => {
    const z = coloredNoise(new Rng(1), n, n, -1);
    for (let c = 0; c < 3; c++) {
      let m = 0, v = 0;
      for (let i = 0; i < n * n; i++) m += z[i * 3 + c];
      m /= n * n;
      for (let i = 0; i < n * n; i++) v += (z[i * 3 + c] - m) ** 2;
      expect(m).toBeCloseTo(0, 9);
      expect(v / (n * n)).toBeCloseTo(1, 9);
    }
  });

  it('moves power towards low frequencies as the exponent falls', () => {
    const fractions = [-2, -1, 0, 1, 2].map((beta) => lowFrequencyFraction(coloredNoise(new Rng(5), n, n, beta), n));
    for (let i = 1; i < fractions.length; i++) expect(fractions[i]).toBeLessThan(fractions[i - 1]);
    // White noise: the share of bins with |f| <= 4 (about 49 of 4096 bins, ~1.2%).
    expect(fractions[2]).toBeGreaterThan(0.004);
    expect(fractions[2]).toBeLessThan(0.03);
    // Brown noise: annulus power ~ f * f^-2 = 1/f, so |f| <= 4 holds roughly ln 4 / ln 45 of it or more.
    expect(fractions[0]).toBeGreaterThan(0.3);
  });
});
