/**
 * Colour-space conversion matching scikit-image's `rgb2lab` (used by LPIPS' Lab L2 and SSIM baselines).
 */
import { InputError, type ImageBatch } from '@percept/core';

/** CIE Lab values, NHWC: L in [0,100], a and b roughly in [-128,127]. Not an ImageBatch (not [0,1]). */
export interface LabBatch {
  data: Float32Array;
  shape: readonly [number, number, number, number];
}

// skimage.color.colorconv: xyz_from_rgb (sRGB primaries, D65) and the D65 2° reference white.
const M = [
  0.412453, 0.35758, 0.180423,
  0.212671, 0.71516, 0.072169,
  0.019334, 0.119193, 0.950227,
];
const WHITE = [0.95047, 1.0, 1.08883];

function expand(c: number): number {
  return c > 0.04045 ? Math.pow((c + 0.055) / 1.055, 2.4) : c / 12.92;
}

function f(t: number): number {
  return t > 0.008856 ? Math.cbrt(t) : 7.787 * t + 16 / 116;
}

/**
 * sRGB [0,1] -> Lab: gamma expansion, linear RGB -> XYZ, divide by the D65 white, then
 * L = 116·f(Y) - 16, a = 500·(f(X) - f(Y)), b = 200·(f(Y) - f(Z)) with skimage's constants
 * (threshold 0.008856 and slope 7.787). Computed in float64, stored as float32.
 */
export function rgbToLab(batch: ImageBatch): LabBatch {
  const [n, h, w, c] = batch.shape;
  if (c !== 3 || batch.data.length !== n * h * w * 3) {
    throw new InputError(`rgbToLab: expected an [N,H,W,3] RGB batch, got shape [${batch.shape.join(',')}]`);
  }
  const src = batch.data;
  const out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    const r = expand(src[i]), g = expand(src[i + 1]), b = expand(src[i + 2]);
    const x = f((M[0] * r + M[1] * g + M[2] * b) / WHITE[0]);
    const y = f((M[3] * r + M[4] * g + M[5] * b) / WHITE[1]);
    const z = f((M[6] * r + M[7] * g + M[8] * b) / WHITE[2]);
    out[i] = 116 * y - 16;
    out[i + 1] = 500 * (x - y);
    out[i + 2] = 200 * (y - z);
  }
  return { data: out, shape: [n, h, w, 3] };
}
