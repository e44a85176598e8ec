/**
 * Additive noise. Every noise field is drawn in full from the seed before it is scaled by the
 * severity, so with one seed a higher severity adds the same field, only stronger. Noise is
 * independent per channel (colour noise), except the checkerboard, which is a grey pattern.
 */
import { fft2d, signedFrequency } from './fft.js';
import { clipInPlace, type Img } from './image.js';
import type { Rng } from './prng.js';
import { round, type DistortionDef } from './types.js';

/** Half-width of the uniform noise at severity 1: values in [-0.4, 0.4] (std 0.23). */
export const UNIFORM_MAX = 0.4;
/** Standard deviation of the Gaussian and coloured noises at severity 1. */
export const NOISE_SIGMA_MAX = 0.25;
/** Checkerboard amplitude (+-) at severity 1. */
export const CHECKER_MAX = 0.15;

function addScaled(img: Img, noise: Float64Array | Float32Array, scale: number): Float32Array {
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < out.length; i++) out[i] = img.data[i] + scale * noise[i];
  return clipInPlace(out);
}

function whiteGaussian(rng: Rng, n: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.normal();
  return out;
}

/**
 * Gaussian noise with power spectrum P(f) proportional to |f|^beta (f in cycles per image, radial),
 * one independent field per channel, normalised to zero mean and unit standard deviation per channel.
 * beta = 0 white, -1 pink, -2 brown (red), +1 blue, +2 violet. Made by shaping white Gaussian noise
 * in the Fourier domain with amplitude |f|^(beta/2); the DC term is removed.
 */
export function coloredNoise(rng: Rng, h: number, w: number, beta: number): Float64Array {
  const out = new Float64Array(h * w * 3);
  const gain = new Float64Array(h * w);
  for (let y = 0; y < h; y++) {
    const fy = signedFrequency(y, h);
    for (let x = 0; x < w; x++) {
      const fx = signedFrequency(x, w);
      const f = Math.hypot(fx, fy);
      gain[y * w + x] = f === 0 ? 0 : Math.pow(f, beta / 2);
    }
  }
  const re = new Float64Array(h * w);
  const im = new Float64Array(h * w);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < h * w; i++) { re[i] = rng.normal(); im[i] = 0; }
    fft2d(re, im, h, w);
    for (let i = 0; i < h * w; i++) { re[i] *= gain[i]; im[i] *= gain[i]; }
    fft2d(re, im, h, w, true);
    // The gain is symmetric in f, so the result is real up to rounding: keep the real part.
    let mean = 0;
    for (let i = 0; i < h * w; i++) mean += re[i];
    mean /= h * w;
    let v = 0;
    for (let i = 0; i < h * w; i++) v += (re[i] - mean) ** 2;
    const sd = Math.sqrt(v / (h * w)) || 1;
    for (let i = 0; i < h * w; i++) out[i * 3 + c] = (re[i] - mean) / sd;
  }
  return out;
}

export const uniformNoise: DistortionDef = {
  name: 'uniform-noise',
  family: 'noise',
  description: 'Adds independent uniform white noise to every pixel and channel.',
  random: true,
  identityAtZero: true,
  options: {},
  describeSeverity: (s) => ({ halfWidth: round(UNIFORM_MAX * s), std: round((UNIFORM_MAX * s) / Math.sqrt(3)) }),
  apply(img, call) {
    const n = new Float64Array(img.data.length);
    for (let i = 0; i < n.length; i++) n[i] = 2 * call.rng.next() - 1;
    return addScaled(img, n, UNIFORM_MAX * call.severity);
  },
};

export const gaussianNoise: DistortionDef = {
  name: 'gaussian-noise',
  family: 'noise',
  description: 'Adds independent Gaussian white noise to every pixel and channel.',
  random: true,
  identityAtZero: true,
  options: {},
  describeSeverity: (s) => ({ std: round(NOISE_SIGMA_MAX * s) }),
  apply(img, call) {
    return addScaled(img, whiteGaussian(call.rng, img.data.length), NOISE_SIGMA_MAX * call.severity);
  },
};

function coloredNoiseDistortion(name: string, beta: number, description: string): DistortionDef {
  return {
    name,
    family: 'noise',
    description,
    random: true,
    identityAtZero: true,
    options: {},
    describeSeverity: (s) => ({ std: round(NOISE_SIGMA_MAX * s), spectralExponent: beta }),
    apply(img, call) {
      return addScaled(img, coloredNoise(call.rng, img.h, img.w, beta), NOISE_SIGMA_MAX * call.severity);
    },
  };
}

export const pinkNoise = coloredNoiseDistortion('pink-noise', -1, 'Adds pink (1/f power spectrum) Gaussian noise.');
export const blueNoise = coloredNoiseDistortion('blue-noise', 1, 'Adds blue (f power spectrum) Gaussian noise.');

export const gaussianColoredNoise: DistortionDef = {
  name: 'gaussian-colored-noise',
  family: 'noise',
  description:
    'Adds Gaussian noise with power spectrum |f|^beta, beta between -2 (brown) and +2 (violet); beta is an option or drawn uniformly per seed.',
  random: true,
  identityAtZero: true,
  options: {
    exponent: { type: 'number', minimum: -2, maximum: 2, description: 'Spectral exponent beta of the noise power (-2 brown ... +2 violet). Default: uniform random per seed.' },
  },
  describeSeverity: (s, o) => ({
    std: round(NOISE_SIGMA_MAX * s),
    spectralExponent: typeof o?.exponent === 'number' ? o.exponent : 'uniform in [-2, 2] per seed',
  }),
  apply(img, call) {
    const drawn = call.rng.uniform(-2, 2);
    const beta = typeof call.options.exponent === 'number' ? call.options.exponent : drawn;
    return addScaled(img, coloredNoise(call.rng, img.h, img.w, beta), NOISE_SIGMA_MAX * call.severity);
  },
};

export const checkerboard: DistortionDef = {
  name: 'checkerboard',
  family: 'noise',
  description:
    'Adds a grey checkerboard pattern (the artifact of strided transposed convolutions) with cells of 1-3 pixels and a random phase.',
  random: true,
  identityAtZero: true,
  options: {
    cell: { type: 'integer', minimum: 1, maximum: 16, description: 'Cell size in pixels. Default: 1, 2 or 3, drawn per seed.' },
  },
  describeSeverity: (s, o) => ({ amplitude: round(CHECKER_MAX * s), cellPixels: typeof o?.cell === 'number' ? o.cell : '1-3 per seed' }),
  apply(img, call) {
    const drawnCell = 1 + call.rng.int(3);
    const cell = typeof call.options.cell === 'number' ? call.options.cell : drawnCell;
    const ox = call.rng.int(cell * 2);
    const oy = call.rng.int(cell * 2);
    const pattern = new Float64Array(img.data.length);
    for (let y = 0; y < img.h; y++) {
      for (let x = 0; x < img.w; x++) {
        const v = (Math.floor((x + ox) / cell) + Math.floor((y + oy) / cell)) % 2 === 0 ? 1 : -1;
        const p = (y * img.w + x) * 3;
        pattern[p] = pattern[p + 1] = pattern[p + 2] = v;
      }
    }
    return addScaled(img, pattern, CHECKER_MAX * call.severity);
  },
};

export const noiseDistortions = [uniformNoise, gaussianNoise, pinkNoise, blueNoise, gaussianColoredNoise, checkerboard];
