/** Element-wise activations beyond tfjs's built-ins. */
import * as tf from '@tensorflow/tfjs';

/** SiLU ("swish"), x·σ(x), as torch.nn.SiLU. Composed from mul and sigmoid, so it has gradients on every engine. */
export function silu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}
