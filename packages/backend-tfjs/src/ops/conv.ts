/**
 * PyTorch convolution semantics on NHWC tensors. The IR's pads may be asymmetric, which tfjs's
 * 'same'/'valid' cannot express, so inputs are zero-padded explicitly and convolved 'valid'.
 */
import * as tf from '@tensorflow/tfjs';
import type { ConvNode, Pads4 } from '@percept/backbones';

/** Zero (or `value`) padding of H and W in NHWC. Returns the input itself when there is nothing to pad. */
export function padHW(x: tf.Tensor4D, pads: Pads4, value = 0): tf.Tensor4D {
  const [top, left, bottom, right] = pads;
  if (top === 0 && left === 0 && bottom === 0 && right === 0) return x;
  return tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], value);
}

/**
 * @param kernel HWIO [kh, kw, I/groups, O], the layout params.ts produces.
 */
export function conv2d(x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D | undefined, node: ConvNode): tf.Tensor4D {
  const xp = padHW(x, node.pads);
  const stride = node.stride as [number, number];
  const dilation = node.dilation as [number, number];
  // tfjs refuses stride > 1 together with dilation > 1; a stride-1 dilated conv followed by
  // subsampling computes exactly the same values.
  const split = (stride[0] > 1 || stride[1] > 1) && (dilation[0] > 1 || dilation[1] > 1);
  const runStride: [number, number] = split ? [1, 1] : stride;
  let y: tf.Tensor4D;
  const inC = node.inChannels;
  if (node.groups === 1) {
    y = tf.conv2d(xp, kernel, runStride, 'valid', 'NHWC', dilation);
  } else if (node.groups === inC) {
    // Depthwise: output channel o = c·mult + m reads input channel c, which is exactly the
    // row-major reshape of HWIO [kh, kw, 1, C·mult] into tfjs's [kh, kw, C, mult].
    const [kh, kw] = node.kernel;
    const dw = tf.reshape(kernel, [kh, kw, inC, node.outChannels / inC]) as tf.Tensor4D;
    y = tf.depthwiseConv2d(xp, dw, runStride, 'valid', 'NHWC', dilation);
  } else {
    // General groups: each slice of input channels meets its own slice of output channels.
    const xs = tf.split(xp, node.groups, 3) as tf.Tensor4D[];
    const ks = tf.split(kernel, node.groups, 3) as tf.Tensor4D[];
    y = tf.concat(xs.map((xi, g) => tf.conv2d(xi, ks[g], runStride, 'valid', 'NHWC', dilation) as tf.Tensor4D), 3);
  }
  if (split) y = subsample(y, stride);
  return bias ? tf.add(y, bias) : y;
}

function subsample(y: tf.Tensor4D, stride: readonly [number, number]): tf.Tensor4D {
  const [n, h, w, c] = y.shape;
  return tf.stridedSlice(y, [0, 0, 0, 0], [n, h, w, c], [1, stride[0], stride[1], 1]) as tf.Tensor4D;
}
