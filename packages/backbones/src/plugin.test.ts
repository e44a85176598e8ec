import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Registry, InputError, type BackboneContribution } from '@percept/core';
import { sharedAssets } from '@percept/core/testing';
import plugin from './index.js';
import type { FileModelSpec, IRModelSpec } from './ir.js';
import { resnet6 } from './arch/resnet.js';
import { randomWeights } from './weights/random.js';
import { writeSafetensors } from './weights/safetensors.js';
import { lpipsPreprocessing, caffeBgr } from './preprocessing.js';

const registry = new Registry([plugin]);
const backbone = (name: string) => registry.get('backbone', name) as BackboneContribution;
let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'percept-backbones-')); });
afterAll(() => { rmSync(dir, { recursive: true, force: true }); });

describe('backbone contributions', () => {
  it('registers every architecture, the resnet presets and the file backbones', () => {
    const names = registry.list('backbone').map((c) => c.name);
    for (const n of ['alexnet', 'vgg16', 'squeezenet1_1', 'squeezenet1_0', 'resnet', 'resnet2', 'resnet3', 'resnet4', 'resnet5', 'resnet6', 'resnet8', 'resnet10', 'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'vit', 'onnx-file', 'tfjs-file']) {
      expect(names).toContain(n);
    }
    expect(backbone('resnet6').description).toMatch(/PR #991/);
    expect(backbone('alex').name).toBe('alexnet');
  });

  it('builds a seeded random model with a tap subset and provenance', async () => {
    const spec = (await backbone('resnet6').build({ weights: 'random', seed: 3, taps: ['layer3', 'layer1'], width: 0.25, classes: 10 }, { baseDir: dir })) as IRModelSpec;
    expect(spec.kind).toBe('ir');
    expect(Object.keys(spec.graph.taps)).toEqual(['layer1', 'layer3']);
    expect(spec.provenance).toEqual({ source: 'random', seed: 3 });
    expect(spec.weights.get('layer1.0.conv1.weight')!.shape).toEqual([16, 16, 3, 3]);
    const again = (await backbone('resnet6').build({ weights: 'random', seed: 3, width: 0.25, classes: 10 }, { baseDir: dir })) as IRModelSpec;
    expect(again.weights.get('fc.weight')!.data).toEqual(spec.weights.get('fc.weight')!.data);
  });

  it('builds the reduced-depth presets with only the taps they have, and names a bad "layers" for the generic resnet', async () => {
    expect(backbone('resnet2').description).toMatch(/our reading.*Taps stem/s);
    expect(backbone('resnet4').description).toMatch(/Taps layer1\.\.layer2: the 2 reduction stages it has \(16, 8 pixels/);
    expect(backbone('resnet3').description).toMatch(/Taps layer1: the 1 reduction stage it has/);
    const r2 = (await backbone('resnet2').build({ weights: 'random', seed: 1, width: 0.25, classes: 10 }, { baseDir: dir })) as IRModelSpec;
    expect(Object.keys(r2.graph.taps)).toEqual(['stem']);
    expect([...r2.weights.keys()].some((k) => k.startsWith('layer'))).toBe(false);
    const r5 = (await backbone('resnet5').build({ weights: 'random', seed: 1 }, { baseDir: dir })) as IRModelSpec;
    expect(Object.keys(r5.graph.taps)).toEqual(['layer1', 'layer2', 'layer3']);
    await expect(backbone('resnet3').build({ taps: ['layer2'] }, { baseDir: dir })).rejects.toThrow(/unknown tap "layer2".*available: layer1/);
    const two = (await backbone('resnet').build({ block: 'bottleneck', layers: [1, 1] }, { baseDir: dir })) as IRModelSpec;
    expect(Object.keys(two.graph.taps)).toEqual(['layer1', 'layer2']);
    await expect(backbone('resnet').build({ block: 'basic', layers: [] }, { baseDir: dir })).rejects.toThrow(/option "layers" is empty; .*preset "resnet2"/);
    await expect(backbone('resnet').build({ block: 'basic', layers: [1, 1, 1, 1, 1] }, { baseDir: dir })).rejects.toThrow(/option "layers" has 5 entries, but a ResNet has at most 4 block groups/);
    await expect(backbone('resnet').build({ block: 'bottleneck', layers: [0] }, { baseDir: dir })).rejects.toThrow(/"layers" may contain 0.*only with block "basic"/);
  });

  it('builds EfficientNet B0-B7 and the generic efficientnet with the paper\'s four reduction taps', async () => {
    const names = registry.list('backbone').map((c) => c.name);
    for (let i = 0; i <= 7; i++) expect(names).toContain(`efficientnet_b${i}`);
    expect(names).toContain('efficientnet');
    expect(backbone('efficientnet_b5').description).toMatch(/width 1\.6, depth 2\.2, classifier dropout 0\.4, batch norm eps 1e-3.*Taps reduction2\.\.reduction5.*features\.2, \.3, \.5 and \.7/);
    const b5 = (await backbone('efficientnet_b5').build({ weights: 'random', seed: 2, classes: 0, taps: ['reduction5', 'reduction3'] }, { baseDir: dir })) as IRModelSpec;
    expect(Object.keys(b5.graph.taps)).toEqual(['reduction3', 'reduction5']);
    expect(b5.graph.logits).toBeUndefined();
    expect(b5.graph.nodes.find((n) => n.id === 'features.0.1')).toMatchObject({ op: 'batchnorm', eps: 1e-3, momentum: 0.01 });
    expect(b5.weights.get('features.0.0.weight')!.shape).toEqual([48, 3, 3, 3]);
    expect(b5.preprocessing.mean).toEqual([0.485, 0.456, 0.406]);
    // A checkpoint written under torchvision names loads by path; width/depth scale a variant's coefficients.
    const tiny = (await backbone('efficientnet_b0').build({ width: 0.25, depth: 0.5, classes: 10, weights: 'random', seed: 4 }, { baseDir: dir })) as IRModelSpec;
    expect(tiny.graph.name).toBe('efficientnet_b0-w0.25-d0.5');
    writeFileSync(join(dir, 'eff.safetensors'), writeSafetensors(tiny.weights));
    const loaded = (await backbone('efficientnet').build({ width: 0.25, depth: 0.5, classes: 10, weights: 'eff.safetensors' }, { baseDir: dir })) as IRModelSpec;
    expect(loaded.weights.get('features.4.1.block.2.fc1.weight')!.data).toEqual(tiny.weights.get('features.4.1.block.2.fc1.weight')!.data);
    await expect(backbone('efficientnet_b0').build({ dropout: 1 }, { baseDir: dir })).rejects.toThrow(/option "dropout" must be a number in \[0, 1\), got 1/);
    await expect(backbone('efficientnet_b0').build({ taps: ['reduction1'] }, { baseDir: dir })).rejects.toThrow(/unknown tap "reduction1".*available: reduction2, reduction3, reduction4, reduction5/);
    await expect(backbone('efficientnet_b0').build({ weights: 'pretrained' }, { baseDir: dir })).rejects.toThrow(/no default pretrained weights in the model zoo/);
  });

  it('answers an unknown tap or option with did-you-mean', async () => {
    const err = await backbone('alexnet').build({ taps: ['relu6', 'rlu1'] }, { baseDir: dir }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/unknown tap "relu6".*available: relu1, relu2, relu3, relu4, relu5/);
    const typo = await backbone('squeezenet1_1').build({ taps: ['rel1'] }, { baseDir: dir }).catch((e) => e);
    expect(typo.hint).toMatch(/did you mean "relu1"/);
    const opt = await backbone('resnet18').build({ widht: 2 }, { baseDir: dir }).catch((e) => e);
    expect(opt.message).toMatch(/unknown option "widht"/);
    expect(opt.hint).toMatch(/"width"/);
  });

  it('loads a checkpoint path relative to baseDir, records its sha256 and checks an expected hash', async () => {
    const g = resnet6({ classes: 10, width: 0.25 });
    const bytes = writeSafetensors(randomWeights(g, 11));
    writeFileSync(join(dir, 'r6.bin'), bytes);
    const sha = createHash('sha256').update(bytes).digest('hex');
    const spec = (await backbone('resnet6').build({ weights: 'r6.bin', classes: 10, width: 0.25 }, { baseDir: dir })) as IRModelSpec;
    expect(spec.provenance).toEqual({ source: 'file', path: join(dir, 'r6.bin'), sha256: sha });
    expect(spec.weights.get('layer4.0.downsample.0.weight')!.data).toEqual(randomWeights(g, 11).get('layer4.0.downsample.0.weight')!.data);
    await expect(backbone('resnet6').build({ weights: 'r6.bin', classes: 10, width: 0.25, sha256: '0'.repeat(64) }, { baseDir: dir })).rejects.toThrow(/r6\.bin: sha256 [0-9a-f]{64} does not match/);
    await expect(backbone('resnet6').build({ weights: 'r6.bin', classes: 5, width: 0.25 }, { baseDir: dir })).rejects.toThrow(/r6\.bin: weights do not match model "resnet6".*wrong shape \(2\)/s);
  });

  it('explains zoo ids and missing files', async () => {
    await expect(backbone('resnet50').build({ weights: 'zoo:kumar/resnet50-64px' }, { baseDir: dir })).rejects.toThrow(/model zoo: unknown entry "kumar\/resnet50-64px"/);
    await expect(backbone('resnet50').build({ weights: 'kumar-resnet50' }, { baseDir: dir })).rejects.toThrow(/neither "random", "pretrained", "torchvision", a zoo id/);
    await expect(backbone('resnet50').build({ weights: 'missing.pth' }, { baseDir: dir })).rejects.toThrow(/file not found: .*missing\.pth/);
    await expect(backbone('resnet34').build({ weights: 'pretrained' }, { baseDir: dir })).rejects.toThrow(/no default pretrained weights in the model zoo/);
    await expect(backbone('resnet50').build({ weights: 'zoo:torchvision/alexnet' }, { baseDir: dir })).rejects.toThrow(/is for backbone "alexnet", not "resnet50"/);
  });

  it('applies preprocessing defaults and overrides', async () => {
    const alex = (await backbone('alexnet').build({}, { baseDir: dir })) as IRModelSpec;
    expect(alex.preprocessing).toBe(lpipsPreprocessing);
    // (x − (1+shift)/2)/(scale/2) reproduces LPIPS' (2x − 1 − shift)/scale exactly in float64.
    for (let c = 0; c < 3; c++) {
      const x = 0.3;
      const lp = (2 * x - 1 - [-0.030, -0.088, -0.188][c]) / [0.458, 0.448, 0.450][c];
      expect((x - alex.preprocessing.mean[c]) / alex.preprocessing.std[c]).toBeCloseTo(lp, 12);
    }
    const over = (await backbone('alexnet').build({ preprocessing: { size: [224, 224], resize: 'resize' } }, { baseDir: dir })) as IRModelSpec;
    expect(over.preprocessing.size).toEqual([224, 224]);
    expect(over.preprocessing.mean).toEqual(lpipsPreprocessing.mean);
    await expect(backbone('alexnet').build({ preprocessing: { resize: 'resize' } }, { baseDir: dir })).rejects.toThrow(/"preprocessing\.resize": "resize" needs a target "size"/);
    await expect(backbone('alexnet').build({ preprocessing: 'caffe' }, { baseDir: dir })).rejects.toThrow(/unknown preset "caffe"/);
    const vit = (await backbone('vit').build({ config: 'tiny', layers: 2, classes: 0 }, { baseDir: dir })) as IRModelSpec;
    expect(vit.preprocessing.size).toEqual([64, 64]);
    expect(Object.keys(vit.graph.taps)).toEqual(['block1', 'block2']);
  });

  it('describes user model files with their hash and required preprocessing', async () => {
    writeFileSync(join(dir, 'm.onnx'), 'not really onnx');
    const onnx = (await backbone('onnx-file').build({ path: 'm.onnx', preprocessing: 'torchvision-imagenet', taps: ['op:Conv'] }, { baseDir: dir })) as FileModelSpec;
    expect(onnx).toMatchObject({ kind: 'file', format: 'onnx', inputLayout: 'NCHW', taps: ['op:Conv'], sha256: createHash('sha256').update('not really onnx').digest('hex') });
    expect(onnx.preprocessing.size).toEqual([224, 224]);
    await expect(backbone('onnx-file').build({ path: 'm.onnx' }, { baseDir: dir })).rejects.toThrow(/"preprocessing" is required/);
    writeFileSync(join(dir, 'model.json'), JSON.stringify({ format: 'layers-model', modelTopology: {} }));
    const tfjs = (await backbone('tfjs-file').build({ path: 'model.json', preprocessing: 'none' }, { baseDir: dir })) as FileModelSpec;
    expect(tfjs).toMatchObject({ format: 'tfjs-layers', inputLayout: 'NHWC' });
  });
});

const assets = sharedAssets('weights/alexnet-features.safetensors', 'weights/squeezenet1_0-deepcompression.safetensors');
describe.skipIf(!assets.available)('pretrained weights from PERCEPT_ASSETS', () => {
  it('alexnet "pretrained" loads the torchvision trunk strictly', async () => {
    const spec = (await backbone('alexnet').build({ weights: 'pretrained' }, { baseDir: dir })) as IRModelSpec;
    expect(spec.provenance).toMatchObject({ source: 'zoo', zooId: 'torchvision/alexnet', path: assets.path('weights/alexnet-features.safetensors') });
    expect(spec.provenance.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(spec.weights.size).toBe(10);
  });

  it('squeezenet1_0 "pretrained" defaults to the Caffe classifier padding and preprocessing', async () => {
    const spec = (await backbone('squeezenet1_0').build({ weights: 'pretrained' }, { baseDir: dir })) as IRModelSpec;
    expect(spec.preprocessing).toBe(caffeBgr);
    const conv = spec.graph.nodes.find((n) => n.id === 'classifier.1');
    expect(conv && conv.op === 'conv2d' && conv.pads).toEqual([1, 1, 1, 1]);
    expect(spec.weights.get('classifier.1.weight')!.shape).toEqual([1000, 512, 1, 1]);
  });
});
