/**
 * Inverted dropout (and stochastic depth, its per-sample form) with masks drawn from a seeded
 * stream on the host, so that a training run is a function of its seed on every engine and a
 * resumed run redraws exactly the masks it would have drawn (tf.dropout's masks come from an
 * unseeded or per-call seeded generator and cannot be replayed that way). Kept units are scaled
 * by 1/(1−rate), so inference needs no rescaling.
 */
import * as tf from '@tensorflow/tfjs';
import { SeededRandom } from '@percept/backbones';

/** Where a dropout mask's randomness comes from: SeededRandom(seed, `${stream}:${node id}`). */
export interface DropoutSeed {
  seed: number;
  /** Distinguishes the calls of one run, e.g. `dropout:<step>`. */
  stream: string;
}

/** Mask values: 1/(1−rate) with probability 1−rate, else 0, one uniform draw per element in row-major order. */
export function dropoutMaskValues(size: number, rate: number, rng: SeededRandom): Float32Array {
  const keep = 1 - rate;
  const scale = 1 / keep;
  const mask = new Float32Array(size);
  for (let i = 0; i < size; i++) mask[i] = rng.uniform() < keep ? scale : 0;
  return mask;
}

export function seededDropout(x: tf.Tensor, rate: number, rng: SeededRandom): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.tensor(dropoutMaskValues(x.size, rate, rng), x.shape)));
}

/**
 * Stochastic depth in torchvision's "row" mode: one draw per sample (row of the batch), which keeps
 * the whole sample scaled by 1/(1−rate) with probability 1−rate and zeroes it otherwise.
 */
export function seededStochasticDepth(x: tf.Tensor, rate: number, rng: SeededRandom): tf.Tensor {
  const n = x.shape[0];
  const shape = [n, ...x.shape.slice(1).map(() => 1)];
  return tf.tidy(() => tf.mul(x, tf.tensor(dropoutMaskValues(n, rate, rng), shape)));
}
