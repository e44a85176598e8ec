/**
 * Parity with PyTorch: seeded random torchvision networks whose outputs were computed by the
 * official code (../shared/reference). Tolerance: max |error| ≤ 1e-4 × max |expected|.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { sharedAssets } from '@percept/core/testing';
import { imageBatch, type FeatureExtractor } from '@percept/core';
import { fileURLToPath } from 'node:url';
import {
  efficientnet, loadWeightsStrict, readSafetensors, resnet, vit,
  type IRGraph, type IRModelSpec, type Preprocessing, type WeightTensor,
} from '@percept/backbones';
import { OnnxBackend } from './backend.js';
import { relativeError } from './__fixtures__/reference-ops.js';

const assets = sharedAssets('reference/resnet-basic-1111.safetensors', 'reference/resnet-bottleneck-1111.safetensors', 'reference/vit-tiny-p8.safetensors');

/** [0,1] input, no normalisation: exactly what the reference networks were fed. */
const identity: Preprocessing = {
  size: [64, 64], resize: 'none', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1],
};

/** Builds the IR graph from the constructor call recorded in `__metadata__.architecture`. */
function graphFromMetadata(architecture: string): IRGraph {
  const res = /^torchvision ResNet\((BasicBlock|Bottleneck), \[([\d,\s]+)\], num_classes=(\d+)\)$/.exec(architecture);
  if (res) {
    return resnet({ block: res[1] === 'BasicBlock' ? 'basic' : 'bottleneck', layers: res[2].split(',').map(Number), classes: Number(res[3]) });
  }
  const v = /^torchvision VisionTransformer\((.*)\)$/.exec(architecture);
  if (v) {
    const args = Object.fromEntries(v[1].split(',').map((kv) => kv.trim().split('=')).map(([k, val]) => [k, Number(val)]));
    return vit({
      imageSize: args.image_size, patch: args.patch_size, layers: args.num_layers, heads: args.num_heads,
      dim: args.hidden_dim, mlpDim: args.mlp_dim, classes: args.num_classes,
    });
  }
  throw new Error(`unrecognised architecture in __metadata__: ${architecture}`);
}

function nchwToNhwc(t: WeightTensor) {
  const [n, c, h, w] = t.shape;
  const out = new Float32Array(t.data.length);
  for (let b = 0; b < n; b++) for (let ch = 0; ch < c; ch++) for (let p = 0; p < h * w; p++) {
    out[(b * h * w + p) * c + ch] = t.data[(b * c + ch) * h * w + p];
  }
  return imageBatch(out, n, h, w);
}

const open: FeatureExtractor[] = [];
afterAll(async () => { for (const e of open) await e.dispose(); });

describe.skipIf(!assets.available)('parity with torchvision reference outputs', () => {
  const cases: Array<[string, Record<string, string>]> = [
    ['resnet-basic-1111.safetensors', { layer1: 'layer1', layer2: 'layer2', layer3: 'layer3', layer4: 'layer4' }],
    ['resnet-bottleneck-1111.safetensors', { layer1: 'layer1', layer2: 'layer2', layer3: 'layer3', layer4: 'layer4' }],
    ['vit-tiny-p8.safetensors', {
      block1: 'encoder.layers.encoder_layer_0', block2: 'encoder.layers.encoder_layer_1', block3: 'encoder.layers.encoder_layer_2',
    }],
  ];
  for (const [file, tapToExpected] of cases) {
    it(`${file}: every tap and the logits within 1e-4 of PyTorch`, async () => {
      const ref = await readSafetensors(assets.refPath(file));
      const graph = graphFromMetadata(ref.metadata.architecture);
      const weights = loadWeightsStrict(graph, ref, { ignore: ['input', 'expected.'] });
      const spec: IRModelSpec = { kind: 'ir', name: graph.name, graph, weights, preprocessing: identity, provenance: { source: 'file', path: file } };
      const extractor = await new OnnxBackend({ intraOpNumThreads: 1 }).load(spec, { taps: Object.keys(tapToExpected), logits: true });
      open.push(extractor);
      expect(extractor.taps).toEqual(Object.keys(tapToExpected));
      const features = await extractor.extract(nchwToNhwc(ref.tensors.get('input')!));
      for (const [tap, key] of Object.entries(tapToExpected)) {
        const expected = ref.tensors.get(`expected.${key}`)!;
        const got = features.taps[tap];
        expect(got.shape, tap).toEqual(expected.shape);
        expect(got.layout).toBe(expected.shape.length === 4 ? 'NCHW' : 'NC');
        expect(relativeError(got.data, expected.data), tap).toBeLessThanOrEqual(1e-4);
      }
      const logits = ref.tensors.get('expected.logits')!;
      expect(features.logits?.shape).toEqual(logits.shape);
      expect(relativeError(features.logits!.data, logits.data)).toBeLessThanOrEqual(1e-4);
      expect(extractor.info()).toMatchObject({ engine: 'onnxruntime-node', provider: 'cpu', threads: 1 });
    });
  }
});

/**
 * EfficientNet against torchvision: the reduced B0 (width 0.1, depth 0.5, 10 classes) that
 * packages/backbones/src/__fixtures__/efficientnet_reference.py writes, with its random weights,
 * batch-norm statistics and biases, its 2×3×48×48 input and torchvision's eval-mode outputs. The
 * fixture is committed, so this runs everywhere.
 */
describe('parity with torchvision EfficientNet (committed fixture)', () => {
  it('reduction2..reduction5 (features.2, .3, .5, .7) and the logits within 1e-4 of PyTorch', async () => {
    const path = fileURLToPath(new URL('../../backbones/src/__fixtures__/efficientnet-reference.safetensors', import.meta.url));
    const ref = await readSafetensors(path);
    const graph = efficientnet({ width: 0.1, depth: 0.5, classes: 10 });
    const weights = loadWeightsStrict(graph, ref, { ignore: ['input', 'expected.'] });
    const spec: IRModelSpec = {
      kind: 'ir', name: graph.name, graph, weights, preprocessing: { ...identity, size: null }, provenance: { source: 'file', path },
    };
    const tapToExpected = { reduction2: 'features.2', reduction3: 'features.3', reduction4: 'features.5', reduction5: 'features.7' };
    const extractor = await new OnnxBackend({ intraOpNumThreads: 1 }).load(spec, { taps: Object.keys(tapToExpected), logits: true });
    open.push(extractor);
    const features = await extractor.extract(nchwToNhwc(ref.tensors.get('input')!));
    for (const [tap, key] of Object.entries(tapToExpected)) {
      const expected = ref.tensors.get(`expected.${key}`)!;
      expect(features.taps[tap].shape, tap).toEqual(expected.shape);
      expect(relativeError(features.taps[tap].data, expected.data), tap).toBeLessThanOrEqual(1e-4);
    }
    const logits = ref.tensors.get('expected.logits')!;
    expect(features.logits?.shape).toEqual(logits.shape);
    expect(relativeError(features.logits!.data, logits.data)).toBeLessThanOrEqual(1e-4);
  });
});
