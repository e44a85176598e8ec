/**
 * The extractor normalises in JavaScript instead of in a graph head; the network must see the same
 * float32 values either way, so its taps equal those of the self-contained model (head compiled in)
 * bit for bit.
 */
import { describe, it, expect, afterAll } from 'vitest';
import * as ort from 'onnxruntime-node';
import { imageBatch, type FeatureExtractor } from '@percept/core';
import { alexnet, randomWeights, type IRModelSpec, type Preprocessing } from '@percept/backbones';
import { OnnxBackend } from './backend.js';
import { compileModelSpec } from './compile.js';

const graph = alexnet();
const weights = randomWeights(graph, 9);
const open: FeatureExtractor[] = [];
afterAll(async () => { for (const e of open) await e.dispose(); });

const cases: Array<[string, Preprocessing]> = [
  ['LPIPS scaling (x·2 − 1 − shift) / scale', { size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'RGB', scale: 2, mean: [0.94, 0.892, 0.812], std: [0.458, 0.448, 0.45] }],
  ['torchvision ImageNet mean/std', { size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }],
  ['BGR, 0–255 scale, mean only', { size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'BGR', scale: 255, mean: [103.53, 116.28, 123.675], std: [1, 1, 1] }],
];

describe('normalisation in JavaScript', () => {
  for (const [label, preprocessing] of cases) {
    it(`gives the in-graph head's taps bit for bit: ${label}`, async () => {
      const spec = { kind: 'ir', name: 'alexnet', graph, weights, preprocessing, provenance: { source: 'random', seed: 9 } } as unknown as IRModelSpec;
      const n = 3;
      const data = Float32Array.from({ length: n * 64 * 64 * 3 }, (_, i) => ((i * 7919) % 1013) / 1012);
      const extractor = await new OnnxBackend({ intraOpNumThreads: 1 }).load(spec, { taps: ['relu1', 'relu5'] });
      open.push(extractor);
      const ours = await extractor.extract(imageBatch(data, n, 64, 64));

      const standalone = compileModelSpec(spec, { taps: ['relu1', 'relu5'] });
      const session = await ort.InferenceSession.create(standalone.encode(), { intraOpNumThreads: 1, executionProviders: ['cpu'] });
      const nchw = new Float32Array(data.length);
      for (let b = 0; b < n; b++) for (let p = 0; p < 64 * 64; p++) for (let c = 0; c < 3; c++) nchw[(b * 3 + c) * 4096 + p] = data[(b * 4096 + p) * 3 + c];
      const out = await session.run({ [standalone.inputName]: new ort.Tensor('float32', nchw, [n, 3, 64, 64]) });
      await session.release();
      for (const o of standalone.outputs) {
        const theirs = out[o.output].data as Float32Array;
        expect(ours.taps[o.key].data.length).toBe(theirs.length);
        expect(ours.taps[o.key].data).toEqual(theirs);
      }
    });
  }
});
