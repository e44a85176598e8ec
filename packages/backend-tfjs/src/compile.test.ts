import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { randomWeights, SeededRandom, vit, type IRNode } from '@percept/backbones';
import { InputError } from '@percept/core';
import { compileGraph } from './compile.js';
import { dropoutMaskValues } from './ops/dropout.js';
import { initTfjs } from './engine.js';
import {
  attentionNaive, conv2dNaive, denseNaive, nchwToNhwc, nhwcToNchw, poolNaive, randomArr, relMaxError, rng, tinyGraph, weightMap, type Arr,
} from './__fixtures__/naive.js';

const TOL = 1e-5;

/** Runs a graph on an NCHW input and returns one node's output (NCHW when spatial). */
function run(nodes: IRNode[], weights: Record<string, Arr>, x: Arr, output: string, channels = x.shape[1]): Arr {
  const g = tinyGraph(nodes, [], { input: { name: 'input', channels } });
  const model = compileGraph(g, weightMap(weights));
  try {
    const nhwc = nchwToNhwc(x);
    const out = tf.tidy(() => model.run(tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number]), [output])[output]);
    const host = { data: out.dataSync() as Float32Array, shape: out.shape };
    out.dispose();
    return host.shape.length === 4 ? nhwcToNchw(host) : { data: host.data, shape: host.shape };
  } finally {
    model.dispose();
  }
}

const conv = (id: string, o: Partial<Extract<IRNode, { op: 'conv2d' }>> & { inChannels: number; outChannels: number }, input = 'input'): IRNode => ({
  op: 'conv2d', id, inputs: [input], param: id, kernel: [3, 3], stride: [1, 1], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 1, bias: true, ...o,
});

describe('IR -> tfjs ops on the wasm engine', () => {
  beforeAll(async () => { await initTfjs({ prefer: 'wasm' }); });

  const convCases: Array<{ name: string; c: number; o: number; k: [number, number]; s: [number, number]; p: [number, number, number, number]; d: [number, number]; g: number }> = [
    { name: 'asymmetric pads, stride 2', c: 3, o: 4, k: [3, 3], s: [2, 2], p: [0, 1, 2, 0], d: [1, 1], g: 1 },
    { name: 'groups 2 (split/concat)', c: 4, o: 6, k: [3, 2], s: [1, 1], p: [1, 0, 1, 1], d: [1, 1], g: 2 },
    { name: 'depthwise with multiplier 2', c: 3, o: 6, k: [3, 3], s: [2, 1], p: [1, 1, 0, 2], d: [1, 1], g: 3 },
    { name: 'dilation 2 with stride 2', c: 3, o: 5, k: [3, 3], s: [2, 2], p: [2, 1, 2, 3], d: [2, 2], g: 1 },
    { name: 'grouped, dilated, strided', c: 4, o: 4, k: [2, 3], s: [1, 2], p: [0, 2, 1, 0], d: [2, 1], g: 2 },
  ];
  for (const tc of convCases) {
    it(`conv2d: ${tc.name}`, () => {
      const r = rng(7);
      const x = randomArr([2, tc.c, 9, 8], r);
      const w = randomArr([tc.o, tc.c / tc.g, tc.k[0], tc.k[1]], r);
      const b = randomArr([tc.o], r);
      const got = run([conv('c', { inChannels: tc.c, outChannels: tc.o, kernel: tc.k, stride: tc.s, pads: tc.p, dilation: tc.d, groups: tc.g })],
        { 'c.weight': w, 'c.bias': b }, x, 'c');
      const want = conv2dNaive(x, w, b.data, { stride: tc.s, pads: tc.p, dilation: tc.d, groups: tc.g });
      expect(got.shape).toEqual(want.shape);
      expect(relMaxError(got.data, want.data)).toBeLessThan(TOL);
    });
  }

  const poolCases: Array<{ name: string; op: 'max' | 'avg'; k: [number, number]; s: [number, number]; p: [number, number, number, number]; ceil: boolean; cip?: boolean; hw: [number, number] }> = [
    // 7 wide, k3 s2 ceil: 4 windows, the last one hangs over the edge (AlexNet/SqueezeNet pattern).
    { name: 'max, ceil, overhanging last window', op: 'max', k: [3, 3], s: [2, 2], p: [0, 0, 0, 0], ceil: true, hw: [7, 8] },
    // 5 wide, k2 s2 pad 1 ceil: ceil((5+2-2)/2)+1 = 4 windows, but the 4th starts in the right padding and is dropped.
    { name: 'max, ceil, window starting in padding is dropped', op: 'max', k: [2, 2], s: [2, 2], p: [1, 1, 1, 1], ceil: true, hw: [5, 6] },
    { name: 'avg, ceil, window starting in padding is dropped', op: 'avg', k: [2, 2], s: [2, 2], p: [1, 1, 1, 1], ceil: true, cip: true, hw: [5, 7] },
    { name: 'max, floor, asymmetric pads', op: 'max', k: [3, 2], s: [2, 1], p: [1, 0, 0, 1], ceil: false, hw: [7, 5] },
    { name: 'avg, ceil, count_include_pad', op: 'avg', k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], ceil: true, cip: true, hw: [8, 7] },
    { name: 'avg, ceil, exclude pad', op: 'avg', k: [3, 3], s: [2, 2], p: [1, 1, 1, 1], ceil: true, cip: false, hw: [8, 7] },
    { name: 'avg, floor, asymmetric pads, include pad', op: 'avg', k: [2, 3], s: [1, 2], p: [0, 1, 1, 0], ceil: false, cip: true, hw: [5, 6] },
  ];
  for (const tc of poolCases) {
    it(`pool: ${tc.name}`, () => {
      const x = randomArr([2, 3, tc.hw[0], tc.hw[1]], rng(3));
      const node: IRNode = { op: tc.op === 'max' ? 'maxpool' : 'avgpool', id: 'p', inputs: ['input'], kernel: tc.k, stride: tc.s, pads: tc.p, ceil: tc.ceil, countIncludePad: tc.cip };
      const got = run([node], {}, x, 'p');
      const want = poolNaive(x, tc.op, tc.k, tc.s, tc.p, tc.ceil, tc.cip ?? true);
      expect(got.shape).toEqual(want.shape);
      expect(relMaxError(got.data, want.data)).toBeLessThan(TOL);
    });
  }

  it('pool: ceil mode adds overhanging windows but drops one that starts in the padding', () => {
    const x = randomArr([1, 1, 5, 7], rng(1));
    const got = run([{ op: 'maxpool', id: 'p', inputs: ['input'], kernel: [2, 2], stride: [2, 2], pads: [1, 1, 1, 1], ceil: true }], {}, x, 'p', 1);
    // Height 5: a plain ceil gives 4 rows, PyTorch keeps 3. Width 7: ceil gives 5, the 5th would start at 8 ≥ 7+1, so 4.
    expect(got.shape).toEqual([1, 1, 3, 4]);
    const wide = randomArr([1, 1, 5, 8], rng(2));
    const over = run([{ op: 'maxpool', id: 'p', inputs: ['input'], kernel: [3, 3], stride: [2, 2], pads: [0, 0, 0, 0], ceil: true }], {}, wide, 'p', 1);
    // Width 8 with k3 s2: floor gives 3, ceil keeps a 4th window whose start 6 is inside the image.
    expect(over.shape).toEqual([1, 1, 2, 4]);
    expect(relMaxError(over.data, poolNaive(wide, 'max', [3, 3], [2, 2], [0, 0, 0, 0], true).data)).toBe(0);
  });

  it('flatten uses PyTorch C-major order (so a dense layer after it sees the right features)', () => {
    const r = rng(11);
    const x = randomArr([2, 3, 4, 5], r);
    const w = randomArr([7, 3 * 4 * 5], r);
    const b = randomArr([7], r);
    const got = run([
      { op: 'flatten', id: 'f', inputs: ['input'] },
      { op: 'dense', id: 'fc', inputs: ['f'], param: 'fc', inFeatures: 60, outFeatures: 7, bias: true },
    ], { 'fc.weight': w, 'fc.bias': b }, x, 'fc');
    // In NCHW the flattened vector is the raw NCHW memory of each sample.
    const want = denseNaive({ data: x.data, shape: [2, 60] }, w, b.data);
    expect(got.shape).toEqual([2, 7]);
    expect(relMaxError(got.data, want.data)).toBeLessThan(TOL);
    const flat = run([{ op: 'flatten', id: 'f', inputs: ['input'] }], {}, x, 'f');
    expect(Array.from(flat.data)).toEqual(Array.from(x.data));
  });

  it('batch norm (inference) uses running statistics and eps', () => {
    const r = rng(5);
    const x = randomArr([2, 3, 4, 4], r);
    const gamma = randomArr([3], r), beta = randomArr([3], r), mean = randomArr([3], r);
    const variance = randomArr([3], () => r(0.2, 2));
    const eps = 1e-3;
    const got = run([{ op: 'batchnorm', id: 'bn', inputs: ['input'], param: 'bn', channels: 3, eps, momentum: 0.1 }],
      { 'bn.weight': gamma, 'bn.bias': beta, 'bn.running_mean': mean, 'bn.running_var': variance }, x, 'bn');
    const want = x.data.map((v, i) => {
      const c = Math.floor(i / 16) % 3;
      return ((v - mean.data[c]) / Math.sqrt(variance.data[c] + eps)) * gamma.data[c] + beta.data[c];
    });
    expect(relMaxError(got.data, want)).toBeLessThan(TOL);
  });

  it('relu, exact gelu, add, concat on channels and global average pooling', () => {
    const x = randomArr([2, 3, 3, 4], rng(9));
    const nodes: IRNode[] = [
      { op: 'relu', id: 'r', inputs: ['input'] },
      { op: 'gelu', id: 'g', inputs: ['input'] },
      { op: 'add', id: 'a', inputs: ['r', 'g'] },
      { op: 'concat', id: 'cat', inputs: ['a', 'input'] },
      { op: 'globalavgpool', id: 'gap', inputs: ['cat'] },
    ];
    const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
    const cat = run(nodes, {}, x, 'cat');
    expect(cat.shape).toEqual([2, 6, 3, 4]);
    const plane = 12;
    for (let b = 0; b < 2; b++) for (let c = 0; c < 3; c++) for (let p = 0; p < plane; p++) {
      const v = x.data[(b * 3 + c) * plane + p];
      expect(cat.data[(b * 6 + c) * plane + p]).toBeCloseTo(Math.max(v, 0) + gelu(v), 5);
      expect(cat.data[(b * 6 + 3 + c) * plane + p]).toBeCloseTo(v, 6);
    }
    const gap = run(nodes, {}, x, 'gap');
    expect(gap.shape).toEqual([2, 6, 1, 1]);
    for (let b = 0; b < 2; b++) for (let c = 0; c < 6; c++) {
      let s = 0;
      for (let p = 0; p < plane; p++) s += cat.data[(b * 6 + c) * plane + p];
      expect(gap.data[b * 6 + c]).toBeCloseTo(s / plane, 5);
    }
  });

  it('patch embedding, class token, position embedding, layer norm, attention and token select', () => {
    const r = rng(21);
    const d = 8, heads = 2, patch = 4;
    const x = randomArr([2, 3, 8, 8], r);
    const pw = randomArr([d, 3, patch, patch], r), pb = randomArr([d], r);
    const cls = randomArr([1, 1, d], r), pos = randomArr([1, 5, d], r);
    const lnw = randomArr([d], r), lnb = randomArr([d], r);
    const inW = randomArr([3 * d, d], r), inB = randomArr([3 * d], r), outW = randomArr([d, d], r), outB = randomArr([d], r);
    const nodes: IRNode[] = [
      { op: 'patchembed', id: 'pe', inputs: ['input'], param: 'conv_proj', inChannels: 3, dim: d, patch },
      { op: 'classtoken', id: 'ct', inputs: ['pe'], param: 'class_token', dim: d },
      { op: 'posembed', id: 'pos', inputs: ['ct'], param: 'pos_embedding', tokens: 5, dim: d },
      { op: 'layernorm', id: 'ln', inputs: ['pos'], param: 'ln', features: d, eps: 1e-6 },
      { op: 'attention', id: 'att', inputs: ['ln'], param: 'att', dim: d, heads },
      { op: 'dropout', id: 'drop', inputs: ['att'], rate: 0.5 },
      { op: 'token', id: 'tok', inputs: ['drop'], index: 0 },
    ];
    const weights = {
      'conv_proj.weight': pw, 'conv_proj.bias': pb, class_token: cls, pos_embedding: pos, 'ln.weight': lnw, 'ln.bias': lnb,
      'att.in_proj_weight': inW, 'att.in_proj_bias': inB, 'att.out_proj.weight': outW, 'att.out_proj.bias': outB,
    };
    // Reference: conv → [N, D, 2, 2] → tokens in row-major patch order, then the rest by hand.
    const pc = conv2dNaive(x, pw, pb.data, { stride: [patch, patch], pads: [0, 0, 0, 0], dilation: [1, 1], groups: 1 });
    const seq = new Float32Array(2 * 5 * d);
    for (let b = 0; b < 2; b++) {
      for (let e = 0; e < d; e++) seq[(b * 5) * d + e] = cls.data[e] + pos.data[e];
      for (let t = 0; t < 4; t++) for (let e = 0; e < d; e++) seq[(b * 5 + 1 + t) * d + e] = pc.data[(b * d + e) * 4 + t] + pos.data[(1 + t) * d + e];
    }
    const ln = new Float32Array(seq.length);
    for (let row = 0; row < 10; row++) {
      let m = 0, v = 0;
      for (let e = 0; e < d; e++) m += seq[row * d + e] / d;
      for (let e = 0; e < d; e++) v += (seq[row * d + e] - m) ** 2 / d;
      for (let e = 0; e < d; e++) ln[row * d + e] = ((seq[row * d + e] - m) / Math.sqrt(v + 1e-6)) * lnw.data[e] + lnb.data[e];
    }
    const att = attentionNaive({ data: ln, shape: [2, 5, d] }, inW, inB.data, outW, outB.data, heads);
    const gotPos = run(nodes, weights, x, 'pos');
    expect(gotPos.shape).toEqual([2, 5, d]);
    expect(relMaxError(gotPos.data, seq)).toBeLessThan(TOL);
    const gotAtt = run(nodes, weights, x, 'att');
    expect(relMaxError(gotAtt.data, att.data)).toBeLessThan(1e-4);
    const tok = run(nodes, weights, x, 'tok');
    expect(tok.shape).toEqual([2, d]);
    // Dropout is inactive at inference, so the token is attention's first token unchanged.
    const first = new Float32Array(2 * d);
    for (let b = 0; b < 2; b++) first.set(att.data.subarray(b * 5 * d, b * 5 * d + d), b * d);
    expect(relMaxError(tok.data, first)).toBeLessThan(1e-4);
  });

  it('folds batch norm and ReLU into the preceding conv without changing results, unless an intermediate is requested', () => {
    const r = rng(17);
    const nodes: IRNode[] = [
      conv('c1', { inChannels: 3, outChannels: 4, bias: true, pads: [0, 1, 2, 1] }),
      { op: 'batchnorm', id: 'bn1', inputs: ['c1'], param: 'bn1', channels: 4, eps: 1e-5, momentum: 0.1 },
      { op: 'relu', id: 'r1', inputs: ['bn1'] },
      conv('c2', { inChannels: 4, outChannels: 4, groups: 4, bias: false }, 'r1'),
      { op: 'batchnorm', id: 'bn2', inputs: ['c2'], param: 'bn2', channels: 4, eps: 1e-3, momentum: 0.1 },
    ];
    const bn = (p: string) => ({
      [`${p}.weight`]: randomArr([4], r), [`${p}.bias`]: randomArr([4], r), [`${p}.running_mean`]: randomArr([4], r), [`${p}.running_var`]: randomArr([4], () => r(0.3, 2)),
    });
    const weights = weightMap({ 'c1.weight': randomArr([4, 3, 3, 3], r), 'c1.bias': randomArr([4], r), 'c2.weight': randomArr([4, 1, 3, 3], r), ...bn('bn1'), ...bn('bn2') });
    const g = tinyGraph(nodes, []);
    const fused = compileGraph(g, weights, { fuse: true });
    const plain = compileGraph(g, weights);
    const x = tf.randomUniform([2, 7, 6, 3], -1, 1, 'float32', 3) as tf.Tensor4D;
    try {
      const a = fused.run(x, ['r1', 'bn2']);
      const b = plain.run(x, ['r1', 'bn2']);
      expect(relMaxError(a.r1.dataSync(), b.r1.dataSync())).toBeLessThan(1e-5);
      expect(relMaxError(a.bn2.dataSync(), b.bn2.dataSync())).toBeLessThan(1e-5);
      // Asking for the pre-norm conv output falls back to the ops as written.
      const c = fused.run(x, ['c1', 'bn2']);
      const d = plain.run(x, ['c1']);
      expect(Array.from(c.c1.dataSync())).toEqual(Array.from(d.c1.dataSync()));
      expect(relMaxError(c.bn2.dataSync(), b.bn2.dataSync())).toBeLessThan(1e-5);
      tf.dispose([...Object.values(a), ...Object.values(b), ...Object.values(c), ...Object.values(d)]);
    } finally {
      x.dispose();
      fused.dispose();
      plain.dispose();
    }
  });

  it('dropout: seeded masks in training mode (same seed, same loss; another seed or step differs), the identity at inference', () => {
    const arch = { imageSize: 16, patch: 8, layers: 1, heads: 2, dim: 16, mlpDim: 32, classes: 3 };
    const g = vit({ ...arch, dropout: 0.4 });
    const g0 = vit(arch);
    const w = randomWeights(g, 1);
    const out = g.logits!;
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 16 * 16 * 3 }, (_, i) => Math.sin(i)), [2, 16, 16, 3]);
    const train = compileGraph(g, w, { training: true });
    const inf = compileGraph(g, w);
    const inf0 = compileGraph(g0, w);
    try {
      const loss = (seed: number, stream: string) =>
        tf.tidy(() => tf.sum(tf.square(train.run(x, [out], { training: true, dropoutSeed: { seed, stream } })[out])).dataSync()[0]);
      const base = loss(7, 'dropout:3');
      expect(loss(7, 'dropout:3')).toBe(base);
      expect(loss(8, 'dropout:3')).not.toBe(base);
      expect(loss(7, 'dropout:4')).not.toBe(base);
      expect(() => train.run(x, [out], { training: true })).toThrow(/dropout node "encoder\.dropout" \(rate 0\.4\) is active in a training-mode run, but the run has no "dropoutSeed"/);
      // Inference: dropout nodes are the identity, seed or not, compiled for training or not.
      const logits = (m: typeof train, seed?: { seed: number; stream: string }) => tf.tidy(() => Array.from(m.run(x, [out], { dropoutSeed: seed })[out].dataSync()));
      const plain = logits(inf0);
      expect(logits(inf)).toEqual(plain);
      expect(logits(train, { seed: 7, stream: 'dropout:3' })).toEqual(plain);
      expect(logits(train)).toEqual(plain);
    } finally {
      x.dispose(); train.dispose(); inf.dispose(); inf0.dispose();
    }
    // Inverted dropout: kept units scaled by 1/(1−rate).
    const m = dropoutMaskValues(20000, 0.25, new SeededRandom(1, 'mask'));
    expect(new Set(m)).toEqual(new Set([0, Math.fround(4 / 3)]));
    const kept = m.filter((v) => v > 0).length / m.length;
    expect(Math.abs(kept - 0.75)).toBeLessThan(0.02);
  });

  it('rejects missing and mis-shaped weights, listing every one', () => {
    const g = tinyGraph([conv('c', { inChannels: 3, outChannels: 4 }), conv('d', { inChannels: 4, outChannels: 2 }, 'c')], []);
    const r = rng(1);
    const w = weightMap({ 'c.weight': randomArr([4, 3, 3, 3], r), 'c.bias': randomArr([5], r), 'd.bias': randomArr([2], r) });
    expect(() => compileGraph(g, w)).toThrow(InputError);
    expect(() => compileGraph(g, w)).toThrow(/missing: d\.weight.*wrong shape: c\.bias: got \[5\], expected \[4\]/);
  });

  it('rejects graphs whose nodes read unknown tensors, and runs on bad inputs, naming them', () => {
    const g = tinyGraph([{ op: 'relu', id: 'r', inputs: ['nope'] }], []);
    expect(() => compileGraph(g, new Map())).toThrow(/node "r" reads "nope"/);
    const ok = compileGraph(tinyGraph([{ op: 'relu', id: 'r', inputs: ['input'] }], []), new Map());
    const x = tf.zeros([1, 4, 4, 2]) as tf.Tensor4D;
    expect(() => ok.run(x, ['r'])).toThrow(/input "input" has shape \[1, 4, 4, 2\], expected NHWC \[N, H, W, 3\]/);
    const x3 = tf.zeros([1, 4, 4, 3]) as tf.Tensor4D;
    expect(() => ok.run(x3, ['relu9'])).toThrow(/no node named "relu9"/);
    tf.dispose([x, x3]);
    ok.dispose();
  });
});

/** erf by its Maclaurin series: plenty accurate for the |x| ≤ 3 the tests use. */
function erf(x: number): number {
  const sign = Math.sign(x);
  const a = Math.abs(x);
  if (a < 3) {
    let sum = a, term = a;
    for (let n = 1; n < 60; n++) { term *= -a * a / n; sum += term / (2 * n + 1); }
    return sign * (2 / Math.sqrt(Math.PI)) * sum;
  }
  return sign * 1;
}
