/**
 * A small helper for writing architectures: each method appends one node (named after its
 * torchvision module path, which is also its parameter prefix by default) and returns the node id,
 * so builders read like the PyTorch forward(). `build()` derives the parameter list from the nodes
 * and validates the result.
 */
import type { IRGraph, IRNode, IROp, Pads4, Pair, TapSpec } from '../ir.js';
import { collectParams } from './params.js';
import { validateGraph } from './shapes.js';

type Two = number | Pair;
const pair = (v: Two): Pair => (typeof v === 'number' ? [v, v] : v);
/** A symmetric pad (PyTorch's `padding=`) or explicit [top, left, bottom, right]. */
const pads = (v: number | Pair | Pads4): Pads4 => {
  if (typeof v === 'number') return [v, v, v, v];
  if (v.length === 2) return [v[0], v[1], v[0], v[1]];
  return v;
};

export interface ConvOptions {
  param?: string;
  in: number;
  out: number;
  kernel: Two;
  stride?: Two;
  pad?: number | Pair | Pads4;
  dilation?: Two;
  groups?: number;
  bias?: boolean;
}

export interface PoolOptions {
  kernel: Two;
  stride?: Two;
  pad?: number | Pair | Pads4;
  ceil?: boolean;
  countIncludePad?: boolean;
}

export class GraphBuilder {
  private readonly nodes: IRNode[] = [];
  private readonly taps: Record<string, TapSpec> = {};
  private logitsNode: string | undefined;

  constructor(readonly name: string, readonly input: { name: string; channels: number } = { name: 'input', channels: 3 }) {}

  private push(id: string, inputs: readonly string[], op: IROp): string {
    this.nodes.push({ ...op, id, inputs: [...inputs] } as IRNode);
    return id;
  }

  conv(id: string, x: string, o: ConvOptions): string {
    return this.push(id, [x], {
      op: 'conv2d', param: o.param ?? id, inChannels: o.in, outChannels: o.out, kernel: pair(o.kernel),
      stride: pair(o.stride ?? 1), pads: pads(o.pad ?? 0), dilation: pair(o.dilation ?? 1), groups: o.groups ?? 1, bias: o.bias ?? true,
    });
  }

  /** PyTorch BatchNorm2d defaults: eps 1e-5, momentum 0.1. */
  bn(id: string, x: string, o: { param?: string; channels: number; eps?: number; momentum?: number }): string {
    return this.push(id, [x], { op: 'batchnorm', param: o.param ?? id, channels: o.channels, eps: o.eps ?? 1e-5, momentum: o.momentum ?? 0.1 });
  }

  relu(id: string, x: string): string { return this.push(id, [x], { op: 'relu' }); }
  gelu(id: string, x: string): string { return this.push(id, [x], { op: 'gelu' }); }
  silu(id: string, x: string): string { return this.push(id, [x], { op: 'silu' }); }
  sigmoid(id: string, x: string): string { return this.push(id, [x], { op: 'sigmoid' }); }
  dropout(id: string, x: string, rate: number): string { return this.push(id, [x], { op: 'dropout', rate }); }
  stochasticDepth(id: string, x: string, rate: number): string { return this.push(id, [x], { op: 'stochasticdepth', rate }); }

  maxpool(id: string, x: string, o: PoolOptions): string {
    return this.push(id, [x], { op: 'maxpool', kernel: pair(o.kernel), stride: pair(o.stride ?? o.kernel), pads: pads(o.pad ?? 0), ceil: o.ceil ?? false });
  }

  avgpool(id: string, x: string, o: PoolOptions): string {
    return this.push(id, [x], {
      op: 'avgpool', kernel: pair(o.kernel), stride: pair(o.stride ?? o.kernel), pads: pads(o.pad ?? 0), ceil: o.ceil ?? false,
      countIncludePad: o.countIncludePad ?? true,
    });
  }

  globalAvgPool(id: string, x: string): string { return this.push(id, [x], { op: 'globalavgpool' }); }
  add(id: string, xs: readonly string[]): string { return this.push(id, xs, { op: 'add' }); }
  /** Element-wise product with broadcasting of size-1 axes (e.g. a [N, C, 1, 1] scale). */
  mul(id: string, a: string, b: string): string { return this.push(id, [a, b], { op: 'mul' }); }
  concat(id: string, xs: readonly string[]): string { return this.push(id, xs, { op: 'concat' }); }
  flatten(id: string, x: string): string { return this.push(id, [x], { op: 'flatten' }); }

  dense(id: string, x: string, o: { param?: string; in: number; out: number; bias?: boolean }): string {
    return this.push(id, [x], { op: 'dense', param: o.param ?? id, inFeatures: o.in, outFeatures: o.out, bias: o.bias ?? true });
  }

  layerNorm(id: string, x: string, o: { param?: string; features: number; eps: number }): string {
    return this.push(id, [x], { op: 'layernorm', param: o.param ?? id, features: o.features, eps: o.eps });
  }

  attention(id: string, x: string, o: { param?: string; dim: number; heads: number }): string {
    return this.push(id, [x], { op: 'attention', param: o.param ?? id, dim: o.dim, heads: o.heads });
  }

  patchEmbed(id: string, x: string, o: { param?: string; in: number; dim: number; patch: number }): string {
    return this.push(id, [x], { op: 'patchembed', param: o.param ?? id, inChannels: o.in, dim: o.dim, patch: o.patch });
  }

  classToken(id: string, x: string, o: { param: string; dim: number }): string {
    return this.push(id, [x], { op: 'classtoken', param: o.param, dim: o.dim });
  }

  posEmbed(id: string, x: string, o: { param: string; tokens: number; dim: number }): string {
    return this.push(id, [x], { op: 'posembed', param: o.param, tokens: o.tokens, dim: o.dim });
  }

  token(id: string, x: string, index: number): string { return this.push(id, [x], { op: 'token', index }); }

  tap(name: string, node: string, description: string): this {
    if (this.taps[name]) throw new Error(`GraphBuilder(${this.name}): tap "${name}" defined twice`);
    this.taps[name] = { node, description };
    return this;
  }

  logits(node: string): this {
    this.logitsNode = node;
    return this;
  }

  build(): IRGraph {
    const graph: IRGraph = {
      name: this.name,
      input: { ...this.input },
      nodes: [...this.nodes],
      taps: { ...this.taps },
      ...(this.logitsNode === undefined ? {} : { logits: this.logitsNode }),
      params: collectParams(this.nodes),
    };
    validateGraph(graph);
    return graph;
  }
}
