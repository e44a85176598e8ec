/**
 * Static checks on an IRGraph: output shape of every node for a given input shape, and structural
 * validation (ordering, arity, parameters). Both backends trust graphs that pass these, so every
 * error names the graph and the node at fault.
 */
import { InputError } from '@percept/core';
import type { IRGraph, IRNode, Pads4, Pair } from '../ir.js';
import { nodeParams, sameShape } from './params.js';

export type Shape = readonly number[];

function fail(graph: IRGraph, node: IRNode | undefined, what: string): never {
  const where = node ? `node "${node.id}" (${node.op})` : 'input';
  throw new InputError(`IR graph "${graph.name}": ${where}: ${what}`);
}

/**
 * PyTorch's output length for a sliding window. With ceil mode, a last window that would start
 * entirely inside the right/bottom padding is dropped, exactly as ATen's pooling_output_shape does.
 */
export function windowOutput(size: number, kernel: number, stride: number, padBefore: number, padAfter: number, dilation = 1, ceil = false): number {
  const span = size + padBefore + padAfter - dilation * (kernel - 1) - 1;
  let out = Math.floor((span + (ceil ? stride - 1 : 0)) / stride) + 1;
  if (ceil && (out - 1) * stride >= size + padBefore) out -= 1;
  return out;
}

function spatial(graph: IRGraph, node: IRNode, shape: Shape, kernel: Pair, stride: Pair, pads: Pads4, dilation: Pair, ceil: boolean): [number, number] {
  const [, , h, w] = shape;
  const oh = windowOutput(h, kernel[0], stride[0], pads[0], pads[2], dilation[0], ceil);
  const ow = windowOutput(w, kernel[1], stride[1], pads[1], pads[3], dilation[1], ceil);
  if (oh < 1 || ow < 1) {
    fail(graph, node, `input ${h}x${w} is too small for kernel ${kernel[0]}x${kernel[1]} (stride ${stride.join('x')}, pads ${pads.join(',')}): output would be ${oh}x${ow}`);
  }
  return [oh, ow];
}

function expectRank(graph: IRGraph, node: IRNode, shape: Shape, rank: number, layout: string): void {
  if (shape.length !== rank) fail(graph, node, `expects a rank-${rank} ${layout} input, got shape [${shape.join(', ')}]`);
}

function outputShape(graph: IRGraph, node: IRNode, ins: Shape[]): Shape {
  const x = ins[0];
  switch (node.op) {
    case 'conv2d': {
      expectRank(graph, node, x, 4, 'NCHW');
      if (x[1] !== node.inChannels) fail(graph, node, `expects ${node.inChannels} input channels, got ${x[1]} (shape [${x.join(', ')}])`);
      const [oh, ow] = spatial(graph, node, x, node.kernel, node.stride, node.pads, node.dilation, false);
      return [x[0], node.outChannels, oh, ow];
    }
    case 'batchnorm':
      if (x.length !== 4 && x.length !== 2) fail(graph, node, `expects NCHW or NC input, got shape [${x.join(', ')}]`);
      if (x[1] !== node.channels) fail(graph, node, `expects ${node.channels} channels, got ${x[1]}`);
      return x;
    case 'relu':
    case 'gelu':
    case 'silu':
    case 'sigmoid':
    case 'dropout':
      return x;
    case 'stochasticdepth':
      if (!(node.rate >= 0 && node.rate < 1)) fail(graph, node, `rate must be in [0, 1), got ${node.rate}`);
      return x;
    case 'mul': {
      const y = ins[1];
      if (y.length !== x.length || x.some((d, i) => d !== y[i] && d !== 1 && y[i] !== 1)) {
        fail(graph, node, `multiplies "${node.inputs[0]}" [${x.join(', ')}] and "${node.inputs[1]}" [${y.join(', ')}]: shapes must have the same rank and agree on every axis where neither is 1`);
      }
      return x.map((d, i) => Math.max(d, y[i]));
    }
    case 'maxpool':
    case 'avgpool': {
      expectRank(graph, node, x, 4, 'NCHW');
      const [oh, ow] = spatial(graph, node, x, node.kernel, node.stride, node.pads, [1, 1], node.ceil);
      return [x[0], x[1], oh, ow];
    }
    case 'globalavgpool':
      expectRank(graph, node, x, 4, 'NCHW');
      return [x[0], x[1], 1, 1];
    case 'add':
      for (let i = 1; i < ins.length; i++) {
        if (!sameShape(ins[i], x)) fail(graph, node, `adds "${node.inputs[0]}" [${x.join(', ')}] and "${node.inputs[i]}" [${ins[i].join(', ')}]: shapes differ`);
      }
      return x;
    case 'concat': {
      let c = 0;
      for (let i = 0; i < ins.length; i++) {
        const s = ins[i];
        expectRank(graph, node, s, 4, 'NCHW');
        if (s[0] !== x[0] || s[2] !== x[2] || s[3] !== x[3]) {
          fail(graph, node, `concatenates "${node.inputs[0]}" [${x.join(', ')}] and "${node.inputs[i]}" [${s.join(', ')}]: N, H, W must agree`);
        }
        c += s[1];
      }
      return [x[0], c, x[2], x[3]];
    }
    case 'dense': {
      const last = x[x.length - 1];
      if (x.length < 2 || last !== node.inFeatures) fail(graph, node, `expects last axis ${node.inFeatures}, got shape [${x.join(', ')}]`);
      return [...x.slice(0, -1), node.outFeatures];
    }
    case 'flatten':
      if (x.length < 2) fail(graph, node, `expects at least rank 2, got shape [${x.join(', ')}]`);
      return [x[0], x.slice(1).reduce((a, b) => a * b, 1)];
    case 'layernorm':
      if (x[x.length - 1] !== node.features) fail(graph, node, `expects last axis ${node.features}, got shape [${x.join(', ')}]`);
      return x;
    case 'attention':
      expectRank(graph, node, x, 3, '[N, T, D]');
      if (x[2] !== node.dim) fail(graph, node, `expects token dimension ${node.dim}, got shape [${x.join(', ')}]`);
      if (node.heads < 1 || node.dim % node.heads !== 0) fail(graph, node, `dimension ${node.dim} is not divisible by ${node.heads} heads`);
      return x;
    case 'patchembed': {
      expectRank(graph, node, x, 4, 'NCHW');
      if (x[1] !== node.inChannels) fail(graph, node, `expects ${node.inChannels} input channels, got ${x[1]}`);
      if (x[2] % node.patch !== 0 || x[3] % node.patch !== 0) {
        fail(graph, node, `input ${x[2]}x${x[3]} is not divisible into ${node.patch}x${node.patch} patches`);
      }
      return [x[0], (x[2] / node.patch) * (x[3] / node.patch), node.dim];
    }
    case 'classtoken':
      expectRank(graph, node, x, 3, '[N, T, D]');
      if (x[2] !== node.dim) fail(graph, node, `expects token dimension ${node.dim}, got ${x[2]}`);
      return [x[0], x[1] + 1, x[2]];
    case 'posembed':
      expectRank(graph, node, x, 3, '[N, T, D]');
      if (x[1] !== node.tokens || x[2] !== node.dim) {
        fail(graph, node, `position embedding is [1, ${node.tokens}, ${node.dim}] but the tokens are [${x.join(', ')}] (is the input size the one the model was built for?)`);
      }
      return x;
    case 'token':
      expectRank(graph, node, x, 3, '[N, T, D]');
      if (node.index < 0 || node.index >= x[1]) fail(graph, node, `token index ${node.index} outside ${x[1]} tokens`);
      return [x[0], x[2]];
    default: {
      const unknown: { op: string } = node;
      return fail(graph, node, `unknown op "${unknown.op}"`);
    }
  }
}

/** How many inputs each op takes: [min, max]. */
function arity(node: IRNode): [number, number] {
  if (node.op === 'add') return [2, Infinity];
  if (node.op === 'mul') return [2, 2];
  if (node.op === 'concat') return [1, Infinity];
  return [1, 1];
}

/**
 * Output shape of every node (and of the graph input) for an NCHW input shape [N, C, H, W].
 * Throws an InputError naming the first node whose input does not fit.
 */
export function inferShapes(graph: IRGraph, inputShape: Shape): Map<string, Shape> {
  const shapes = new Map<string, Shape>();
  if (inputShape.length !== 4 || inputShape.some((d) => !Number.isInteger(d) || d < 1)) {
    fail(graph, undefined, `input shape must be [N, C, H, W] positive integers, got [${inputShape.join(', ')}]`);
  }
  if (inputShape[1] !== graph.input.channels) {
    fail(graph, undefined, `"${graph.input.name}" expects ${graph.input.channels} channels, got shape [${inputShape.join(', ')}]`);
  }
  shapes.set(graph.input.name, inputShape);
  for (const node of graph.nodes) {
    const ins = node.inputs.map((name) => {
      const s = shapes.get(name);
      if (!s) fail(graph, node, `input "${name}" is not the graph input or an earlier node`);
      return s;
    });
    const [lo, hi] = arity(node);
    if (ins.length < lo || ins.length > hi) fail(graph, node, `takes ${lo === hi ? lo : `at least ${lo}`} input(s), got ${ins.length}`);
    shapes.set(node.id, outputShape(graph, node, ins));
  }
  return shapes;
}

/**
 * Structural validation, independent of input size: unique ids, inputs that exist and come earlier,
 * arity, taps/logits that name nodes, and `graph.params` agreeing exactly with what the nodes read
 * (present, same shape, nothing unused). Throws one InputError listing every problem.
 */
export function validateGraph(graph: IRGraph): void {
  const problems: string[] = [];
  const defined = new Set<string>([graph.input.name]);
  const declared = new Map(graph.params.map((p) => [p.name, p]));
  if (declared.size !== graph.params.length) {
    const names = graph.params.map((p) => p.name);
    const dups = names.filter((n, i) => names.indexOf(n) !== i);
    problems.push(`params listed twice: ${[...new Set(dups)].join(', ')}`);
  }
  const used = new Set<string>();
  for (const node of graph.nodes) {
    if (defined.has(node.id)) problems.push(`node id "${node.id}" is defined twice (or shadows the input)`);
    for (const name of node.inputs) {
      if (!defined.has(name)) problems.push(`node "${node.id}": input "${name}" is not the graph input or an earlier node`);
    }
    const [lo, hi] = arity(node);
    if (node.inputs.length < lo || node.inputs.length > hi) problems.push(`node "${node.id}" (${node.op}): takes ${lo === hi ? lo : `at least ${lo}`} input(s), got ${node.inputs.length}`);
    for (const p of nodeParams(node)) {
      used.add(p.name);
      const d = declared.get(p.name);
      if (!d) {
        if (!p.optional) problems.push(`node "${node.id}": parameter "${p.name}" [${p.shape.join(', ')}] is missing from graph.params`);
      } else if (!sameShape(d.shape, p.shape)) {
        problems.push(`node "${node.id}": parameter "${p.name}" is declared [${d.shape.join(', ')}] but the node reads [${p.shape.join(', ')}]`);
      }
    }
    defined.add(node.id);
  }
  for (const p of graph.params) if (!used.has(p.name)) problems.push(`parameter "${p.name}" is declared but no node reads it`);
  for (const [tap, spec] of Object.entries(graph.taps)) {
    if (!defined.has(spec.node) || spec.node === graph.input.name) problems.push(`tap "${tap}" names node "${spec.node}", which does not exist`);
  }
  if (graph.logits !== undefined && (!defined.has(graph.logits) || graph.logits === graph.input.name)) {
    problems.push(`logits name node "${graph.logits}", which does not exist`);
  }
  if (problems.length > 0) {
    throw new InputError(`IR graph "${graph.name}" is invalid:\n  - ${problems.join('\n  - ')}`);
  }
}
