/**
 * PIL-style separable resampling on float ImageBatches.
 *
 * Each output sample i along an axis is centred at (i + 0.5)·(in/out) in input coordinates. When
 * antialiasing and downscaling, the filter's support is stretched by the scale factor so every input
 * pixel contributes (PIL's `Image.resize` and torchvision's default `antialias=True` path). Weights
 * are normalised to sum to 1, which also handles the borders. Bicubic uses a = -0.5 like PIL
 * (PyTorch's non-antialiased bicubic uses -0.75). Unlike PIL, which rounds to uint8 after each pass,
 * values stay float32 throughout (as torchvision's tensor path does).
 */
import { InputError, type ImageBatch } from '@percept/core';

export type ResizeFilter = 'bilinear' | 'bicubic' | 'nearest';

export interface ResizeOptions {
  filter?: ResizeFilter;
  /** Stretch the filter when downscaling (default true). */
  antialias?: boolean;
}

interface Filter { support: number; fn: (x: number) => number }

const triangle: Filter = {
  support: 1,
  fn: (x) => {
    const a = Math.abs(x);
    return a < 1 ? 1 - a : 0;
  },
};

const CUBIC_A = -0.5;
const cubic: Filter = {
  support: 2,
  fn: (x) => {
    const a = Math.abs(x);
    if (a < 1) return ((CUBIC_A + 2) * a - (CUBIC_A + 3)) * a * a + 1;
    if (a < 2) return (((a - 5) * a + 8) * a - 4) * CUBIC_A;
    return 0;
  },
};

/** Per output index: the first input index and the normalised weights. */
interface Coeffs { start: Int32Array; count: Int32Array; weights: Float64Array; stride: number }

function coefficients(inSize: number, outSize: number, filter: Filter, antialias: boolean): Coeffs {
  const scale = inSize / outSize;
  const filterScale = antialias ? Math.max(scale, 1) : 1;
  const support = filter.support * filterScale;
  const stride = Math.ceil(support) * 2 + 1;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * stride);
  const inv = 1 / filterScale;
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    // Math.trunc mirrors PIL's C (int) cast, which truncates towards zero.
    const lo = Math.max(Math.trunc(center - support + 0.5), 0);
    const hi = Math.min(Math.trunc(center + support + 0.5), inSize);
    let total = 0;
    const n = hi - lo;
    for (let k = 0; k < n; k++) {
      const w = filter.fn((k + lo - center + 0.5) * inv);
      weights[i * stride + k] = w;
      total += w;
    }
    if (total !== 0) for (let k = 0; k < n; k++) weights[i * stride + k] /= total;
    start[i] = lo;
    count[i] = n;
  }
  return { start, count, weights, stride };
}

function checkSize(h: number, w: number, where: string): void {
  if (!Number.isInteger(h) || !Number.isInteger(w) || h < 1 || w < 1) {
    throw new InputError(`${where}: target size must be positive integers, got ${h}x${w} (HxW)`);
  }
}

function checkBatch(batch: ImageBatch, where: string): void {
  const [n, h, w, c] = batch.shape;
  if (c !== 3 || batch.data.length !== n * h * w * c) {
    throw new InputError(`${where}: batch of shape [${batch.shape.join(',')}] with ${batch.data.length} values is not a valid [N,H,W,3] ImageBatch`);
  }
}

/** Resizes every image of the batch to h×w. */
export function resize(batch: ImageBatch, h: number, w: number, options: ResizeOptions = {}): ImageBatch {
  checkBatch(batch, 'resize');
  checkSize(h, w, 'resize');
  const filterName = options.filter ?? 'bilinear';
  const antialias = options.antialias ?? true;
  const [n, ih, iw] = batch.shape;
  if (ih === h && iw === w) return { data: batch.data.slice(), shape: [n, h, w, 3] };
  if (filterName === 'nearest') return resizeNearest(batch, h, w);
  const filter = filterName === 'bicubic' ? cubic : filterName === 'bilinear' ? triangle : undefined;
  if (!filter) throw new InputError(`resize: unknown filter "${String(filterName)}", expected bilinear, bicubic or nearest`);

  // Horizontal pass into a float64 scratch buffer, then the vertical pass into the output.
  const cx = coefficients(iw, w, filter, antialias);
  const cy = coefficients(ih, h, filter, antialias);
  const tmp = new Float64Array(ih * w * 3);
  const out = new Float32Array(n * h * w * 3);
  const src = batch.data;
  for (let b = 0; b < n; b++) {
    const base = b * ih * iw * 3;
    for (let y = 0; y < ih; y++) {
      const row = base + y * iw * 3;
      for (let x = 0; x < w; x++) {
        const lo = cx.start[x];
        const cnt = cx.count[x];
        const wo = x * cx.stride;
        let r = 0, g = 0, bl = 0;
        for (let k = 0; k < cnt; k++) {
          const wt = cx.weights[wo + k];
          const p = row + (lo + k) * 3;
          r += wt * src[p]; g += wt * src[p + 1]; bl += wt * src[p + 2];
        }
        const t = (y * w + x) * 3;
        tmp[t] = r; tmp[t + 1] = g; tmp[t + 2] = bl;
      }
    }
    const obase = b * h * w * 3;
    for (let y = 0; y < h; y++) {
      const lo = cy.start[y];
      const cnt = cy.count[y];
      const wo = y * cy.stride;
      for (let x = 0; x < w; x++) {
        let r = 0, g = 0, bl = 0;
        for (let k = 0; k < cnt; k++) {
          const wt = cy.weights[wo + k];
          const p = ((lo + k) * w + x) * 3;
          r += wt * tmp[p]; g += wt * tmp[p + 1]; bl += wt * tmp[p + 2];
        }
        const o = obase + (y * w + x) * 3;
        out[o] = r; out[o + 1] = g; out[o + 2] = bl;
      }
    }
  }
  return { data: out, shape: [n, h, w, 3] };
}

/** Nearest neighbour: output i takes input floor((i + 0.5)·in/out), as PIL does. */
function resizeNearest(batch: ImageBatch, h: number, w: number): ImageBatch {
  const [n, ih, iw] = batch.shape;
  const xs = new Int32Array(w);
  for (let x = 0; x < w; x++) xs[x] = Math.min(Math.floor((x + 0.5) * (iw / w)), iw - 1);
  const out = new Float32Array(n * h * w * 3);
  const src = batch.data;
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const sy = Math.min(Math.floor((y + 0.5) * (ih / h)), ih - 1);
      const row = (b * ih + sy) * iw * 3;
      for (let x = 0; x < w; x++) {
        const p = row + xs[x] * 3;
        const o = ((b * h + y) * w + x) * 3;
        out[o] = src[p]; out[o + 1] = src[p + 1]; out[o + 2] = src[p + 2];
      }
    }
  }
  return { data: out, shape: [n, h, w, 3] };
}

/** Python's round(): halves go to the even neighbour (torchvision's center_crop uses it). */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Copies the rectangle [top, top+h) × [left, left+w) of every image. */
export function crop(batch: ImageBatch, top: number, left: number, h: number, w: number): ImageBatch {
  checkBatch(batch, 'crop');
  checkSize(h, w, 'crop');
  const [n, ih, iw] = batch.shape;
  if (top < 0 || left < 0 || top + h > ih || left + w > iw) {
    throw new InputError(`crop: rectangle ${h}x${w} at (${top},${left}) does not fit in a ${ih}x${iw} image (HxW)`);
  }
  const out = new Float32Array(n * h * w * 3);
  for (let b = 0; b < n; b++) {
    for (let y = 0; y < h; y++) {
      const s = ((b * ih + top + y) * iw + left) * 3;
      out.set(batch.data.subarray(s, s + w * 3), (b * h + y) * w * 3);
    }
  }
  return { data: out, shape: [n, h, w, 3] };
}

/**
 * Centre crop to h×w with torchvision's offsets: top = round((H - h)/2) using Python's round.
 * The crop must fit (no padding).
 */
export function centerCrop(batch: ImageBatch, h: number, w: number): ImageBatch {
  checkBatch(batch, 'centerCrop');
  const [, ih, iw] = batch.shape;
  if (h > ih || w > iw) {
    throw new InputError(`centerCrop: crop ${h}x${w} is larger than the ${ih}x${iw} image (HxW)`);
  }
  return crop(batch, roundHalfEven((ih - h) / 2), roundHalfEven((iw - w) / 2), h, w);
}

/**
 * Central crop keeping `fraction` of each side, as tf.image.central_crop does:
 * start = floor((S - S·fraction)/2), size = S - 2·start.
 */
export function centerCropFraction(batch: ImageBatch, fraction: number): ImageBatch {
  if (!(fraction > 0 && fraction <= 1)) {
    throw new InputError(`centerCropFraction: fraction must be in (0, 1], got ${fraction}`);
  }
  const [, ih, iw] = batch.shape;
  const top = Math.floor((ih - ih * fraction) / 2);
  const left = Math.floor((iw - iw * fraction) / 2);
  return crop(batch, top, left, ih - 2 * top, iw - 2 * left);
}

/**
 * Resizes so the shorter side becomes `size`, keeping the aspect ratio; the longer side is
 * truncated as torchvision's Resize(int) does: long' = floor(size · long / short).
 */
export function resizeShorter(batch: ImageBatch, size: number, options: ResizeOptions = {}): ImageBatch {
  checkBatch(batch, 'resizeShorter');
  const [, ih, iw] = batch.shape;
  if (!Number.isInteger(size) || size < 1) throw new InputError(`resizeShorter: size must be a positive integer, got ${size}`);
  const h = ih <= iw ? size : Math.floor((size * ih) / iw);
  const w = ih <= iw ? Math.floor((size * iw) / ih) : size;
  return resize(batch, h, w, options);
}
