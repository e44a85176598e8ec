/**
 * Pixel-space baselines of LPIPS (SPEC §7.3) as PixelDistances over [0,1] ImageBatches.
 */
import { InputError, type DistanceResult, type ImageBatch, type JsonValue, type PixelDistance } from '@percept/core';
import { rgbToLabValues } from './lab.js';
import { ssimImage, ssimWindow, type SsimOptions } from './ssim.js';

export type Colorspace = 'rgb' | 'lab';

function checkPair(a: ImageBatch, b: ImageBatch, what: string): [number, number, number] {
  const [n, h, w, c] = a.shape;
  const [n2, h2, w2, c2] = b.shape;
  if (n !== n2 || h !== h2 || w !== w2 || c !== c2) {
    throw new InputError(`${what}: the two image batches differ in shape: [${a.shape.join(',')}] vs [${b.shape.join(',')}]`);
  }
  if (c !== 3) throw new InputError(`${what}: images must have 3 channels, got ${c}`);
  return [n, h, w];
}

/** Per-sample loop over the pixels (as RGB or Lab values) of both batches. */
function perSample(a: ImageBatch, b: ImageBatch, colorspace: Colorspace, what: string,
  fn: (x: ArrayLike<number>, y: ArrayLike<number>, h: number, w: number) => number): Float32Array {
  if (colorspace !== 'rgb' && colorspace !== 'lab') throw new InputError(`${what}: colorspace must be "rgb" or "lab", got "${String(colorspace)}"`);
  const [n, h, w] = checkPair(a, b, what);
  const len = h * w * 3;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let x: ArrayLike<number> = a.data.subarray(i * len, (i + 1) * len);
    let y: ArrayLike<number> = b.data.subarray(i * len, (i + 1) * len);
    if (colorspace === 'lab') { x = rgbToLabValues(x); y = rgbToLabValues(y); }
    out[i] = fn(x, y, h, w);
  }
  return out;
}

function mse(x: ArrayLike<number>, y: ArrayLike<number>, scale: number): number {
  let acc = 0;
  for (let i = 0; i < x.length; i++) { const d = (x[i] - y[i]) * scale; acc += d * d; }
  return acc / x.length;
}

const pixelResult = (total: Float32Array): DistanceResult => ({ total, perLayer: [], layers: [] });

/**
 * LPIPS' L2 baseline. 'rgb': mean squared difference of the [-1,1] images (= 4·MSE on [0,1]).
 * 'lab': 0.5·mean((Lab_a/100 − Lab_b/100)²) on skimage Lab.
 */
export function l2Distance(a: ImageBatch, b: ImageBatch, colorspace: Colorspace = 'lab'): DistanceResult {
  return pixelResult(perSample(a, b, colorspace, 'l2', (x, y) => (colorspace === 'rgb' ? mse(x, y, 2) : 0.5 * mse(x, y, 1 / 100))));
}

/** PSNR = 10·log10(peak² / MSE) per sample; identical images give +Infinity. A similarity: higher = more alike. */
export function psnr(a: ImageBatch, b: ImageBatch, peak = 1): Float32Array {
  if (!(peak > 0)) throw new InputError(`psnr: peak must be > 0, got ${peak}`);
  return perSample(a, b, 'rgb', 'psnr', (x, y) => 10 * Math.log10((peak * peak) / mse(x, y, 1)));
}

export interface SsimDistanceOptions extends Partial<SsimOptions> {
  colorspace?: Colorspace;
}

function resolveSsim(options: SsimDistanceOptions): SsimOptions & { colorspace: Colorspace } {
  const colorspace = options.colorspace ?? 'rgb';
  // [0,1] RGB has range 1 (SSIM is invariant to rescaling values and range together, so this equals
  // LPIPS' 255 on uint8); Lab uses LPIPS' 100.
  const dataRange = options.dataRange ?? (colorspace === 'lab' ? 100 : 1);
  return { ...options, colorspace, dataRange };
}

/** Mean SSIM per sample (a similarity in [-1, 1]). */
export function ssim(a: ImageBatch, b: ImageBatch, options: SsimDistanceOptions = {}): Float32Array {
  const o = resolveSsim(options);
  return perSample(a, b, o.colorspace, 'ssim', (x, y, h, w) => ssimImage(x, y, h, w, 3, o));
}

/** DSSIM = (1 − SSIM) / 2 per sample, LPIPS' SSIM baseline as a distance. */
export function dssim(a: ImageBatch, b: ImageBatch, options: SsimDistanceOptions = {}): DistanceResult {
  const s = ssim(a, b, options);
  return pixelResult(s.map((v) => (1 - v) / 2));
}

function ssimSettings(options: SsimDistanceOptions): Record<string, JsonValue> {
  const o = resolveSsim(options);
  const win = ssimWindow(o).length;
  return {
    colorspace: o.colorspace,
    window: o.gaussianWeights ? `gaussian ${win}x${win}, sigma ${o.sigma ?? 1.5}` : `uniform ${win}x${win}`,
    dataRange: o.dataRange,
    k1: o.k1 ?? 0.01,
    k2: o.k2 ?? 0.03,
    sampleCovariance: o.useSampleCovariance ?? true,
    borderCrop: (win - 1) / 2,
  };
}

export class L2Distance implements PixelDistance {
  readonly input = 'pixels' as const;
  readonly name = 'l2';
  readonly settings: Record<string, JsonValue>;
  constructor(private readonly colorspace: Colorspace = 'lab') {
    this.settings = {
      colorspace,
      formula: colorspace === 'rgb' ? 'mean((2a-1 - (2b-1))^2)' : '0.5*mean((Lab_a/100 - Lab_b/100)^2)',
      lowerIsMoreSimilar: true,
    };
  }
  compute(a: ImageBatch, b: ImageBatch): DistanceResult {
    return l2Distance(a, b, this.colorspace);
  }
}

export class DssimDistance implements PixelDistance {
  readonly input = 'pixels' as const;
  readonly name = 'dssim';
  readonly settings: Record<string, JsonValue>;
  constructor(private readonly options: SsimDistanceOptions = {}) {
    this.settings = { ...ssimSettings(options), formula: '(1 - SSIM)/2', lowerIsMoreSimilar: true };
  }
  compute(a: ImageBatch, b: ImageBatch): DistanceResult {
    return dssim(a, b, this.options);
  }
}

/** SSIM itself: a similarity, so `total` is higher for more alike images (settings say so). */
export class SsimSimilarity implements PixelDistance {
  readonly input = 'pixels' as const;
  readonly name = 'ssim';
  readonly settings: Record<string, JsonValue>;
  constructor(private readonly options: SsimDistanceOptions = {}) {
    this.settings = { ...ssimSettings(options), lowerIsMoreSimilar: false };
  }
  compute(a: ImageBatch, b: ImageBatch): DistanceResult {
    return pixelResult(ssim(a, b, this.options));
  }
}

/** PSNR: a similarity in dB (higher = more alike); peak 1.0 on [0,1] equals LPIPS' 255 on uint8. */
export class PsnrSimilarity implements PixelDistance {
  readonly input = 'pixels' as const;
  readonly name = 'psnr';
  readonly settings: Record<string, JsonValue>;
  constructor(private readonly peak = 1) {
    this.settings = { peak, formula: '10*log10(peak^2/mean((a-b)^2)) on [0,1] values', lowerIsMoreSimilar: false };
  }
  compute(a: ImageBatch, b: ImageBatch): DistanceResult {
    return pixelResult(psnr(a, b, this.peak));
  }
}
