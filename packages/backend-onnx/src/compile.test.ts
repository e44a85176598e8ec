import { describe, it, expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import type { IRGraph, IRNode, ParamSpec, WeightTensor, Preprocessing } from '@percept/backbones';
import { compileIR, ONNX_OPSET } from './compile.js';
import { decodeModel } from './proto/onnx.js';
import {
  attention, conv2d, dense, gelu, layerNorm, pool2d, randomTensor, relativeError, type T,
} from './__fixtures__/reference-ops.js';

type Weights = Map<string, WeightTensor>;

function graphOf(nodes: IRNode[], output: string, channels = 3, params: ParamSpec[] = []): IRGraph {
  return { name: 'test', input: { name: 'x', channels }, nodes, taps: { out: { node: output, description: 'test output' } }, params };
}

function put(weights: Weights, name: string, t: T): T {
  weights.set(name, { data: t.data, shape: t.shape });
  return t;
}

async function run(graph: IRGraph, weights: Weights, x: T, extra: Partial<Parameters<typeof compileIR>[2]> = {}): Promise<Record<string, ort.Tensor>> {
  const compiled = compileIR(graph, weights, extra);
  const session = await ort.InferenceSession.create(compiled.encode(), { graphOptimizationLevel: 'all', intraOpNumThreads: 1 });
  try {
    const result = await session.run({ input: new ort.Tensor('float32', x.data, x.shape) });
    const byKey: Record<string, ort.Tensor> = {};
    for (const o of compiled.outputs) byKey[o.key] = result[o.output];
    return byKey;
  } finally {
    await session.release();
  }
}

function expectClose(actual: ort.Tensor, expected: T): void {
  expect(actual.dims).toEqual(expected.shape);
  expect(relativeError(actual.data as Float32Array, expected.data)).toBeLessThan(1e-5);
}

const base = { kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 1, bias: true } as const;

describe('compileIR: one op at a time against a JS reference', () => {
  it('conv2d with groups, dilation, stride and asymmetric pads', async () => {
    const w: Weights = new Map();
    const x = randomTensor([2, 4, 11, 9], 1);
    const k = put(w, 'c.weight', randomTensor([6, 2, 3, 2], 2));
    const b = put(w, 'c.bias', randomTensor([6], 3));
    const node: IRNode = {
      id: 'conv', inputs: ['x'], op: 'conv2d', param: 'c', inChannels: 4, outChannels: 6,
      kernel: [3, 2], stride: [2, 1], pads: [0, 2, 1, 1], dilation: [2, 3], groups: 2, bias: true,
    };
    const out = await run(graphOf([node], 'conv', 4), w, x);
    expectClose(out.out, conv2d(x, k, b.data, [2, 1], [0, 2, 1, 1], [2, 3], 2));
  });

  it('max pooling in ceil mode where the last window overhangs the input', async () => {
    // 8 wide, kernel 3, stride 2: floor mode gives 3, ceil mode 4 (torchvision SqueezeNet relies on this).
    const x = randomTensor([1, 2, 8, 7], 4);
    const node: IRNode = { id: 'p', inputs: ['x'], op: 'maxpool', kernel: [3, 3], stride: [2, 2], pads: [0, 0, 0, 0], ceil: true };
    const out = await run(graphOf([node], 'p', 2), new Map(), x);
    const expected = pool2d(x, 'max', [3, 3], [2, 2], [0, 0, 0, 0], true);
    expect(expected.shape).toEqual([1, 2, 4, 3]);
    expectClose(out.out, expected);
  });

  it('average pooling with padding, ceil mode, with and without count_include_pad', async () => {
    const x = randomTensor([1, 3, 7, 6], 5);
    for (const countIncludePad of [true, false]) {
      const node: IRNode = { id: 'p', inputs: ['x'], op: 'avgpool', kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true, countIncludePad };
      const out = await run(graphOf([node], 'p', 3), new Map(), x);
      expectClose(out.out, pool2d(x, 'avg', [3, 3], [2, 2], [1, 1, 1, 1], true, countIncludePad));
    }
  });

  it('batch norm (inference), relu, add, concat, global average pool, flatten and dense', async () => {
    const w: Weights = new Map();
    const x = randomTensor([2, 3, 5, 5], 6);
    const k = put(w, 'c.weight', randomTensor([4, 3, 3, 3], 7));
    const bias = put(w, 'c.bias', randomTensor([4], 8));
    const gamma = put(w, 'bn.weight', randomTensor([4], 9, 0.5, 1.5));
    const beta = put(w, 'bn.bias', randomTensor([4], 10));
    const mean = put(w, 'bn.running_mean', randomTensor([4], 11));
    const vari = put(w, 'bn.running_var', randomTensor([4], 12, 0.2, 2));
    const fcW = put(w, 'fc.weight', randomTensor([5, 8], 13));
    const fcB = put(w, 'fc.bias', randomTensor([5], 14));
    const nodes: IRNode[] = [
      { id: 'conv', inputs: ['x'], op: 'conv2d', param: 'c', inChannels: 3, outChannels: 4, ...base },
      { id: 'bn', inputs: ['conv'], op: 'batchnorm', param: 'bn', channels: 4, eps: 1e-5, momentum: 0.1 },
      { id: 'relu', inputs: ['bn'], op: 'relu' },
      { id: 'sum', inputs: ['relu', 'conv'], op: 'add' },
      { id: 'cat', inputs: ['sum', 'relu'], op: 'concat' },
      { id: 'gap', inputs: ['cat'], op: 'globalavgpool' },
      { id: 'flat', inputs: ['gap'], op: 'flatten' },
      { id: 'fc', inputs: ['flat'], op: 'dense', param: 'fc', inFeatures: 8, outFeatures: 5, bias: true },
    ];
    const out = await run(graphOf(nodes, 'fc'), w, x);

    const conv = conv2d(x, k, bias.data, [1, 1], [1, 1, 1, 1], [1, 1], 1);
    const plane = 25;
    const bn = conv.data.map((v, i) => {
      const c = Math.floor(i / plane) % 4;
      return ((v - mean.data[c]) / Math.sqrt(vari.data[c] + 1e-5)) * gamma.data[c] + beta.data[c];
    });
    const relu = bn.map((v) => Math.max(v, 0));
    const pooled = new Float32Array(2 * 8);
    for (let n = 0; n < 2; n++) for (let c = 0; c < 8; c++) {
      let s = 0;
      for (let p = 0; p < plane; p++) {
        const src = c < 4 ? relu[(n * 4 + c) * plane + p] + conv.data[(n * 4 + c) * plane + p] : relu[(n * 4 + c - 4) * plane + p];
        s += src;
      }
      pooled[n * 8 + c] = s / plane;
    }
    expectClose(out.out, dense({ data: pooled, shape: [2, 8] }, fcW, fcB.data));
  });

  it('layer norm, exact GELU and dense on [N, T, D] tokens, then multi-head attention', async () => {
    const w: Weights = new Map();
    const d = 8, heads = 2;
    // Tokens come from a patch embedding so the graph input stays an image.
    const x = randomTensor([2, 3, 8, 8], 20);
    const pw = put(w, 'pe.weight', randomTensor([d, 3, 4, 4], 21));
    const pb = put(w, 'pe.bias', randomTensor([d], 22));
    const cls = put(w, 'cls', randomTensor([1, 1, d], 23));
    const pos = put(w, 'pos', randomTensor([1, 5, d], 24));
    const g = put(w, 'ln.weight', randomTensor([d], 25, 0.5, 1.5));
    const lb = put(w, 'ln.bias', randomTensor([d], 26));
    const inW = put(w, 'att.in_proj_weight', randomTensor([3 * d, d], 27));
    const inB = put(w, 'att.in_proj_bias', randomTensor([3 * d], 28));
    const oW = put(w, 'att.out_proj.weight', randomTensor([d, d], 29));
    const oB = put(w, 'att.out_proj.bias', randomTensor([d], 30));
    const mW = put(w, 'mlp.weight', randomTensor([d, d], 31));
    const mB = put(w, 'mlp.bias', randomTensor([d], 32));
    const nodes: IRNode[] = [
      { id: 'pe', inputs: ['x'], op: 'patchembed', param: 'pe', inChannels: 3, dim: d, patch: 4 },
      { id: 'cls', inputs: ['pe'], op: 'classtoken', param: 'cls', dim: d },
      { id: 'pos', inputs: ['cls'], op: 'posembed', param: 'pos', tokens: 5, dim: d },
      { id: 'drop', inputs: ['pos'], op: 'dropout', rate: 0.1 },
      { id: 'ln', inputs: ['drop'], op: 'layernorm', param: 'ln', features: d, eps: 1e-6 },
      { id: 'att', inputs: ['ln'], op: 'attention', param: 'att', dim: d, heads },
      { id: 'mlp', inputs: ['att'], op: 'dense', param: 'mlp', inFeatures: d, outFeatures: d, bias: true },
      { id: 'act', inputs: ['mlp'], op: 'gelu' },
      { id: 'tok', inputs: ['act'], op: 'token', index: 0 },
    ];
    const graph: IRGraph = {
      ...graphOf(nodes, 'tok'),
      taps: { tokens: { node: 'pos', description: 'embedded tokens' }, att: { node: 'att', description: 'attention' }, cls: { node: 'tok', description: 'CLS' } },
    };
    const out = await run(graph, w, x);

    // Patch embedding: conv then [N, D, 2, 2] -> [N, 4, D].
    const conv = conv2d(x, pw, pb.data, [4, 4], [0, 0, 0, 0], [1, 1], 1);
    const tokens = new Float32Array(2 * 5 * d);
    for (let n = 0; n < 2; n++) {
      for (let e = 0; e < d; e++) tokens[(n * 5) * d + e] = cls.data[e] + pos.data[e];
      for (let t = 0; t < 4; t++) for (let e = 0; e < d; e++) {
        tokens[(n * 5 + t + 1) * d + e] = conv.data[(n * d + e) * 4 + t] + pos.data[(t + 1) * d + e];
      }
    }
    const tok: T = { data: tokens, shape: [2, 5, d] };
    expectClose(out.tokens, tok);
    const att = attention(layerNorm(tok, g.data, lb.data, 1e-6), inW, inB.data, oW, oB.data, heads);
    expectClose(out.att, att);
    const act = gelu(dense(att, mW, mB.data));
    const first = new Float32Array(2 * d);
    for (let n = 0; n < 2; n++) first.set(act.data.subarray(n * 5 * d, n * 5 * d + d), n * d);
    expectClose(out.cls, { data: first, shape: [2, d] });
  });
});

describe('compileIR: graph structure', () => {
  const identityConv: IRNode = { id: 'conv', inputs: ['x'], op: 'conv2d', param: 'c', inChannels: 3, outChannels: 3, ...base, kernel: [1, 1], pads: [0, 0, 0, 0], bias: false };
  const eye = (): Weights => {
    const k = new Float32Array(9);
    k[0] = k[4] = k[8] = 1;
    return new Map([['c.weight', { data: k, shape: [3, 3, 1, 1] }]]);
  };

  it('compiles preprocessing into the head: BGR order, scale, mean and std', async () => {
    const pre: Preprocessing = {
      size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'BGR', scale: 255, mean: [104, 117, 123], std: [2, 4, 8],
    };
    const x = randomTensor([1, 3, 2, 2], 40, 0, 1);
    const out = await run(graphOf([identityConv], 'conv'), eye(), x, { preprocessing: pre });
    const got = out.out.data as Float32Array;
    for (let c = 0; c < 3; c++) for (let p = 0; p < 4; p++) {
      const src = x.data[(2 - c) * 4 + p]; // network channel c reads RGB channel 2-c
      expect(got[c * 4 + p]).toBeCloseTo((src * 255 - pre.mean[c]) / pre.std[c], 4);
    }
  });

  it('declares opset 17, a symbolic batch and named outputs per tap', () => {
    const compiled = compileIR(graphOf([identityConv], 'conv'), eye(), { taps: ['out'] });
    const model = decodeModel(compiled.encode());
    expect(model.opsetImport).toEqual([{ domain: '', version: ONNX_OPSET }]);
    expect(model.graph.inputs[0].type?.shape).toEqual(['N', 3, 'H', 'W']);
    expect(model.graph.outputs.map((o) => o.name)).toEqual(['out']);
    expect(compiled.outputs).toEqual([{ key: 'out', kind: 'tap', output: 'out', rank: 4 }]);
  });

  it('rejects an unknown tap with a suggestion, and a weight of the wrong shape by name', () => {
    expect(() => compileIR(graphOf([identityConv], 'conv'), eye(), { taps: ['ot'] })).toThrow(/no tap or node named "ot".*did you mean "out"/);
    const bad: Weights = new Map([['c.weight', { data: new Float32Array(9), shape: [3, 3, 1, 1, 1] }]]);
    expect(() => compileIR(graphOf([identityConv], 'conv'), bad)).toThrow(/Weight "c.weight" has shape \[3, 3, 1, 1, 1\].*expects \[3, 3, 1, 1\]/);
    expect(() => compileIR(graphOf([identityConv], 'conv'), new Map())).toThrow(/lack "c.weight"/);
    expect(() => compileIR(graphOf([identityConv], 'conv'), eye(), { logits: true })).toThrow(/no classifier head/);
  });
});
