/**
 * Max and average pooling with PyTorch's semantics, including ceil mode and asymmetric pads.
 *
 * PyTorch (pooling_output_shape_pad_lr) sizes the output as
 *   out = floor_or_ceil((in + padBefore + padAfter - k) / s) + 1
 * and, in ceil mode, drops the last window when it would start at or beyond in + padBefore (that is,
 * entirely inside the trailing padding). The extra windows ceil mode adds may hang over the end;
 * we pad far enough for tfjs's 'valid' pooling to produce them, with -Inf for max pooling so the
 * overhang never wins, and with zeros plus an explicit divisor map for average pooling:
 *   countIncludePad: window ∩ [0, in + padBefore + padAfter)   (explicit padding counts, overhang does not)
 *   otherwise:       window ∩ [padBefore, padBefore + in)      (real pixels only)
 */
import * as tf from '@tensorflow/tfjs';
import type { PoolNode } from '@percept/backbones';
import { padHW } from './conv.js';

/** PyTorch's output length along one axis. */
export function pooledLength(input: number, k: number, s: number, before: number, after: number, ceil: boolean): number {
  const span = input + before + after - k;
  let out = (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
  if (ceil && (out - 1) * s >= input + before) out -= 1;
  return out;
}

interface AxisPlan {
  out: number;
  /** Padding after the input that 'valid' pooling needs (explicit pad plus ceil-mode overhang). */
  after: number;
  /** Divisor of each output position (average pooling). */
  counts: number[];
}

function planAxis(input: number, k: number, s: number, before: number, after: number, ceil: boolean, includePad: boolean): AxisPlan {
  const out = pooledLength(input, k, s, before, after, ceil);
  const needed = (out - 1) * s + k - input - before;
  const counts: number[] = [];
  for (let o = 0; o < out; o++) {
    const start = o * s; // in padded coordinates
    const end = start + k;
    counts.push(includePad
      ? Math.min(end, input + before + after) - start
      : Math.min(end, before + input) - Math.max(start, before));
  }
  return { out, after: Math.max(after, needed), counts };
}

export function pool2d(x: tf.Tensor4D, node: PoolNode): tf.Tensor4D {
  const [, h, w] = x.shape;
  const [kh, kw] = node.kernel;
  const [sh, sw] = node.stride;
  const [top, left, bottom, right] = node.pads;
  const includePad = node.countIncludePad ?? true;
  const rows = planAxis(h, kh, sh, top, bottom, node.ceil, includePad);
  const cols = planAxis(w, kw, sw, left, right, node.ceil, includePad);
  const max = node.op === 'maxpool';
  const xp = padHW(x, [top, left, rows.after, cols.after], max ? -Infinity : 0);
  let y = max
    ? tf.maxPool(xp, [kh, kw], [sh, sw], 'valid')
    : tf.avgPool(xp, [kh, kw], [sh, sw], 'valid');
  // Extra trailing padding can let 'valid' fit one more window than PyTorch keeps.
  if (y.shape[1] !== rows.out || y.shape[2] !== cols.out) {
    y = tf.slice(y, [0, 0, 0, 0], [-1, rows.out, cols.out, -1]);
  }
  if (max) return y;
  const area = kh * kw;
  const uniform = rows.counts.every((c) => c === kh) && cols.counts.every((c) => c === kw);
  if (uniform) return y;
  // tfjs divided every window by kh·kw (its padding was 'valid'); rescale to PyTorch's divisor.
  const scale = new Float32Array(rows.out * cols.out);
  for (let i = 0; i < rows.out; i++) {
    for (let j = 0; j < cols.out; j++) scale[i * cols.out + j] = area / (rows.counts[i] * cols.counts[j]);
  }
  return tf.mul(y, tf.tensor4d(scale, [1, rows.out, cols.out, 1]));
}

/** Mean over H and W, keeping them as 1×1 (PyTorch's AdaptiveAvgPool2d(1)). */
export function globalAvgPool(x: tf.Tensor4D): tf.Tensor4D {
  return tf.mean(x, [1, 2], true);
}
