/**
 * Backbones through the built-in registry, as a workflow builds them, on both backends: with the
 * same seeded random weights, onnxruntime and tfjs give the same taps (NCHW shapes at 64×64) and
 * logits. Covers the reduced-depth ResNet presets (ResNet-2's only tap is a max-pool output;
 * ResNet-3..5 stop after 1-3 groups) and full-size EfficientNet-B0 and -B5 (their four reduction
 * taps at 16, 8, 4, 2 pixels). Exact parity with PyTorch is checked in the backends' parity tests.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { Registry, imageBatch, type BackboneContribution, type FeatureExtractor } from '@percept/core';
import backbones, { type IRModelSpec } from '@percept/backbones';
import { OnnxBackend } from '@percept/backend-onnx';
import { TfjsBackend } from '@percept/backend-tfjs';

const registry = new Registry([backbones]);
const open: FeatureExtractor[] = [];
afterAll(async () => { for (const e of open) await e.dispose(); });

/** Two 64×64 images with varied pixels. */
function pixels(): ReturnType<typeof imageBatch> {
  const n = 2 * 64 * 64 * 3;
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = ((i * 2654435761) % 1000) / 1000;
  return imageBatch(data, 2, 64, 64);
}

function maxRelError(a: Float32Array, b: Float32Array): number {
  let err = 0, scale = 0;
  for (let i = 0; i < a.length; i++) { err = Math.max(err, Math.abs(a[i] - b[i])); scale = Math.max(scale, Math.abs(b[i])); }
  return err / scale;
}

function toNchw(data: Float32Array, [n, h, w, c]: number[]): Float32Array {
  const out = new Float32Array(data.length);
  for (let b = 0; b < n; b++) for (let p = 0; p < h * w; p++) for (let ch = 0; ch < c; ch++) out[(b * c + ch) * h * w + p] = data[(b * h * w + p) * c + ch];
  return out;
}

/** Builds `name` with `options`, runs both backends and compares every tap and the logits. */
async function expectBackendsAgree(name: string, options: Record<string, unknown>, shapes: Record<string, number[]>): Promise<void> {
  const backbone = registry.get('backbone', name) as BackboneContribution;
  const spec = (await backbone.build({ weights: 'random', seed: 5, classes: 10, ...options }, { baseDir: '.' })) as IRModelSpec;
  expect(Object.keys(spec.graph.taps)).toEqual(Object.keys(shapes));
  const onnx = await new OnnxBackend({ intraOpNumThreads: 1 }).load(spec, { logits: true });
  open.push(onnx);
  const tfjs = await new TfjsBackend({ engine: 'wasm' }).load(spec, { logits: true });
  open.push(tfjs);
  const x = pixels();
  const [a, b] = [await onnx.extract(x), await tfjs.extract(x)];
  for (const [tap, shape] of Object.entries(shapes)) {
    expect(a.taps[tap].shape, `${name} ${tap} onnx`).toEqual(shape);
    expect(a.taps[tap].layout).toBe('NCHW');
    // tfjs computes NHWC; compare in the layout each one reports.
    const t = b.taps[tap];
    const tNchw = t.layout === 'NCHW' ? t.data : toNchw(t.data, t.shape as number[]);
    expect(a.taps[tap].data.every(Number.isFinite), `${name} ${tap}: finite`).toBe(true);
    expect(a.taps[tap].data.some((v) => v > 0), `${name} ${tap}: some units fire`).toBe(true);
    expect(maxRelError(tNchw, a.taps[tap].data), `${name} ${tap}`).toBeLessThanOrEqual(1e-4);
  }
  expect(a.logits!.shape).toEqual([2, 10]);
  expect(maxRelError(b.logits!.data, a.logits!.data), `${name} logits`).toBeLessThanOrEqual(1e-4);
}

describe('reduced-depth ResNets on onnx and tfjs', () => {
  const cases: Array<[string, Record<string, number[]>]> = [
    ['resnet2', { stem: [2, 16, 16, 16] }],
    ['resnet3', { layer1: [2, 16, 16, 16] }],
    ['resnet4', { layer1: [2, 16, 16, 16], layer2: [2, 32, 8, 8] }],
    ['resnet5', { layer1: [2, 16, 16, 16], layer2: [2, 32, 8, 8], layer3: [2, 64, 4, 4] }],
    ['resnet8', { layer1: [2, 16, 16, 16], layer2: [2, 32, 8, 8], layer3: [2, 64, 4, 4], layer4: [2, 128, 2, 2] }],
  ];
  for (const [name, shapes] of cases) {
    it(`${name}: same taps (NCHW shapes at 64×64) and logits within 1e-4 on both backends`, () => expectBackendsAgree(name, { width: 0.25 }, shapes));
  }
});

describe('EfficientNet on onnx and tfjs', () => {
  const cases: Array<[string, Record<string, number[]>]> = [
    ['efficientnet_b0', { reduction2: [2, 24, 16, 16], reduction3: [2, 40, 8, 8], reduction4: [2, 112, 4, 4], reduction5: [2, 320, 2, 2] }],
    ['efficientnet_b5', { reduction2: [2, 40, 16, 16], reduction3: [2, 64, 8, 8], reduction4: [2, 176, 4, 4], reduction5: [2, 512, 2, 2] }],
  ];
  for (const [name, shapes] of cases) {
    it(`${name}: same reduction taps (NCHW shapes at 64×64) and logits within 1e-4 on both backends`, () => expectBackendsAgree(name, {}, shapes));
  }
});
