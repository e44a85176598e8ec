import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { InputError, imageBatch, type FeatureExtractor } from '@percept/core';
import type { IRModelSpec, IRNode, Preprocessing } from '@percept/backbones';
import { TfjsBackend } from './backend.js';
import { compileGraph } from './compile.js';
import plugin from './index.js';
import { conv2dNaive, denseNaive, nchwToNhwc, nhwcToNchw, poolNaive, randomArr, relMaxError, rng, tinyGraph, weightMap, type Arr } from './__fixtures__/naive.js';

const plain: Preprocessing = { size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] };

/** conv(3→4, 3×3/2) → BN → ReLU [tap "stage1"] → maxpool(3/2, ceil) [tap "stage2"] → GAP → flatten → dense(4→5) [logits]. */
function smallNet(seed: number, preprocessing = plain): { spec: IRModelSpec; w: Record<string, Arr> } {
  const nodes: IRNode[] = [
    { op: 'conv2d', id: 'conv1', inputs: ['input'], param: 'conv1', inChannels: 3, outChannels: 4, kernel: [3, 3], stride: [2, 2], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 1, bias: false },
    { op: 'batchnorm', id: 'bn1', inputs: ['conv1'], param: 'bn1', channels: 4, eps: 1e-5, momentum: 0.1 },
    { op: 'relu', id: 'relu1', inputs: ['bn1'] },
    { op: 'maxpool', id: 'pool', inputs: ['relu1'], kernel: [3, 3], stride: [2, 2], pads: [0, 0, 0, 0], ceil: true },
    { op: 'globalavgpool', id: 'gap', inputs: ['pool'] },
    { op: 'flatten', id: 'flat', inputs: ['gap'] },
    { op: 'dense', id: 'fc', inputs: ['flat'], param: 'fc', inFeatures: 4, outFeatures: 5, bias: true },
  ];
  const r = rng(seed);
  const w = {
    'conv1.weight': randomArr([4, 3, 3, 3], r),
    'bn1.weight': randomArr([4], r), 'bn1.bias': randomArr([4], r), 'bn1.running_mean': randomArr([4], r),
    'bn1.running_var': randomArr([4], () => r(0.5, 1.5)),
    'fc.weight': randomArr([5, 4], r), 'fc.bias': randomArr([5], r),
  };
  const graph = tinyGraph(nodes, [], {
    name: 'small',
    taps: { stage1: { node: 'relu1', description: 'after the first ReLU' }, stage2: { node: 'pool', description: 'after pooling' } },
    logits: 'fc',
  });
  return { spec: { kind: 'ir', name: 'small', graph, weights: weightMap(w), preprocessing, provenance: { source: 'random', seed } }, w };
}

/** The same network by hand, NCHW. */
function smallNetNaive(x: Arr, w: Record<string, Arr>): { stage1: Arr; stage2: Arr; logits: Arr } {
  const c = conv2dNaive(x, w['conv1.weight'], undefined, { stride: [2, 2], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 1 });
  const [n, ch, h, wd] = c.shape;
  const s1 = new Float32Array(c.data.length);
  for (let i = 0; i < s1.length; i++) {
    const k = Math.floor(i / (h * wd)) % ch;
    const v = (c.data[i] - w['bn1.running_mean'].data[k]) / Math.sqrt(w['bn1.running_var'].data[k] + 1e-5) * w['bn1.weight'].data[k] + w['bn1.bias'].data[k];
    s1[i] = Math.max(0, v);
  }
  const stage1 = { data: s1, shape: c.shape };
  const stage2 = poolNaive(stage1, 'max', [3, 3], [2, 2], [0, 0, 0, 0], true);
  const [, , ph, pw] = stage2.shape;
  const gap = new Float32Array(n * ch);
  for (let i = 0; i < gap.length; i++) {
    let s = 0;
    for (let p = 0; p < ph * pw; p++) s += stage2.data[i * ph * pw + p];
    gap[i] = s / (ph * pw);
  }
  return { stage1, stage2, logits: denseNaive({ data: gap, shape: [n, ch] }, w['fc.weight'], w['fc.bias'].data) };
}

function randomImages(n: number, h: number, w: number, seed: number) {
  const x = randomArr([n, 3, h, w], (() => { const r = rng(seed); return () => r(0, 1); })());
  const nhwc = nchwToNhwc(x);
  return { nchw: x, batch: imageBatch(nhwc.data, n, h, w) };
}

describe('TfjsBackend on IR models (wasm)', () => {
  const backend = new TfjsBackend({ engine: 'wasm' });
  let extractor: FeatureExtractor;
  let before: number;
  const { spec, w } = smallNet(1);

  beforeAll(async () => {
    await backend.describe();
    before = tf.memory().numTensors;
    extractor = await backend.load(spec, { logits: true });
  });
  afterAll(async () => { await extractor.dispose(); });

  it('returns the declared taps (NHWC) and logits (NC), matching a direct computation', async () => {
    const { nchw, batch } = randomImages(2, 13, 11, 4);
    const feats = await extractor.extract(batch);
    expect(extractor.taps).toEqual(['stage1', 'stage2']);
    const want = smallNetNaive(nchw, w);
    expect(feats.taps.stage1.layout).toBe('NHWC');
    expect(feats.taps.stage1.shape).toEqual([2, 7, 6, 4]);
    expect(relMaxError(nhwcToNchw(feats.taps.stage1).data, want.stage1.data)).toBeLessThan(1e-5);
    expect(relMaxError(nhwcToNchw(feats.taps.stage2).data, want.stage2.data)).toBeLessThan(1e-5);
    expect(feats.logits?.layout).toBe('NC');
    expect(feats.logits?.shape).toEqual([2, 5]);
    expect(relMaxError(feats.logits!.data, want.logits.data)).toBeLessThan(1e-5);
    expect(extractor.info().engine).toBe('tfjs-wasm');
  });

  it('leaves no tensor behind: numTensors returns to its baseline after every extraction and after dispose', async () => {
    const loaded = tf.memory().numTensors;
    // The compiled model holds exactly its 7 parameters.
    expect(loaded - before).toBe(7);
    for (let i = 0; i < 3; i++) {
      await extractor.extract(randomImages(2, 9, 9, 10 + i).batch);
      expect(tf.memory().numTensors).toBe(loaded);
    }
    const other = await backend.load(smallNet(2).spec, { taps: ['stage2'] });
    await other.extract(randomImages(1, 8, 8, 3).batch);
    await other.dispose();
    expect(tf.memory().numTensors).toBe(loaded);
  });

  it('applies the backbone preprocessing (channel order, scale, mean, std) before the network', async () => {
    const pre: Preprocessing = { ...plain, channelOrder: 'BGR', scale: 255, mean: [100, 110, 120], std: [50, 60, 70] };
    const net = smallNet(1, pre);
    const ex = await backend.load(net.spec, { taps: ['stage1'] });
    try {
      const { nchw, batch } = randomImages(1, 8, 8, 6);
      const plane = 64;
      const manual = new Float32Array(nchw.data.length);
      for (let c = 0; c < 3; c++) for (let p = 0; p < plane; p++) {
        manual[c * plane + p] = (nchw.data[(2 - c) * plane + p] * 255 - pre.mean[c]) / pre.std[c];
      }
      const want = smallNetNaive({ data: manual, shape: nchw.shape }, net.w);
      const got = await ex.extract(batch);
      expect(relMaxError(nhwcToNchw(got.taps.stage1).data, want.stage1.data)).toBeLessThan(1e-5);
    } finally {
      await ex.dispose();
    }
  });

  it('honours an aborted signal before doing any work', async () => {
    const ctl = new AbortController();
    ctl.abort(new Error('stopped by user'));
    const count = tf.memory().numTensors;
    await expect(extractor.extract(randomImages(1, 8, 8, 1).batch, { signal: ctl.signal })).rejects.toThrow('stopped by user');
    expect(tf.memory().numTensors).toBe(count);
  });

  it('names unknown taps with a did-you-mean and rejects foreign model kinds', async () => {
    const err = await backend.load(spec, { taps: ['stage3'] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/no tap or node named "stage3"; taps are stage1, stage2/);
    expect((err as InputError).hint).toMatch(/did you mean "stage1"|"stage2"/);
    await expect(backend.load({ kind: 'onnx-session', name: 'x' })).rejects.toThrow(/kind "onnx-session", expected "ir" or "file"/);
    await expect(backend.load({
      kind: 'file', name: 'm', format: 'onnx', path: '/tmp/m.onnx', sha256: '', preprocessing: plain, taps: [], inputLayout: 'NCHW',
    } as unknown as IRModelSpec)).rejects.toThrow(/format "onnx"; this backend reads "tfjs-graph" and "tfjs-layers"/);
  });

  it('is the "tfjs" backend contribution of the plugin, with an engine option', async () => {
    const c = plugin.contributes.find((x) => x.kind === 'backend' && x.name === 'tfjs');
    expect(c).toBeDefined();
    expect((c!.optionsSchema.properties as Record<string, { enum?: string[] }>).engine.enum).toEqual(['node-gpu', 'node', 'wasm', 'cpu']);
    if (c?.kind !== 'backend') throw new Error('not a backend');
    const b = await c.create({ engine: 'wasm' });
    expect(b.name).toBe('tfjs');
    expect((await b.describe()).engine).toBe('tfjs-wasm');
  });
});

describe('the cpu engine', () => {
  it('computes the same features as a direct computation', async () => {
    const backend = new TfjsBackend({ engine: 'cpu' });
    const { spec, w } = smallNet(3);
    const ex = await backend.load(spec, { logits: true });
    try {
      expect(ex.info().engine).toBe('tfjs-cpu');
      const { nchw, batch } = randomImages(1, 10, 12, 8);
      const got = await ex.extract(batch);
      const want = smallNetNaive(nchw, w);
      expect(relMaxError(nhwcToNchw(got.taps.stage1).data, want.stage1.data)).toBeLessThan(1e-5);
      expect(relMaxError(got.logits!.data, want.logits.data)).toBeLessThan(1e-5);
    } finally {
      await ex.dispose();
      await new TfjsBackend({ engine: 'wasm' }).describe();
    }
  });

  it('trains: variables get gradients, batch norm updates its running stats, weights export in PyTorch layout', async () => {
    await new TfjsBackend({ engine: 'cpu' }).describe(); // wasm has no conv filter gradient
    const { spec, w } = smallNet(4);
    const model = compileGraph(spec.graph, spec.weights, { training: true });
    try {
      expect(model.trainableVariables()).toHaveLength(5); // conv, bn γ/β, fc weight/bias; not the running stats
      const { nchw } = randomImages(2, 8, 8, 1);
      const x = tf.tensor4d(nchwToNhwc(nchw).data, [2, 8, 8, 3]);
      const { value, grads } = tf.variableGrads(() => tf.sum(model.run(x, ['fc'], { training: true }).fc) as tf.Scalar, model.trainableVariables());
      expect(Object.keys(grads)).toHaveLength(5);
      for (const g of Object.values(grads)) expect(Number.isFinite(g.sum().dataSync()[0])).toBe(true);
      // Running mean moved 10% of the way towards the batch mean of conv1's output.
      const conv = conv2dNaive(nchw, w['conv1.weight'], undefined, { stride: [2, 2], pads: [1, 1, 1, 1], dilation: [1, 1], groups: 1 });
      const per = conv.data.length / 2 / 4;
      const exported = await model.exportWeights();
      for (let k = 0; k < 4; k++) {
        let s = 0;
        for (let b = 0; b < 2; b++) for (let p = 0; p < per; p++) s += conv.data[(b * 4 + k) * per + p];
        const expected = 0.9 * w['bn1.running_mean'].data[k] + 0.1 * (s / (2 * per));
        expect(exported.get('bn1.running_mean')!.data[k]).toBeCloseTo(expected, 5);
      }
      expect(exported.get('conv1.weight')!.shape).toEqual([4, 3, 3, 3]);
      expect(Array.from(exported.get('conv1.weight')!.data)).toEqual(Array.from(w['conv1.weight'].data));
      expect(Array.from(exported.get('fc.weight')!.data)).toEqual(Array.from(w['fc.weight'].data));
      // An inference-compiled model refuses training-mode runs.
      const frozen = compileGraph(spec.graph, spec.weights);
      expect(() => frozen.run(x, ['fc'], { training: true })).toThrow(/compiled with \{ training: true \}/);
      frozen.dispose();
      tf.dispose([x, value, ...Object.values(grads)]);
    } finally {
      model.dispose();
      await new TfjsBackend({ engine: 'wasm' }).describe();
    }
  });
});
