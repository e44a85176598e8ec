import { describe, it, expect, afterAll } from 'vitest';
import { initTfjs, tf } from '@percept/backend-tfjs';
import { SeededRandom } from '@percept/backbones';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { efficientnet, imagenetNormalize, randomWeights, resnet6 } from '@percept/backbones';
import { enableWasmTraining, wasmTrainingEnabled } from './enable.js';
import { defaultTrainConfig, trainClassifier } from '../trainer.js';
import { syntheticSource } from '../testing-sources.js';

function randn(n: number, seed: number): Float32Array {
  const r = new SeededRandom(seed, 'grad-check');
  return Float32Array.from({ length: n }, () => r.normal());
}

type Case = { name: string; x: [number, number, number, number]; k: [number, number, number, number]; stride: number; pad: 'valid' | 'same' | [[number, number], [number, number], [number, number], [number, number]] };
const cases: Case[] = [
  { name: '3×3 stride 1, pad 1', x: [2, 7, 6, 3], k: [3, 3, 3, 4], stride: 1, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { name: '3×3 stride 2, pad 1 (ResNet-6 groups)', x: [2, 8, 8, 4], k: [3, 3, 4, 5], stride: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { name: '7×7 stride 2, pad 3 (the stem)', x: [1, 13, 11, 3], k: [7, 7, 3, 2], stride: 2, pad: [[0, 0], [3, 3], [3, 3], [0, 0]] },
  { name: '1×1 stride 2 projection', x: [3, 6, 6, 4], k: [1, 1, 4, 6], stride: 2, pad: 'valid' },
  { name: 'asymmetric pads, same', x: [2, 5, 9, 2], k: [2, 4, 2, 3], stride: 2, pad: 'same' },
];

/** d(Σ w·conv(x, W))/dW and /dx for a fixed random weighting w, on the current engine. */
function grads(c: Case): { dW: Float32Array; dx: Float32Array } {
  return tf.tidy(() => {
    const x = tf.tensor4d(randn(c.x.reduce((a, b) => a * b), 1), c.x);
    const W = tf.tensor4d(randn(c.k.reduce((a, b) => a * b), 2), c.k);
    const f = (xx: tf.Tensor4D, ww: tf.Tensor4D) => {
      const y = tf.conv2d(xx, ww, c.stride, c.pad);
      return tf.sum(tf.mul(y, tf.tensor(randn(y.size, 3), y.shape)));
    };
    const [gx, gW] = tf.grads((a, b) => f(a as tf.Tensor4D, b as tf.Tensor4D))([x, W]);
    return { dW: gW.dataSync() as Float32Array, dx: gx.dataSync() as Float32Array };
  });
}

type DwCase = { name: string; x: [number, number, number, number]; k: [number, number, number, number]; stride: number; pad: Case['pad']; bias?: boolean };
const depthwiseCases: DwCase[] = [
  { name: '3×3 stride 1, pad 1 (an MBConv depthwise)', x: [2, 7, 6, 5], k: [3, 3, 5, 1], stride: 1, pad: [[0, 0], [1, 1], [1, 1], [0, 0]] },
  { name: '5×5 stride 2, pad 2, odd size', x: [2, 9, 7, 4], k: [5, 5, 4, 1], stride: 2, pad: [[0, 0], [2, 2], [2, 2], [0, 0]] },
  { name: '3×3 stride 2, pad 1, even size, fused bias', x: [3, 8, 8, 6], k: [3, 3, 6, 1], stride: 2, pad: [[0, 0], [1, 1], [1, 1], [0, 0]], bias: true },
  { name: 'multiplier 2, same', x: [2, 6, 5, 3], k: [3, 2, 3, 2], stride: 2, pad: 'same' },
  { name: 'valid, rows no window reaches', x: [1, 8, 7, 2], k: [3, 3, 2, 3], stride: 3, pad: 'valid' },
];

/** Gradients of Σ w·depthwiseConv(x, W) (+ b) with respect to x, W (and b), on the current engine. */
function depthwiseGrads(c: DwCase): Float32Array[] {
  return tf.tidy(() => {
    const x = tf.tensor4d(randn(c.x.reduce((a, b) => a * b), 4), c.x);
    const W = tf.tensor4d(randn(c.k.reduce((a, b) => a * b), 5), c.k);
    const b = tf.tensor1d(randn(c.k[2] * c.k[3], 6));
    const pad = c.pad as 'valid';
    const f = (xx: tf.Tensor4D, ww: tf.Tensor4D, bb: tf.Tensor1D) => {
      const y = c.bias
        ? tf.fused.depthwiseConv2d({ x: xx, filter: ww, strides: c.stride, pad, bias: bb })
        : tf.depthwiseConv2d(xx, ww, c.stride, pad);
      return tf.sum(tf.mul(y, tf.tensor(randn(y.size, 7), y.shape)));
    };
    const gs = c.bias
      ? tf.grads((a, w, bb) => f(a as tf.Tensor4D, w as tf.Tensor4D, bb as tf.Tensor1D))([x, W, b])
      : tf.grads((a, w) => f(a as tf.Tensor4D, w as tf.Tensor4D, b))([x, W]);
    return gs.map((g) => g.dataSync() as Float32Array);
  });
}

describe('enableWasmTraining', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'percept-wasm-train-'));
  afterAll(async () => { rmSync(tmp, { recursive: true, force: true }); await initTfjs({ prefer: 'cpu' }); });

  it('registers a wasm Conv2DBackpropFilter whose gradients match the cpu engine', async () => {
    await initTfjs({ prefer: 'cpu' });
    const expected = cases.map(grads);
    await initTfjs({ prefer: 'wasm' });
    enableWasmTraining();
    enableWasmTraining(); // idempotent
    expect(wasmTrainingEnabled()).toBe(true);
    const before = tf.memory().numTensors;
    cases.forEach((c, i) => {
      const got = grads(c);
      expect(got.dW.length, c.name).toBe(expected[i].dW.length);
      let maxErr = 0, maxRef = 0;
      for (let k = 0; k < got.dW.length; k++) { maxErr = Math.max(maxErr, Math.abs(got.dW[k] - expected[i].dW[k])); maxRef = Math.max(maxRef, Math.abs(expected[i].dW[k])); }
      expect(maxErr / maxRef, c.name).toBeLessThan(1e-5);
      for (let k = 0; k < got.dx.length; k++) expect(got.dx[k]).toBeCloseTo(expected[i].dx[k], 3);
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('registers wasm depthwise-convolution gradients (input and filter) that match the cpu engine', async () => {
    await initTfjs({ prefer: 'cpu' });
    const expected = depthwiseCases.map(depthwiseGrads);
    await initTfjs({ prefer: 'wasm' });
    enableWasmTraining();
    const before = tf.memory().numTensors;
    const bytes = tf.memory().numBytes;
    depthwiseCases.forEach((c, i) => {
      const got = depthwiseGrads(c);
      expect(got.length, c.name).toBe(expected[i].length);
      got.forEach((g, j) => {
        const want = expected[i][j];
        expect(g.length, `${c.name} grad ${j}`).toBe(want.length);
        let maxErr = 0, maxRef = 0;
        for (let k = 0; k < g.length; k++) { maxErr = Math.max(maxErr, Math.abs(g[k] - want[k])); maxRef = Math.max(maxRef, Math.abs(want[k])); }
        expect(maxErr / maxRef, `${c.name} grad ${['x', 'W', 'b'][j]}`).toBeLessThan(1e-5);
      });
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytes);
  });

  it('trains a tiny EfficientNet on wasm deterministically, with losses matching the cpu engine', async () => {
    const graph = efficientnet({ width: 0.1, depth: 0.5, classes: 3 });
    const run = (dir: string) => trainClassifier({ ...defaultTrainConfig, steps: 2, batchSize: 6, imageSize: 16, lr: 0.01, checkpointEvery: 2 }, {
      model: { graph, weights: randomWeights(graph, 2), preprocessing: imagenetNormalize },
      train: syntheticSource({ classes: 3, perClass: 4, size: 16 }), outputDir: join(tmp, dir),
    });
    await initTfjs({ prefer: 'cpu' });
    const cpu = await run('effnet-cpu');
    await initTfjs({ prefer: 'wasm' });
    enableWasmTraining();
    const a = await run('effnet-wasm-a');
    const b = await run('effnet-wasm-b');
    expect(Array.from(b.losses)).toEqual(Array.from(a.losses));
    // Step 0 is the forward pass, step 1 follows one update with every gradient: both agree closely. Later
    // steps drift further apart (batch norm over 6 samples at 1×1 in the last stages amplifies rounding).
    a.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i]) / cpu.losses[i]).toBeLessThan(1e-4));
  });

  it('trains ResNet-6 on wasm deterministically, with losses matching the cpu engine', async () => {
    const graph = resnet6({ width: 0.125, classes: 3 });
    const run = (dir: string) => trainClassifier({ ...defaultTrainConfig, steps: 4, batchSize: 6, imageSize: 16, lr: 0.05, checkpointEvery: 4 }, {
      model: { graph, weights: randomWeights(graph, 2), preprocessing: imagenetNormalize },
      train: syntheticSource({ classes: 3, perClass: 4, size: 16 }), outputDir: join(tmp, dir),
    });
    await initTfjs({ prefer: 'cpu' });
    const cpu = await run('cpu');
    await initTfjs({ prefer: 'wasm' });
    enableWasmTraining();
    const a = await run('wasm-a');
    const b = await run('wasm-b');
    expect(Array.from(b.losses)).toEqual(Array.from(a.losses));
    a.losses.forEach((l, i) => expect(Math.abs(l - cpu.losses[i]) / cpu.losses[i]).toBeLessThan(1e-3));
  });
});
