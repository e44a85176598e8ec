/**
 * Weights move from PyTorch layout (as @percept/backbones stores them) to the layouts tfjs kernels
 * want, once, when a graph is compiled:
 *   conv / patch embedding  OIHW [O, I/g, kh, kw] -> HWIO [kh, kw, I/g, O]
 *   dense / attention       [out, in]             -> [in, out]
 *   everything else         unchanged
 * The reverse mapping lets training (issue #8) write checkpoints back under torchvision names.
 */
import * as tf from '@tensorflow/tfjs';
import { InputError } from '@percept/core';
import type { IRGraph, IRNode, WeightMap, WeightTensor } from '@percept/backbones';

export type ParamLayout = 'oihw' | 'dense' | 'plain';

export interface ParamUse {
  name: string;
  /** Shape in PyTorch layout, as the checkpoint must hold it. */
  shape: number[];
  layout: ParamLayout;
  /** Learned by gradient descent in training mode (batch-norm running stats are not). */
  trainable: boolean;
}

/** Every parameter a node reads, with the PyTorch shape its attributes imply. */
export function paramsOfNode(node: IRNode): ParamUse[] {
  const p = (name: string, shape: number[], layout: ParamLayout, trainable = true): ParamUse => ({ name, shape, layout, trainable });
  switch (node.op) {
    case 'conv2d': {
      const w = p(`${node.param}.weight`, [node.outChannels, node.inChannels / node.groups, node.kernel[0], node.kernel[1]], 'oihw');
      return node.bias ? [w, p(`${node.param}.bias`, [node.outChannels], 'plain')] : [w];
    }
    case 'batchnorm':
      return [
        p(`${node.param}.weight`, [node.channels], 'plain'),
        p(`${node.param}.bias`, [node.channels], 'plain'),
        p(`${node.param}.running_mean`, [node.channels], 'plain', false),
        p(`${node.param}.running_var`, [node.channels], 'plain', false),
      ];
    case 'dense': {
      const w = p(`${node.param}.weight`, [node.outFeatures, node.inFeatures], 'dense');
      return node.bias ? [w, p(`${node.param}.bias`, [node.outFeatures], 'plain')] : [w];
    }
    case 'layernorm':
      return [p(`${node.param}.weight`, [node.features], 'plain'), p(`${node.param}.bias`, [node.features], 'plain')];
    case 'attention':
      return [
        p(`${node.param}.in_proj_weight`, [3 * node.dim, node.dim], 'dense'),
        p(`${node.param}.in_proj_bias`, [3 * node.dim], 'plain'),
        p(`${node.param}.out_proj.weight`, [node.dim, node.dim], 'dense'),
        p(`${node.param}.out_proj.bias`, [node.dim], 'plain'),
      ];
    case 'patchembed':
      return [
        p(`${node.param}.weight`, [node.dim, node.inChannels, node.patch, node.patch], 'oihw'),
        p(`${node.param}.bias`, [node.dim], 'plain'),
      ];
    case 'classtoken':
      return [p(node.param, [1, 1, node.dim], 'plain')];
    case 'posembed':
      return [p(node.param, [1, node.tokens, node.dim], 'plain')];
    default:
      return [];
  }
}

/** Parameters of the whole graph, each once, in node order. */
export function graphParams(graph: IRGraph): ParamUse[] {
  const seen = new Map<string, ParamUse>();
  for (const node of graph.nodes) {
    for (const use of paramsOfNode(node)) {
      const prev = seen.get(use.name);
      if (prev && !sameShape(prev.shape, use.shape)) {
        throw new InputError(`graph "${graph.name}": parameter "${use.name}" is read with shapes [${prev.shape}] and [${use.shape}] by different nodes`);
      }
      if (!prev) seen.set(use.name, use);
    }
  }
  return [...seen.values()];
}

/** Checks every parameter at once, so one error lists all missing and mis-shaped tensors. */
export function checkWeights(graph: IRGraph, weights: WeightMap, uses: readonly ParamUse[]): void {
  const missing: string[] = [];
  const misShaped: string[] = [];
  for (const use of uses) {
    const w = weights.get(use.name);
    if (!w) { missing.push(use.name); continue; }
    if (!sameShape(w.shape, use.shape)) misShaped.push(`${use.name}: got [${w.shape.join(', ')}], expected [${use.shape.join(', ')}]`);
    else if (w.data.length !== use.shape.reduce((a, b) => a * b, 1)) misShaped.push(`${use.name}: ${w.data.length} values for shape [${use.shape.join(', ')}]`);
  }
  if (missing.length || misShaped.length) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing: ${missing.join(', ')}`);
    if (misShaped.length) parts.push(`wrong shape: ${misShaped.join('; ')}`);
    throw new InputError(`weights for graph "${graph.name}" do not fit: ${parts.join('. ')}`);
  }
}

/**
 * PyTorch layout -> tfjs layout on the host. Transposing here, before the single upload, costs
 * one pass over the weights instead of an upload, an on-device transpose and a dispose.
 */
export function hostToTfjsLayout(w: WeightTensor, layout: ParamLayout): WeightTensor {
  if (layout === 'oihw') {
    const [o, i, kh, kw] = w.shape;
    const out = new Float32Array(w.data.length);
    // OIHW index ((a·I + b)·kh + y)·kw + x  ->  HWIO index ((y·kw + x)·I + b)·O + a
    for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) {
      out[((y * kw + x) * i + b) * o + a] = w.data[((a * i + b) * kh + y) * kw + x];
    }
    return { data: out, shape: [kh, kw, i, o] };
  }
  if (layout === 'dense') {
    const [o, i] = w.shape;
    const out = new Float32Array(w.data.length);
    for (let a = 0; a < o; a++) for (let b = 0; b < i; b++) out[b * o + a] = w.data[a * i + b];
    return { data: out, shape: [i, o] };
  }
  return w;
}

/** PyTorch layout -> tfjs layout, as a new tensor. */
export function toTfjsLayout(w: WeightTensor, layout: ParamLayout): tf.Tensor {
  const t = hostToTfjsLayout(w, layout);
  return tf.tensor(t.data, [...t.shape], 'float32');
}

/** tfjs layout -> PyTorch layout, on the host. */
export async function toTorchLayout(t: tf.Tensor, layout: ParamLayout): Promise<WeightTensor> {
  const back = tf.tidy(() => (layout === 'oihw' ? tf.transpose(t, [3, 2, 0, 1]) : layout === 'dense' ? tf.transpose(t, [1, 0]) : t.clone()));
  try {
    return { data: (await back.data()) as Float32Array, shape: back.shape };
  } finally {
    back.dispose();
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
