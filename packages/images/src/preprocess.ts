/**
 * Applies a backbone's declared preprocessing to an ImageBatch and lays the result out for an engine.
 * Backends call this, so callers never normalise by hand.
 */
import { InputError, type ImageBatch } from '@percept/core';
import { centerCrop, centerCropFraction, resize, resizeShorter } from './resample.js';

/**
 * Structurally identical to `Preprocessing` in @percept/backbones (ir.ts). Declared here because
 * images sits below backbones and cannot import it; TypeScript's structural typing lets a
 * backbone's Preprocessing be passed directly.
 */
export interface PreprocessingLike {
  size: readonly [number, number] | null;
  resize: 'none' | 'resize' | 'resize-shorter-crop' | 'center-crop-fraction';
  resizeShorter?: number;
  cropFraction?: number;
  interpolation: 'bilinear' | 'bicubic';
  channelOrder: 'RGB' | 'BGR';
  scale: number;
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

export type InputLayout = 'NCHW' | 'NHWC';

export interface PreprocessedTensor {
  data: Float32Array;
  /** [N,3,H,W] for NCHW, [N,H,W,3] for NHWC. */
  shape: [number, number, number, number];
  layout: InputLayout;
}

/** Brings the batch to the network's input size according to the resize policy. */
export function applyGeometry(batch: ImageBatch, pre: PreprocessingLike): ImageBatch {
  const [, ih, iw] = batch.shape;
  const opts = { filter: pre.interpolation, antialias: true } as const;
  if (pre.size === null) {
    // No fixed input size (fully convolutional use): only the "none" policy makes sense.
    if (pre.resize !== 'none') {
      throw new InputError(`preprocessing: resize policy "${pre.resize}" needs a "size", but size is null`);
    }
    return batch;
  }
  const [h, w] = pre.size;
  switch (pre.resize) {
    case 'none':
      if (ih !== h || iw !== w) {
        throw new InputError(
          `preprocessing: image is ${ih}x${iw} (HxW) but the network expects ${h}x${w} and its resize policy is "none"`,
          { hint: 'Resize the images first, or use a backbone preprocessing with a resize policy.' },
        );
      }
      return batch;
    case 'resize':
      return ih === h && iw === w ? batch : resize(batch, h, w, opts);
    case 'resize-shorter-crop': {
      const s = pre.resizeShorter;
      if (s === undefined || !Number.isInteger(s) || s < 1) {
        throw new InputError(`preprocessing: policy "resize-shorter-crop" needs "resizeShorter" (a positive integer), got ${String(s)}`);
      }
      if (s < Math.max(h, w)) {
        throw new InputError(`preprocessing: "resizeShorter" ${s} is smaller than the crop size ${h}x${w}`);
      }
      const shorter = Math.min(ih, iw) === s ? batch : resizeShorter(batch, s, opts);
      return centerCrop(shorter, h, w);
    }
    case 'center-crop-fraction': {
      const f = pre.cropFraction;
      if (f === undefined || !(f > 0 && f <= 1)) {
        throw new InputError(`preprocessing: policy "center-crop-fraction" needs "cropFraction" in (0, 1], got ${String(f)}`);
      }
      const cropped = f === 1 ? batch : centerCropFraction(batch, f);
      return cropped.shape[1] === h && cropped.shape[2] === w ? cropped : resize(cropped, h, w, opts);
    }
    default:
      throw new InputError(`preprocessing: unknown resize policy "${String((pre as { resize: unknown }).resize)}"`);
  }
}

function checkNormalisation(pre: PreprocessingLike): void {
  if (pre.channelOrder !== 'RGB' && pre.channelOrder !== 'BGR') {
    throw new InputError(`preprocessing: channelOrder must be "RGB" or "BGR", got "${String(pre.channelOrder)}"`);
  }
  if (!Number.isFinite(pre.scale)) throw new InputError(`preprocessing: scale must be a finite number, got ${pre.scale}`);
  for (const key of ['mean', 'std'] as const) {
    const v = pre[key];
    if (!Array.isArray(v) || v.length !== 3 || v.some((x) => !Number.isFinite(x))) {
      throw new InputError(`preprocessing: "${key}" must be 3 finite numbers, got ${JSON.stringify(v)}`);
    }
  }
  if (pre.std.some((x) => x === 0)) throw new InputError(`preprocessing: "std" must not contain 0, got ${JSON.stringify(pre.std)}`);
}

/**
 * Geometry, then per pixel: reorder channels, multiply by `scale`, subtract `mean`, divide by `std`
 * (mean and std are in the network's channel order), written in `layout` in one pass.
 * `into` may supply the output array (a caller's reusable buffer); it is used when it holds
 * exactly the output's size, otherwise a new array is allocated.
 */
export function preprocess(batch: ImageBatch, pre: PreprocessingLike, layout: InputLayout, into?: (length: number) => Float32Array | undefined): PreprocessedTensor {
  checkNormalisation(pre);
  if (layout !== 'NCHW' && layout !== 'NHWC') throw new InputError(`preprocess: layout must be "NCHW" or "NHWC", got "${String(layout)}"`);
  const geo = applyGeometry(batch, pre);
  const [n, h, w] = geo.shape;
  const src = geo.data;
  const given = into?.(n * h * w * 3);
  const out = given?.length === n * h * w * 3 ? given : new Float32Array(n * h * w * 3);
  // srcC[c] = which RGB channel feeds network channel c.
  const bgr = pre.channelOrder === 'BGR';
  const s0 = bgr ? 2 : 0, s2 = bgr ? 0 : 2;
  const scale = pre.scale;
  const [m0, m1, m2] = pre.mean;
  const [d0, d1, d2] = pre.std;
  const plane = h * w;
  if (layout === 'NHWC') {
    for (let p = 0, i = 0; p < n * plane; p++, i += 3) {
      out[i] = (src[i + s0] * scale - m0) / d0;
      out[i + 1] = (src[i + 1] * scale - m1) / d1;
      out[i + 2] = (src[i + s2] * scale - m2) / d2;
    }
    return { data: out, shape: [n, h, w, 3], layout };
  }
  if (!bgr && scale === 1 && m0 === 0 && m1 === 0 && m2 === 0 && d0 === 1 && d1 === 1 && d2 === 1) {
    // Nothing to normalise (backends that compile the normalisation into the graph): a plain
    // transpose, several times faster than the general loop and with the same values ((x·1-0)/1 = x).
    transposeToNchw(src, n, plane, out);
    return { data: out, shape: [n, 3, h, w], layout };
  }
  for (let b = 0; b < n; b++) {
    const o0 = b * 3 * plane, o1 = o0 + plane, o2 = o1 + plane;
    const ib = b * plane * 3;
    for (let p = 0; p < plane; p++) {
      const i = ib + p * 3;
      out[o0 + p] = (src[i + s0] * scale - m0) / d0;
      out[o1 + p] = (src[i + 1] * scale - m1) / d1;
      out[o2 + p] = (src[i + s2] * scale - m2) / d2;
    }
  }
  return { data: out, shape: [n, 3, h, w], layout };
}

/** [n, plane, 3] -> [n, 3, plane]. */
function transposeToNchw(src: Float32Array, n: number, plane: number, out: Float32Array): void {
  for (let b = 0; b < n; b++) {
    const o0 = b * 3 * plane, o1 = o0 + plane, o2 = o1 + plane;
    for (let p = 0, i = b * plane * 3; p < plane; p++, i += 3) {
      out[o0 + p] = src[i];
      out[o1 + p] = src[i + 1];
      out[o2 + p] = src[i + 2];
    }
  }
}
