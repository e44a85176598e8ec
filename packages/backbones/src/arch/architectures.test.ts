import { describe, it, expect } from 'vitest';
import { sharedAssets } from '@percept/core/testing';
import type { IRGraph } from '../ir.js';
import { alexnet } from './alexnet.js';
import { vgg16 } from './vgg.js';
import { squeezenet1_0, squeezenet1_1 } from './squeezenet.js';
import { vit } from './vit.js';
import { inferShapes } from '../graph/shapes.js';
import { readSafetensors } from '../weights/safetensors.js';
import { loadWeightsStrict } from '../weights/strict.js';

function taps(graph: IRGraph, size: number): Record<string, readonly number[]> {
  const shapes = inferShapes(graph, [1, 3, size, size]);
  return Object.fromEntries(Object.entries(graph.taps).map(([t, s]) => [t, shapes.get(s.node)!]));
}
const spatial = (t: Record<string, readonly number[]>) => Object.values(t).map((s) => s[2]);
const channels = (t: Record<string, readonly number[]>) => Object.values(t).map((s) => s[1]);

describe('architecture shapes', () => {
  it('alexnet: taps relu1..relu5 at 15, 7, 3, 3, 3 (64×64) and the classifier at 224', () => {
    const t64 = taps(alexnet(), 64);
    expect(Object.keys(t64)).toEqual(['relu1', 'relu2', 'relu3', 'relu4', 'relu5']);
    expect(spatial(t64)).toEqual([15, 7, 3, 3, 3]);
    expect(channels(t64)).toEqual([64, 192, 384, 256, 256]);
    const full = alexnet({ classifier: true });
    expect(spatial(taps(full, 224))).toEqual([55, 27, 13, 13, 13]);
    expect(inferShapes(full, [2, 3, 224, 224]).get(full.logits!)).toEqual([2, 1000]);
    expect(() => inferShapes(full, [1, 3, 64, 64])).toThrow(/node "classifier\.1" \(dense\): expects last axis 9216/);
  });

  it('vgg16: relu1_2..relu5_3 at 64, 32, 16, 8, 4', () => {
    const g = vgg16();
    const t = taps(g, 64);
    expect(Object.keys(t)).toEqual(['relu1_2', 'relu2_2', 'relu3_3', 'relu4_3', 'relu5_3']);
    expect(spatial(t)).toEqual([64, 32, 16, 8, 4]);
    expect(channels(t)).toEqual([64, 128, 256, 512, 512]);
    expect(Object.values(g.taps).map((s) => s.node)).toEqual(['features.3', 'features.8', 'features.15', 'features.22', 'features.29']);
    const full = vgg16({ classifier: true, classes: 7 });
    expect(inferShapes(full, [1, 3, 224, 224]).get(full.logits!)).toEqual([1, 7]);
    expect(full.params.map((p) => p.name)).toContain('classifier.6.weight');
  });

  it('squeezenet1_1: 7 LPIPS taps with ceil-mode pooling', () => {
    const g = squeezenet1_1();
    const t = taps(g, 64);
    expect(Object.keys(t)).toEqual(['relu1', 'relu2', 'relu3', 'relu4', 'relu5', 'relu6', 'relu7']);
    expect(channels(t)).toEqual([64, 128, 256, 384, 384, 512, 512]);
    expect(spatial(t)).toEqual([31, 15, 7, 3, 3, 3, 3]);
    expect(Object.values(g.taps).map((s) => s.node)).toEqual(['features.1', 'features.4', 'features.7', 'features.9', 'features.10', 'features.11', 'features.12']);
  });

  it('squeezenet1_0: Caffe padding changes only the classifier map size', () => {
    const caffe = squeezenet1_0({ caffePaddedClassifier: true });
    const plain = squeezenet1_0();
    const t = taps(caffe, 227);
    expect(Object.keys(t)).toEqual(['conv1', 'fire2', 'fire3', 'fire4', 'fire5', 'fire6', 'fire7', 'fire8', 'fire9']);
    expect(spatial(t)).toEqual([111, 55, 55, 55, 27, 27, 27, 27, 13]);
    expect(inferShapes(caffe, [1, 3, 227, 227]).get('classifier.2')).toEqual([1, 1000, 15, 15]);
    expect(inferShapes(plain, [1, 3, 227, 227]).get('classifier.2')).toEqual([1, 1000, 13, 13]);
    expect(inferShapes(caffe, [3, 3, 64, 64]).get(caffe.logits!)).toEqual([3, 1000]);
  });

  it('vit: CLS taps per block and logits', () => {
    const g = vit({ imageSize: 64, patch: 8, layers: 3, heads: 4, dim: 64, mlpDim: 128, classes: 10 });
    const shapes = inferShapes(g, [2, 3, 64, 64]);
    expect(Object.keys(g.taps)).toEqual(['block1', 'block2', 'block3']);
    for (const s of Object.values(g.taps)) expect(shapes.get(s.node)).toEqual([2, 64]);
    expect(shapes.get('encoder.pos_embedding')).toEqual([2, 65, 64]);
    expect(shapes.get(g.logits!)).toEqual([2, 10]);
    expect(() => inferShapes(g, [1, 3, 32, 32])).toThrow(/node "encoder\.pos_embedding".*\[1, 65, 64\].*\[1, 17, 64\]/);
    expect(() => vit({ imageSize: 64, patch: 8, layers: 1, heads: 5, dim: 64, mlpDim: 8 })).toThrow(/"dim" \(64\) must be divisible by "heads" \(5\)/);
    expect(() => vit({ imageSize: 64, patch: 8, layers: 1, heads: 4, dim: 64, mlpDim: 8, dropout: 1 })).toThrow(/"dropout" must be in \[0, 1\)/);
    const train = vit({ imageSize: 32, patch: 8, layers: 1, heads: 4, dim: 64, mlpDim: 8, dropout: 0.1 });
    expect(train.nodes.filter((n) => n.op === 'dropout').map((n) => n.id)).toEqual(['encoder.dropout', 'encoder.layers.encoder_layer_0.dropout', 'encoder.layers.encoder_layer_0.mlp.2', 'encoder.layers.encoder_layer_0.mlp.4']);
  });
});

const assets = sharedAssets(
  'weights/alexnet-features.safetensors', 'weights/squeezenet1_1-features.safetensors',
  'weights/squeezenet1_0-deepcompression.safetensors', 'reference/vit-tiny-p8.safetensors',
);

async function expectSameParams(graph: IRGraph, file: string, ignore: string[] = []) {
  const w = await readSafetensors(file);
  const keys = [...w.tensors.keys()].filter((k) => !ignore.some((p) => k.startsWith(p))).sort();
  const required = graph.params.filter((p) => !p.optional);
  expect(required.map((p) => p.name).sort()).toEqual(keys);
  for (const p of required) expect(w.tensors.get(p.name)!.shape, p.name).toEqual(p.shape);
  expect(loadWeightsStrict(graph, w, { ignore }).size).toBe(required.length);
  return w;
}

describe.skipIf(!assets.available)('parameter names equal the real checkpoints', () => {
  it('alexnet trunk', async () => { await expectSameParams(alexnet(), assets.path('weights/alexnet-features.safetensors')); });
  it('squeezenet1_1 trunk', async () => { await expectSameParams(squeezenet1_1(), assets.path('weights/squeezenet1_1-features.safetensors')); });
  it('squeezenet1_0 Deep Compression classifier', async () => {
    const w = await expectSameParams(squeezenet1_0({ caffePaddedClassifier: true }), assets.path('weights/squeezenet1_0-deepcompression.safetensors'));
    expect(w.metadata.architecture).toMatch(/padding=1/);
  });
  it('vit-tiny-p8 reference (config from its __metadata__)', async () => {
    const g = vit({ imageSize: 64, patch: 8, layers: 3, heads: 4, dim: 64, mlpDim: 128, classes: 10 });
    const w = await expectSameParams(g, assets.refPath('vit-tiny-p8.safetensors'), ['input', 'expected.']);
    expect(w.metadata.architecture).toContain('num_layers=3, num_heads=4, hidden_dim=64, mlp_dim=128');
    const shapes = inferShapes(g, w.tensors.get('input')!.shape);
    for (let i = 0; i < 3; i++) {
      expect(shapes.get(g.taps[`block${i + 1}`].node)).toEqual(w.tensors.get(`expected.encoder.layers.encoder_layer_${i}`)!.shape);
    }
    expect(shapes.get(g.logits!)).toEqual(w.tensors.get('expected.logits')!.shape);
  });
});
