/**
 * The extractor keeps its input tensor's array from one batch to the next. Results must not depend
 * on that: batches of changing sizes and overlapping extract calls give what a fresh extractor gives.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { imageBatch, type FeatureExtractor, type ImageBatch } from '@percept/core';
import { alexnet, randomWeights, type IRModelSpec } from '@percept/backbones';
import { OnnxBackend } from './backend.js';

const graph = alexnet();
const spec: IRModelSpec = {
  kind: 'ir', name: 'alexnet', graph, weights: randomWeights(graph, 3),
  preprocessing: { size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] },
  provenance: { source: 'random', seed: 3 },
} as IRModelSpec;

function batch(n: number, seed: number): ImageBatch {
  const data = Float32Array.from({ length: n * 64 * 64 * 3 }, (_, i) => ((i * 2654435761 + seed * 97) % 1000) / 1000);
  return imageBatch(data, n, 64, 64);
}

const open: FeatureExtractor[] = [];
afterAll(async () => { for (const e of open) await e.dispose(); });

async function extractor(): Promise<FeatureExtractor> {
  const e = await new OnnxBackend({ intraOpNumThreads: 1 }).load(spec);
  open.push(e);
  return e;
}

describe('input buffer reuse', () => {
  it('gives the same features as fresh extractors across batch sizes and overlapping calls', async () => {
    const inputs = [batch(3, 1), batch(1, 2), batch(4, 3), batch(2, 4)];
    const expected = [];
    for (const x of inputs) expected.push((await (await extractor()).extract(x)).taps.relu5.data);
    const shared = await extractor();
    for (const [i, x] of inputs.entries()) expect((await shared.extract(x)).taps.relu5.data).toEqual(expected[i]);
    const overlapping = await Promise.all(inputs.map((x) => shared.extract(x)));
    overlapping.forEach((f, i) => expect(f.taps.relu5.data).toEqual(expected[i]));
  });
});
