/**
 * Photometric distortions: global changes of lightness, colour, contrast and saturation. All act
 * per pixel in RGB and clip to [0,1].
 */
import { clipInPlace, luma } from './image.js';
import { directionOption, resolveDirection, round, type DistortionDef } from './types.js';

/** Largest lightness offset (added to R, G and B), at severity 1. */
export const LIGHTNESS_MAX = 0.4;
/** Largest chroma offset (length of the RGB offset vector orthogonal to grey), at severity 1. */
export const COLOR_SHIFT_MAX = 0.3;
/** Contrast factor at severity 1: 1 + 2 (up) or 1 - 0.8 (down). */
export const CONTRAST_UP = 2;
export const CONTRAST_DOWN = 0.8;
/** Saturation factor at severity 1: 1 + 2 (up) or 0 = grey (down). */
export const SATURATION_UP = 2;
export const SATURATION_DOWN = 1;

function gain(direction: 1 | -1, severity: number, up: number, down: number): number {
  return direction > 0 ? 1 + up * severity : 1 - down * severity;
}

export const lightnessShift: DistortionDef = {
  name: 'lightness-shift',
  family: 'photometric',
  description: 'Adds the same offset to R, G and B (brighter or darker).',
  random: true,
  identityAtZero: true,
  options: { direction: directionOption },
  describeSeverity: (s) => ({ offset: round(LIGHTNESS_MAX * s), direction: 'random sign per seed unless given' }),
  apply(img, call) {
    const delta = resolveDirection(call) * LIGHTNESS_MAX * call.severity;
    const out = Float32Array.from(img.data, (v) => v + delta);
    return clipInPlace(out);
  },
};

export const colorShift: DistortionDef = {
  name: 'color-shift',
  family: 'photometric',
  description: 'Adds a constant RGB offset orthogonal to the grey axis (a colour cast) in a random hue direction.',
  random: true,
  identityAtZero: true,
  options: {},
  describeSeverity: (s) => ({ chromaOffset: round(COLOR_SHIFT_MAX * s), hue: 'uniform random angle per seed' }),
  apply(img, call) {
    const theta = call.rng.uniform(0, 2 * Math.PI);
    const m = COLOR_SHIFT_MAX * call.severity;
    // Orthonormal basis of the plane orthogonal to (1,1,1): colour changes without lightness change.
    const a = (Math.cos(theta) * m) / Math.SQRT2;
    const b = (Math.sin(theta) * m) / Math.sqrt(6);
    const off = [a + b, -a + b, -2 * b];
    const out = new Float32Array(img.data.length);
    for (let i = 0; i < out.length; i++) out[i] = img.data[i] + off[i % 3];
    return clipInPlace(out);
  },
};

export const contrast: DistortionDef = {
  name: 'contrast',
  family: 'photometric',
  description: "Scales each pixel's distance from the image's mean luma (more or less contrast).",
  random: true,
  identityAtZero: true,
  options: { direction: directionOption },
  describeSeverity: (s) => ({ factorUp: round(1 + CONTRAST_UP * s), factorDown: round(1 - CONTRAST_DOWN * s), direction: 'random per seed unless given' }),
  apply(img, call) {
    const k = gain(resolveDirection(call), call.severity, CONTRAST_UP, CONTRAST_DOWN);
    const d = img.data;
    let mean = 0;
    for (let i = 0; i < d.length; i += 3) mean += luma(d[i], d[i + 1], d[i + 2]);
    mean /= d.length / 3;
    const out = Float32Array.from(d, (v) => mean + k * (v - mean));
    return clipInPlace(out);
  },
};

export const saturation: DistortionDef = {
  name: 'saturation',
  family: 'photometric',
  description: "Scales each pixel's distance from its own grey level (luma): saturate or desaturate.",
  random: true,
  identityAtZero: true,
  options: { direction: directionOption },
  describeSeverity: (s) => ({ factorUp: round(1 + SATURATION_UP * s), factorDown: round(1 - SATURATION_DOWN * s), direction: 'random per seed unless given' }),
  apply(img, call) {
    const k = gain(resolveDirection(call), call.severity, SATURATION_UP, SATURATION_DOWN);
    const d = img.data;
    const out = new Float32Array(d.length);
    for (let i = 0; i < d.length; i += 3) {
      const g = luma(d[i], d[i + 1], d[i + 2]);
      out[i] = g + k * (d[i] - g);
      out[i + 1] = g + k * (d[i + 1] - g);
      out[i + 2] = g + k * (d[i + 2] - g);
    }
    return clipInPlace(out);
  },
};

export const photometricDistortions = [lightnessShift, colorShift, contrast, saturation];
