/**
 * Batch normalisation in both modes. Inference uses the running statistics. Training normalises
 * with the batch's own statistics (biased variance) and moves the running statistics towards the
 * batch's, with PyTorch's convention: new = (1 − m)·old + m·batch, the variance unbiased.
 */
import * as tf from '@tensorflow/tfjs';

export interface BatchNormState {
  gamma: tf.Tensor1D;
  beta: tf.Tensor1D;
  mean: tf.Tensor1D | tf.Variable<tf.Rank.R1>;
  variance: tf.Tensor1D | tf.Variable<tf.Rank.R1>;
}

/** Reduces over every axis but the last (channels in NHWC, features in NC). */
function reductionAxes(x: tf.Tensor): number[] {
  return Array.from({ length: x.rank - 1 }, (_, i) => i);
}

export function batchNormInference(x: tf.Tensor, s: BatchNormState, eps: number): tf.Tensor {
  return tf.batchNorm(x, s.mean, s.variance, s.beta, s.gamma, eps);
}

export function batchNormTraining(x: tf.Tensor, s: BatchNormState, eps: number, momentum: number): tf.Tensor {
  const axes = reductionAxes(x);
  const { mean, variance } = tf.moments(x, axes);
  if (s.mean instanceof tf.Variable && s.variance instanceof tf.Variable) {
    const runMean = s.mean;
    const runVar = s.variance;
    const count = axes.reduce((acc, a) => acc * x.shape[a], 1);
    // The running statistics are bookkeeping: they never reach the loss, so no gradient flows
    // through this update even when it is recorded on a gradient tape.
    const [nextMean, nextVar] = tf.tidy(() => {
      const unbiased = tf.mul(variance, count > 1 ? count / (count - 1) : 1);
      return [
        tf.add(tf.mul(runMean, 1 - momentum), tf.mul(mean, momentum)),
        tf.add(tf.mul(runVar, 1 - momentum), tf.mul(unbiased, momentum)),
      ];
    });
    runMean.assign(nextMean as tf.Tensor1D);
    runVar.assign(nextVar as tf.Tensor1D);
    nextMean.dispose();
    nextVar.dispose();
  }
  return tf.batchNorm(x, mean, variance, s.beta, s.gamma, eps);
}
