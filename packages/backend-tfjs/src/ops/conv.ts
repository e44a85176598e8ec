/**
 * PyTorch convolution semantics on NHWC tensors. The IR's pads may be asymmetric, which tfjs's
 * 'same' cannot express; tfjs's explicit padding ([[0,0],[top,bottom],[left,right],[0,0]]) can,
 * and lets the kernel pad on the fly instead of copying a padded input first.
 */
import * as tf from '@tensorflow/tfjs';
import type { ConvNode, Pads4 } from '@percept/backbones';

/** Zero (or `value`) padding of H and W in NHWC. Returns the input itself when there is nothing to pad. */
export function padHW(x: tf.Tensor4D, pads: Pads4, value = 0): tf.Tensor4D {
  const [top, left, bottom, right] = pads;
  if (top === 0 && left === 0 && bottom === 0 && right === 0) return x;
  return tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], value);
}

type Explicit = [[number, number], [number, number], [number, number], [number, number]];

function explicitPads(pads: Pads4): Explicit | 'valid' {
  const [top, left, bottom, right] = pads;
  if (top === 0 && left === 0 && bottom === 0 && right === 0) return 'valid';
  return [[0, 0], [top, bottom], [left, right], [0, 0]];
}

/**
 * @param kernel HWIO [kh, kw, I/groups, O], the layout params.ts produces.
 * @param activation 'relu' fuses a following ReLU into the kernel (inference fast path).
 */
export function conv2d(
  x: tf.Tensor4D, kernel: tf.Tensor4D, bias: tf.Tensor1D | undefined, node: ConvNode, activation: 'linear' | 'relu' = 'linear',
): tf.Tensor4D {
  const pad = explicitPads(node.pads);
  const stride = node.stride as [number, number];
  const dilation = node.dilation as [number, number];
  // tfjs refuses stride > 1 together with dilation > 1; a stride-1 dilated conv followed by
  // subsampling computes exactly the same values.
  const split = (stride[0] > 1 || stride[1] > 1) && (dilation[0] > 1 || dilation[1] > 1);
  const strides: [number, number] = split ? [1, 1] : stride;
  const inC = node.inChannels;
  let y: tf.Tensor4D;
  if (node.groups === 1) {
    y = tf.fused.conv2d({ x, filter: kernel, strides, pad, dilations: dilation, bias, activation });
  } else if (node.groups === inC) {
    // Depthwise: output channel o = c·mult + m reads input channel c, which is exactly the
    // row-major reshape of HWIO [kh, kw, 1, C·mult] into tfjs's [kh, kw, C, mult].
    const [kh, kw] = node.kernel;
    const dw = tf.reshape(kernel, [kh, kw, inC, node.outChannels / inC]) as tf.Tensor4D;
    // Fused depthwise conv takes only a single number for padding: asymmetric pads are applied first.
    const [t, l, b, r] = node.pads;
    const uniform = t === l && t === b && t === r;
    y = tf.fused.depthwiseConv2d({
      x: uniform ? x : padHW(x, node.pads), filter: dw, strides, pad: uniform ? t : 'valid', dilations: dilation, bias, activation,
    });
  } else {
    // General groups: each slice of input channels meets its own slice of output channels.
    const xs = tf.split(x, node.groups, 3) as tf.Tensor4D[];
    const ks = tf.split(kernel, node.groups, 3) as tf.Tensor4D[];
    const bs = bias ? (tf.split(bias, node.groups, 0) as tf.Tensor1D[]) : undefined;
    y = tf.concat(xs.map((xi, g) => tf.fused.conv2d({ x: xi, filter: ks[g], strides, pad, dilations: dilation, bias: bs?.[g], activation })), 3);
  }
  return split ? subsample(y, stride) : y;
}

function subsample(y: tf.Tensor4D, stride: readonly [number, number]): tf.Tensor4D {
  const [n, h, w, c] = y.shape;
  return tf.stridedSlice(y, [0, 0, 0, 0], [n, h, w, c], [1, stride[0], stride[1], 1]) as tf.Tensor4D;
}
