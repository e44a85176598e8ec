/**
 * Single-image helpers shared by the distortions. Distortions work on one HxWx3 image at a time
 * (interleaved RGB, float32, [0,1]); `mapBatch` lifts them to an NHWC ImageBatch.
 */
import type { ImageBatch } from '@percept/core';
import { InputError } from '@percept/core';

export interface Img {
  readonly data: Float32Array;
  readonly h: number;
  readonly w: number;
}

export function makeImg(h: number, w: number, data: Float32Array = new Float32Array(h * w * 3)): Img {
  return { data, h, w };
}

export function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** Clips every value to [0,1] in place (NaN becomes 0 so nothing invalid leaves a distortion). */
export function clipInPlace(data: Float32Array): Float32Array {
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    data[i] = v > 0 ? (v < 1 ? v : 1) : 0;
  }
  return data;
}

/** Checks that a value is an NHWC RGB batch; `what` names it in the error. */
export function checkBatch(batch: ImageBatch, what: string): void {
  const shape = batch?.shape;
  if (!shape || shape.length !== 4 || shape[3] !== 3) {
    throw new InputError(`${what}: expected an ImageBatch of shape [N,H,W,3], got shape ${JSON.stringify(shape)}`);
  }
  const [n, h, w] = shape;
  if (!(n >= 1 && h >= 1 && w >= 1)) throw new InputError(`${what}: empty ImageBatch of shape [${shape.join(',')}]`);
  if (batch.data.length !== n * h * w * 3) {
    throw new InputError(`${what}: data has ${batch.data.length} values, shape [${shape.join(',')}] needs ${n * h * w * 3}`);
  }
}

/** Applies a per-image function to every image of a batch, in order. */
export async function mapBatch(
  batch: ImageBatch,
  fn: (img: Img, index: number) => Float32Array | Promise<Float32Array>,
): Promise<ImageBatch> {
  const [n, h, w] = batch.shape;
  const len = h * w * 3;
  const out = new Float32Array(n * len);
  for (let i = 0; i < n; i++) {
    const img = makeImg(h, w, batch.data.subarray(i * len, (i + 1) * len));
    const res = await fn(img, i);
    if (res.length !== len) throw new Error(`internal: distortion returned ${res.length} values for a ${h}x${w} image`);
    out.set(res, i * len);
  }
  return { data: out, shape: [n, h, w, 3] };
}

/** Rec. 601 luma, the grey level used by the photometric distortions. */
export function luma(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/** Reflects an integer coordinate into [0, n) ("reflect-101": the edge pixel is not repeated). */
export function reflectIndex(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = i % period;
  if (m < 0) m += period;
  return m < n ? m : period - m;
}

/** Reflects a continuous coordinate into [0, n-1], mirroring about the edge pixel centres. */
export function reflectCoord(x: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * (n - 1);
  let m = x % period;
  if (m < 0) m += period;
  return m <= n - 1 ? m : period - m;
}

/**
 * Bilinear sample of channel c at continuous pixel coordinates (x, y) (pixel centres at integers),
 * with reflect border: warps that pull content from outside the image see a mirror image, which
 * avoids the hard black or smeared borders that constant/edge padding would add to small patches.
 */
export function sampleBilinear(img: Img, x: number, y: number, c: number): number {
  const { data, w, h } = img;
  const xr = reflectCoord(x, w);
  const yr = reflectCoord(y, h);
  const x0 = Math.floor(xr);
  const y0 = Math.floor(yr);
  const x1 = x0 + 1 < w ? x0 + 1 : x0;
  const y1 = y0 + 1 < h ? y0 + 1 : y0;
  const fx = xr - x0;
  const fy = yr - y0;
  const a = data[(y0 * w + x0) * 3 + c];
  const b = data[(y0 * w + x1) * 3 + c];
  const cc = data[(y1 * w + x0) * 3 + c];
  const d = data[(y1 * w + x1) * 3 + c];
  return (a * (1 - fx) + b * fx) * (1 - fy) + (cc * (1 - fx) + d * fx) * fy;
}

/**
 * Resamples an image through a backward map: output pixel (x, y) takes the input at map(x, y).
 * `map` writes the source coordinates of channel c into `out` (so chromatic aberration can move
 * channels differently).
 */
export function warp(img: Img, map: (x: number, y: number, c: number, out: Float64Array) => void): Float32Array {
  const { h, w } = img;
  const res = new Float32Array(h * w * 3);
  const src = new Float64Array(2);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let c = 0; c < 3; c++) {
        map(x, y, c, src);
        res[(y * w + x) * 3 + c] = sampleBilinear(img, src[0], src[1], c);
      }
    }
  }
  return clipInPlace(res);
}

/** A normalised 1-D Gaussian kernel of standard deviation sigma, radius ceil(3 sigma). */
export function gaussianKernel(sigma: number): Float64Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const k = new Float64Array(2 * radius + 1);
  let sum = 0;
  for (let i = -radius; i <= radius; i++) {
    const v = Math.exp(-(i * i) / (2 * sigma * sigma));
    k[i + radius] = v;
    sum += v;
  }
  for (let i = 0; i < k.length; i++) k[i] /= sum;
  return k;
}

/** For each output index and kernel tap, the reflected source index: keeps modulo arithmetic out of the inner loop. */
function reflectTable(n: number, r: number): Int32Array {
  const t = new Int32Array(n * (2 * r + 1));
  for (let i = 0; i < n; i++) for (let k = -r; k <= r; k++) t[i * (2 * r + 1) + k + r] = reflectIndex(i + k, n);
  return t;
}

/** Separable convolution with a symmetric kernel, reflect border. */
export function convolveSeparable(img: Img, kernel: Float64Array): Float32Array {
  const { data, h, w } = img;
  const taps = kernel.length;
  const r = (taps - 1) >> 1;
  const xs = reflectTable(w, r);
  const ys = reflectTable(h, r);
  const tmp = new Float64Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    const row = y * w;
    for (let x = 0; x < w; x++) {
      let s0 = 0, s1 = 0, s2 = 0;
      for (let k = 0; k < taps; k++) {
        const q = (row + xs[x * taps + k]) * 3;
        const wk = kernel[k];
        s0 += wk * data[q]; s1 += wk * data[q + 1]; s2 += wk * data[q + 2];
      }
      const p = (row + x) * 3;
      tmp[p] = s0; tmp[p + 1] = s1; tmp[p + 2] = s2;
    }
  }
  const out = new Float32Array(h * w * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let s0 = 0, s1 = 0, s2 = 0;
      for (let k = 0; k < taps; k++) {
        const q = (ys[y * taps + k] * w + x) * 3;
        const wk = kernel[k];
        s0 += wk * tmp[q]; s1 += wk * tmp[q + 1]; s2 += wk * tmp[q + 2];
      }
      const p = (y * w + x) * 3;
      out[p] = s0; out[p + 1] = s1; out[p + 2] = s2;
    }
  }
  return clipInPlace(out);
}

/** Root-mean-square difference between two equally sized arrays. */
export function rmse(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) throw new RangeError(`rmse: lengths ${a.length} and ${b.length} differ`);
  let s = 0;
  for (let i = 0; i < a.length; i++) { const d = a[i] - b[i]; s += d * d; }
  return Math.sqrt(s / a.length);
}
