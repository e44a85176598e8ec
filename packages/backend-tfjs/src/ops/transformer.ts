/**
 * Token-sequence ops for vision transformers, on [N, T, D] tensors (tfjs and PyTorch agree on this
 * layout, so nothing is transposed here except inside attention).
 */
import * as tf from '@tensorflow/tfjs';

/** y = x·W + b over the last axis, for any rank ≥ 2. `w` is [in, out] (already transposed). */
export function dense(x: tf.Tensor, w: tf.Tensor2D, b: tf.Tensor1D | undefined): tf.Tensor {
  const inF = w.shape[0];
  const outF = w.shape[1];
  const lead = x.shape.slice(0, -1);
  const flat = x.rank === 2 ? (x as tf.Tensor2D) : tf.reshape(x, [-1, inF]) as tf.Tensor2D;
  let y: tf.Tensor = tf.matMul(flat, w);
  if (b) y = tf.add(y, b);
  return x.rank === 2 ? y : tf.reshape(y, [...lead, outF]);
}

/** Layer norm over the last axis with the biased variance, as PyTorch computes it. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, eps))), gamma), beta);
}

export interface AttentionWeights {
  /** [D, 3D]: q, k and v projections side by side, torchvision's in_proj packing (transposed). */
  inW: tf.Tensor2D;
  inB: tf.Tensor1D;
  /** [D, D] (transposed). */
  outW: tf.Tensor2D;
  outB: tf.Tensor1D;
}

/** torchvision nn.MultiheadAttention(batch_first) self-attention, no mask, no dropout. */
export function selfAttention(x: tf.Tensor3D, p: AttentionWeights, heads: number): tf.Tensor3D {
  const [n, t, d] = x.shape;
  const dh = d / heads;
  const qkv = dense(x, p.inW, p.inB) as tf.Tensor3D;
  const [q, k, v] = tf.split(qkv, 3, 2).map((m) => tf.transpose(tf.reshape(m, [n, t, heads, dh]), [0, 2, 1, 3]) as tf.Tensor4D);
  // PyTorch scales q before the product; the same order keeps rounding close.
  const scores = tf.matMul(tf.mul(q, 1 / Math.sqrt(dh)), k, false, true);
  const attn = tf.softmax(scores, -1);
  const ctx = tf.reshape(tf.transpose(tf.matMul(attn, v), [0, 2, 1, 3]), [n, t, d]);
  return dense(ctx, p.outW, p.outB) as tf.Tensor3D;
}

/** Exact GELU, 0.5·x·(1 + erf(x/√2)), as torch.nn.GELU() (not the tanh approximation). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}
