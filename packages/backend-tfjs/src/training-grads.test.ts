/**
 * Gradients through the ops EfficientNet adds (depthwise and grouped conv, SiLU, sigmoid, the SE
 * multiply, stochastic depth) on the tfjs cpu engine, the engine training runs on (wasm has no
 * convolution gradients).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { efficientnet, randomWeights, type IRNode } from '@percept/backbones';
import { compileGraph } from './compile.js';
import { initTfjs } from './engine.js';
import { nchwToNhwc, randomArr, rng, tinyGraph, weightMap } from './__fixtures__/naive.js';

beforeAll(async () => { await initTfjs({ prefer: 'cpu' }); });

const conv = (id: string, input: string, c: number, o: number, groups: number, k = 3, stride = 1): IRNode => ({
  op: 'conv2d', id, inputs: [input], param: id, inChannels: c, outChannels: o, kernel: [k, k], stride: [stride, stride],
  pads: [(k - 1) / 2, (k - 1) / 2, (k - 1) / 2, (k - 1) / 2], dilation: [1, 1], groups, bias: true,
});

describe('training gradients on the cpu engine', () => {
  it('match finite differences through depthwise (stride 2) and grouped conv, SiLU, sigmoid and a broadcast multiply', () => {
    // x → depthwise 3×3/2 (4 ch) → SiLU → SE-like scale: gap → 1×1 conv → sigmoid, times the map → grouped 3×3 (groups 2) → loss.
    const nodes: IRNode[] = [
      conv('dw', 'input', 4, 4, 4, 3, 2),
      { op: 'silu', id: 'act', inputs: ['dw'] },
      { op: 'globalavgpool', id: 'gap', inputs: ['act'] },
      conv('fc', 'gap', 4, 4, 1, 1),
      { op: 'sigmoid', id: 'gate', inputs: ['fc'] },
      { op: 'mul', id: 'se', inputs: ['gate', 'act'] },
      conv('grp', 'se', 4, 6, 2),
    ];
    const g = tinyGraph(nodes, [], { input: { name: 'input', channels: 4 } });
    const r = rng(3);
    const host = {
      'dw.weight': randomArr([4, 1, 3, 3], r), 'dw.bias': randomArr([4], r), 'fc.weight': randomArr([4, 4, 1, 1], r), 'fc.bias': randomArr([4], r),
      'grp.weight': randomArr([6, 2, 3, 3], r), 'grp.bias': randomArr([6], r),
    };
    const model = compileGraph(g, weightMap(host), { training: true });
    const xin = nchwToNhwc(randomArr([2, 4, 7, 7], r));
    const x = tf.tensor4d(xin.data, xin.shape as [number, number, number, number]);
    const target = tf.tidy(() => tf.sin(tf.range(0, 2 * 4 * 4 * 6).reshape([2, 4, 4, 6])));
    const loss = () => tf.tidy(() => tf.mean(tf.square(tf.sub(model.run(x, ['grp'], { training: true })['grp'], target))) as tf.Scalar);
    try {
      const vars = model.trainableVariables();
      expect(vars).toHaveLength(6);
      const { grads } = tf.variableGrads(loss, vars);
      for (const [name, v] of model.params) {
        const grad = grads[(v as tf.Variable).name].dataSync();
        expect(grad.every(Number.isFinite), name).toBe(true);
        expect(grad.some((gv) => gv !== 0), name).toBe(true);
        // Central differences on a few entries of each parameter (tfjs layout: HWIO for convs).
        const values = v.dataSync().slice();
        for (const i of [0, Math.floor(values.length / 2), values.length - 1]) {
          const h = 1e-2;
          const at = (delta: number) => {
            const moved = values.slice();
            moved[i] += delta;
            (v as tf.Variable).assign(tf.tensor(moved, v.shape));
            return loss().dataSync()[0];
          };
          const numeric = (at(h) - at(-h)) / (2 * h);
          (v as tf.Variable).assign(tf.tensor(values, v.shape));
          expect(Math.abs(grad[i] - numeric), `${name}[${i}]: analytic ${grad[i]}, numeric ${numeric}`).toBeLessThan(2e-3 + 2e-2 * Math.abs(numeric));
        }
      }
      tf.dispose(Object.values(grads));
    } finally {
      tf.dispose([x, target]);
      model.dispose();
    }
  });

  it('a tiny EfficientNet: every parameter gets a finite, non-zero gradient; stochastic depth is seeded per run and the identity at inference', () => {
    // No classifier dropout: every seeded difference below comes from stochastic depth.
    const g = efficientnet({ width: 0.1, depth: 0.5, classes: 3, stochasticDepth: 0.5, dropout: 0 });
    const model = compileGraph(g, randomWeights(g, 0), { training: true });
    const x = tf.tensor4d(Float32Array.from({ length: 4 * 32 * 32 * 3 }, (_, i) => Math.sin(i * 0.37)), [4, 32, 32, 3]);
    const labels = tf.oneHot(tf.tensor1d([0, 1, 2, 1], 'int32'), 3);
    const out = g.logits!;
    const seed = (s: number, stream = 'dropout:0') => ({ seed: s, stream });
    const forward = (dropoutSeed: { seed: number; stream: string }) =>
      tf.tidy(() => Array.from(model.run(x, [out], { training: true, dropoutSeed })[out].dataSync()));
    try {
      const { value, grads } = tf.variableGrads(() => tf.tidy(() =>
        tf.losses.softmaxCrossEntropy(labels, model.run(x, [out], { training: true, dropoutSeed: seed(1) })[out] as tf.Tensor2D) as tf.Scalar));
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      const trainable = model.trainableVariables();
      // Every weight, bias and BN affine parameter; not the running statistics.
      expect(trainable).toHaveLength(g.params.filter((p) => !p.optional && !/running_(mean|var)$/.test(p.name)).length);
      const dead: string[] = [];
      for (const [name, v] of model.params) {
        if (!(v instanceof tf.Variable) || !v.trainable) continue;
        const gv = grads[v.name].dataSync();
        if (!gv.every(Number.isFinite) || !gv.some((d) => d !== 0)) dead.push(name);
      }
      expect(dead).toEqual([]);
      tf.dispose([value, ...Object.values(grads)]);

      // Stochastic depth (rate up to 0.5 here): the same seed and stream give the same logits, another seed others.
      expect(g.nodes.filter((n) => n.op === 'stochasticdepth').length).toBeGreaterThan(0);
      const a = forward(seed(5));
      expect(forward(seed(5))).toEqual(a);
      expect(forward(seed(6))).not.toEqual(a);
      expect(() => model.run(x, [out], { training: true })).toThrow(/stochastic-depth node "features\.4\.1\.stochastic_depth" \(rate [\d.]+\) is active in a training-mode run, but the run has no "dropoutSeed"/);
      // Inference ignores it (and any seed): the same weights without stochastic depth give the same logits.
      const bare = efficientnet({ width: 0.1, depth: 0.5, classes: 3, stochasticDepth: 0, dropout: 0 });
      expect(bare.nodes.some((n) => n.op === 'stochasticdepth')).toBe(false);
      const inference = compileGraph(g, randomWeights(g, 0));
      const inferenceBare = compileGraph(bare, randomWeights(bare, 0));
      try {
        const logits = (m: typeof model, dropoutSeed?: { seed: number; stream: string }) =>
          tf.tidy(() => Array.from(m.run(x, [m.graph.logits!], { dropoutSeed })[m.graph.logits!].dataSync()));
        expect(logits(inference, seed(5))).toEqual(logits(inferenceBare));
      } finally {
        inference.dispose();
        inferenceBare.dispose();
      }
    } finally {
      tf.dispose([x, labels]);
      model.dispose();
    }
  });
});
