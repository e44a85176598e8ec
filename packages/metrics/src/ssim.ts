/**
 * SSIM with scikit-image `structural_similarity` semantics (multichannel): per channel, local means,
 * variances and covariance from a 7×7 uniform window (default) or an 11×11 Gaussian (σ = 1.5,
 * truncate 3.5); sample-covariance correction NP/(NP−1) with NP = win²; C1 = (K1·R)², C2 = (K2·R)²;
 * the SSIM map is averaged after cropping (win−1)/2 pixels from each border, then over channels.
 * Because only the cropped interior is averaged, only "valid" window positions are computed here;
 * skimage's border mode never reaches them.
 */
import { InputError } from '@percept/core';

export interface SsimOptions {
  /** Uniform window side (odd, default 7). Ignored with gaussianWeights (11). */
  winSize?: number;
  gaussianWeights?: boolean;
  sigma?: number;
  /** Dynamic range R of the values (1 for [0,1] images; 255 for uint8; 100 for Lab L). */
  dataRange: number;
  k1?: number;
  k2?: number;
  useSampleCovariance?: boolean;
}

/** The 1-D window: uniform, or scipy's gaussian_filter1d kernel (radius = int(truncate·σ + 0.5)). */
export function ssimWindow(options: SsimOptions): Float64Array {
  if (options.gaussianWeights) {
    const sigma = options.sigma ?? 1.5;
    if (!(sigma > 0)) throw new InputError(`SSIM: sigma must be > 0, got ${sigma}`);
    const radius = Math.trunc(3.5 * sigma + 0.5);
    const k = new Float64Array(2 * radius + 1);
    let sum = 0;
    for (let i = -radius; i <= radius; i++) { k[i + radius] = Math.exp((-0.5 * i * i) / (sigma * sigma)); sum += k[i + radius]; }
    for (let i = 0; i < k.length; i++) k[i] /= sum;
    return k;
  }
  const win = options.winSize ?? 7;
  if (!Number.isInteger(win) || win < 3 || win % 2 === 0) throw new InputError(`SSIM: winSize must be an odd integer >= 3, got ${win}`);
  return new Float64Array(win).fill(1 / win);
}

/** Valid separable correlation of an h×w plane with k (both axes): result (h−K+1)×(w−K+1). */
function filterValid(src: Float64Array, h: number, w: number, k: Float64Array, tmp: Float64Array, out: Float64Array): void {
  const K = k.length, ow = w - K + 1, oh = h - K + 1;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let j = 0; j < K; j++) acc += k[j] * src[y * w + x + j];
      tmp[y * ow + x] = acc;
    }
  }
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      let acc = 0;
      for (let j = 0; j < K; j++) acc += k[j] * tmp[(y + j) * ow + x];
      out[y * ow + x] = acc;
    }
  }
}

/**
 * Mean SSIM of two images given as interleaved [H, W, C] values (C channels), averaged over channels.
 */
export function ssimImage(a: ArrayLike<number>, b: ArrayLike<number>, h: number, w: number, channels: number, options: SsimOptions): number {
  const k = ssimWindow(options);
  const K = k.length;
  if (h < K || w < K) {
    throw new InputError(`SSIM: image of ${h}x${w} (HxW) is smaller than the ${K}x${K} window`, { hint: 'Use a smaller winSize.' });
  }
  const R = options.dataRange;
  if (!(R > 0)) throw new InputError(`SSIM: dataRange must be > 0, got ${R}`);
  const C1 = ((options.k1 ?? 0.01) * R) ** 2, C2 = ((options.k2 ?? 0.03) * R) ** 2;
  const np = K * K;
  const covNorm = options.useSampleCovariance ?? true ? np / (np - 1) : 1;
  const plane = h * w, oh = h - K + 1, ow = w - K + 1, op = oh * ow;
  const x = new Float64Array(plane), y = new Float64Array(plane), prod = new Float64Array(plane);
  const tmp = new Float64Array(h * ow);
  const ux = new Float64Array(op), uy = new Float64Array(op), uxx = new Float64Array(op), uyy = new Float64Array(op), uxy = new Float64Array(op);
  let total = 0;
  for (let ch = 0; ch < channels; ch++) {
    for (let i = 0; i < plane; i++) { x[i] = a[i * channels + ch]; y[i] = b[i * channels + ch]; }
    filterValid(x, h, w, k, tmp, ux);
    filterValid(y, h, w, k, tmp, uy);
    for (let i = 0; i < plane; i++) prod[i] = x[i] * x[i];
    filterValid(prod, h, w, k, tmp, uxx);
    for (let i = 0; i < plane; i++) prod[i] = y[i] * y[i];
    filterValid(prod, h, w, k, tmp, uyy);
    for (let i = 0; i < plane; i++) prod[i] = x[i] * y[i];
    filterValid(prod, h, w, k, tmp, uxy);
    let sum = 0;
    for (let i = 0; i < op; i++) {
      const mx = ux[i], my = uy[i];
      const vx = covNorm * (uxx[i] - mx * mx), vy = covNorm * (uyy[i] - my * my), vxy = covNorm * (uxy[i] - mx * my);
      sum += ((2 * mx * my + C1) * (2 * vxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
    }
    total += sum / op;
  }
  return total / channels;
}
