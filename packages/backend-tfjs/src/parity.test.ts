/**
 * Parity with PyTorch: seeded random torchvision networks whose outputs were computed by the
 * official code (../shared/reference). The IR graphs come from @percept/backbones and are built
 * from the constructor arguments recorded in each file's __metadata__.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { sharedAssets } from '@percept/core/testing';
import { imageBatch } from '@percept/core';
import { fileURLToPath } from 'node:url';
import { efficientnet, loadWeightsStrict, readSafetensors, resnet, vit, type IRGraph, type IRModelSpec, type Preprocessing, type WeightFile } from '@percept/backbones';
import * as tf from '@tensorflow/tfjs';
import { TfjsBackend } from './backend.js';
import { compileGraph } from './compile.js';
import { initTfjs } from './engine.js';
import { nchwToNhwc, nhwcToNchw, relMaxError } from './__fixtures__/naive.js';

const assets = sharedAssets('reference/resnet-basic-1111.safetensors', 'reference/resnet-bottleneck-1111.safetensors', 'reference/vit-tiny-p8.safetensors');

/** The reference inputs are already network inputs: [0,1), no normalisation. */
const identity: Preprocessing = {
  size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1],
};

function intArg(meta: string, key: string): number {
  const m = new RegExp(`${key}=(\\d+)`).exec(meta);
  if (!m) throw new Error(`__metadata__.architecture lacks ${key}: ${meta}`);
  return Number(m[1]);
}

function graphFor(file: WeightFile): IRGraph {
  const arch = file.metadata.architecture ?? '';
  const res = /ResNet\((BasicBlock|Bottleneck),\s*\[([\d,\s]+)\]/.exec(arch);
  if (res) {
    return resnet({
      block: res[1] === 'BasicBlock' ? 'basic' : 'bottleneck',
      layers: res[2].split(',').map((s) => Number(s.trim())),
      classes: intArg(arch, 'num_classes'),
    });
  }
  if (arch.includes('VisionTransformer')) {
    return vit({
      imageSize: intArg(arch, 'image_size'), patch: intArg(arch, 'patch_size'), layers: intArg(arch, 'num_layers'),
      heads: intArg(arch, 'num_heads'), dim: intArg(arch, 'hidden_dim'), mlpDim: intArg(arch, 'mlp_dim'), classes: intArg(arch, 'num_classes'),
    });
  }
  throw new Error(`unrecognised architecture in __metadata__: ${arch}`);
}

async function checkParity(fileName: string, tapToExpected: Record<string, string>, engine: 'wasm' | 'cpu' = 'wasm', graphOf = graphFor): Promise<void> {
  const file = await readSafetensors(fileName.includes('/') ? fileName : assets.refPath(fileName));
  const graph = graphOf(file);
  const weights = loadWeightsStrict(graph, file, { ignore: ['input', 'expected.'] });
  const spec: IRModelSpec = { kind: 'ir', name: graph.name, graph, weights, preprocessing: identity, provenance: { source: 'file', path: fileName } };
  const backend = new TfjsBackend({ engine });
  const extractor = await backend.load(spec, { taps: Object.keys(tapToExpected), logits: true });
  try {
    expect(extractor.info().engine).toBe(`tfjs-${engine}`);
    const input = file.tensors.get('input')!;
    const nhwc = nchwToNhwc({ data: input.data, shape: [...input.shape] });
    const feats = await extractor.extract(imageBatch(nhwc.data, input.shape[0], input.shape[2], input.shape[3]));
    for (const [tap, key] of Object.entries(tapToExpected)) {
      const want = file.tensors.get(key)!;
      const got = feats.taps[tap];
      const gotTorch = got.shape.length === 4 ? nhwcToNchw(got) : { data: got.data, shape: [...got.shape] };
      expect(gotTorch.shape, tap).toEqual([...want.shape]);
      expect(relMaxError(gotTorch.data, want.data), tap).toBeLessThanOrEqual(1e-4);
    }
    const logits = file.tensors.get('expected.logits')!;
    expect(feats.logits!.shape).toEqual([...logits.shape]);
    expect(relMaxError(feats.logits!.data, logits.data)).toBeLessThanOrEqual(1e-4);
  } finally {
    await extractor.dispose();
  }
}

const resnetTaps = { layer1: 'expected.layer1', layer2: 'expected.layer2', layer3: 'expected.layer3', layer4: 'expected.layer4' };

describe.skipIf(!assets.available)('parity with PyTorch on the wasm engine', () => {
  beforeAll(async () => { await new TfjsBackend({ engine: 'wasm' }).describe(); });

  it('ResNet(BasicBlock, [1,1,1,1]): layer1..layer4 and logits', async () => {
    await checkParity('resnet-basic-1111.safetensors', resnetTaps);
  });

  it('ResNet(Bottleneck, [1,1,1,1]): layer1..layer4 and logits', async () => {
    await checkParity('resnet-bottleneck-1111.safetensors', resnetTaps);
  });

  // torchvision zero-initialises a ViT's head, so these seeded logits are all zero: the ViT logits
  // check guards shapes and NaNs only; the three CLS taps carry the real comparison.
  it('ViT (64px, patch 8, 3 blocks): CLS token after each block and logits', async () => {
    await checkParity('vit-tiny-p8.safetensors', {
      block1: 'expected.encoder.layers.encoder_layer_0',
      block2: 'expected.encoder.layers.encoder_layer_1',
      block3: 'expected.encoder.layers.encoder_layer_2',
    });
  });
});

/**
 * EfficientNet against torchvision: the reduced B0 (width 0.1, depth 0.5, 10 classes) that
 * packages/backbones/src/__fixtures__/efficientnet_reference.py writes (random weights, batch-norm
 * statistics and biases; 2×3×48×48 input; eval-mode outputs). Committed, so it runs everywhere; on
 * cpu too, the engine training uses (depthwise conv, SiLU, sigmoid, the SE multiply).
 */
describe('parity with torchvision EfficientNet (committed fixture)', () => {
  const fixture = fileURLToPath(new URL('../../backbones/src/__fixtures__/efficientnet-reference.safetensors', import.meta.url));
  const taps = {
    reduction2: 'expected.features.2', reduction3: 'expected.features.3', reduction4: 'expected.features.5', reduction5: 'expected.features.7',
  };
  const graphOf = (file: WeightFile) => {
    expect(file.metadata.architecture).toContain('width_mult=0.1, depth_mult=0.5');
    return efficientnet({ width: 0.1, depth: 0.5, classes: 10 });
  };
  for (const engine of ['wasm', 'cpu'] as const) {
    it(`${engine}: reduction2..reduction5 (features.2, .3, .5, .7) and logits`, async () => {
      await checkParity(fixture, taps, engine, graphOf);
    });
  }

  it('inference fusion (batch norm folded into the depthwise and 1×1 convs) keeps the logits', async () => {
    await initTfjs({ prefer: 'wasm' });
    const file = await readSafetensors(fixture);
    const graph = graphOf(file);
    const weights = loadWeightsStrict(graph, file, { ignore: ['input', 'expected.'] });
    const input = file.tensors.get('input')!;
    const nhwc = nchwToNhwc({ data: input.data, shape: [...input.shape] });
    const x = tf.tensor4d(nhwc.data, nhwc.shape as [number, number, number, number]);
    const plain = compileGraph(graph, weights);
    const fused = compileGraph(graph, weights, { fuse: true });
    try {
      const logits = (m: typeof plain) => tf.tidy(() => m.run(x, [graph.logits!])[graph.logits!].dataSync() as Float32Array);
      const want = file.tensors.get('expected.logits')!.data;
      expect(relMaxError(logits(fused), want)).toBeLessThanOrEqual(1e-4);
      expect(relMaxError(logits(fused), logits(plain))).toBeLessThanOrEqual(1e-5);
    } finally {
      x.dispose(); plain.dispose(); fused.dispose();
    }
  });
});
