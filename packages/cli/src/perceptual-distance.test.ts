/**
 * createPerceptualDistance on seeded random AlexNet weights (no shared assets needed): batching,
 * agreement with @percept/metrics on the same features, lin weights from a file, pixel metrics,
 * and the errors a caller can hit. Real-weight fidelity lives in test/lpips-fidelity.test.ts.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { batchItem, concatBatches, InputError, type ImageBatch } from '@percept/core';
import { writeSafetensors } from '@percept/backbones';
import { l2Distance, lpips } from '@percept/metrics';
import { createPerceptualDistance, checkPair, type PerceptualDistance } from './perceptual-distance.js';

/** Deterministic [n,h,w,3] images in [0,1] (xorshift), different per seed. */
function noise(n: number, h: number, w: number, seed: number): ImageBatch {
  let s = seed * 2654435761 >>> 0 || 1;
  const data = new Float32Array(n * h * w * 3);
  for (let i = 0; i < data.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    data[i] = s / 4294967296;
  }
  return { data, shape: [n, h, w, 3] };
}

const ALEX_CHANNELS = [64, 192, 384, 256, 256];
const H = 48, W = 40;

describe('createPerceptualDistance (random AlexNet on onnx)', () => {
  let dir: string;
  let baseline: PerceptualDistance;
  const a = noise(2, H, W, 1), b = noise(2, H, W, 2);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'percept-pd-'));
    baseline = await createPerceptualDistance({ backbone: 'alexnet', weights: 'random', variant: 'baseline' });
  });
  afterAll(async () => {
    await baseline?.dispose();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives zero for identical images and positive values otherwise, per layer', async () => {
    const same = await baseline.distance(a, a);
    expect(same.layers).toEqual(['relu1', 'relu2', 'relu3', 'relu4', 'relu5']);
    for (const v of same.total) expect(v).toBeLessThan(1e-6);
    const diff = await baseline.distance(a, b);
    expect(diff.total.length).toBe(2);
    for (const v of diff.total) expect(v).toBeGreaterThan(1e-3);
    const sum = diff.perLayer.reduce((acc, l) => acc + l[0], 0);
    expect(diff.total[0]).toBeCloseTo(sum, 5);
  });

  it('scores a batch exactly as the pairs one at a time (features are split back correctly)', async () => {
    const both = await baseline.distance(a, b);
    const first = await baseline.distance(batchItem(a, 0), batchItem(b, 0));
    const second = await baseline.distance(batchItem(a, 1), batchItem(b, 1));
    expect(both.total[0]).toBeCloseTo(first.total[0], 5);
    expect(both.total[1]).toBeCloseTo(second.total[0], 5);
    // The two pairs differ, so a mix-up of halves would show.
    expect(Math.abs(first.total[0] - second.total[0])).toBeGreaterThan(1e-4);
  });

  it('equals @percept/metrics lpips on the features it exposes, and records what ran', async () => {
    const [fa, fb] = [await baseline.features(a), await baseline.features(b)];
    const direct = lpips(fa, fb, { variant: 'baseline' });
    const viaApi = await baseline.distance(a, b);
    for (let i = 0; i < 2; i++) expect(viaApi.total[i]).toBeCloseTo(direct.total[i], 5);
    const info = baseline.info();
    expect(info).toMatchObject({ distance: 'lpips', direction: 'distance', settings: { variant: 'baseline' } });
    expect(info.backbone).toMatchObject({ name: 'alexnet', weights: { source: 'random', seed: 0 }, layers: ['relu1', 'relu2', 'relu3', 'relu4', 'relu5'] });
    // LPIPS v0.1 ScalingLayer on [0,1] input: mean (1+shift)/2, std scale/2.
    expect(info.backbone!.preprocessing).toMatchObject({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    expect(info.engine?.engine).toBe('onnxruntime-node');
  });

  it('returns a spatial map at the input size that is zero for identical images', async () => {
    const map = await baseline.spatial(a, b);
    expect(map.shape).toEqual([2, H, W]);
    expect(map.total.length).toBe(2 * H * W);
    expect(map.layers.length).toBe(5);
    expect(Math.min(...map.total)).toBeGreaterThanOrEqual(0);
    const zero = await baseline.spatial(a, a);
    expect(Math.max(...zero.total)).toBeLessThan(1e-6);
  });

  it('reads lin weights from a file: all-ones weights reproduce the baseline, doubled weights double it', async () => {
    const file = (k: number) => join(dir, `lin-${k}.safetensors`);
    for (const k of [1, 2]) {
      const tensors = new Map(ALEX_CHANNELS.map((c, l) => [`lin${l}.model.1.weight`, { data: new Float32Array(c).fill(k), shape: [1, c, 1, 1] }]));
      await writeFile(file(k), writeSafetensors(tensors));
    }
    const ref = await baseline.distance(a, b);
    for (const k of [1, 2]) {
      const d = await createPerceptualDistance({ backbone: 'alex', weights: 'random', variant: 'lin', lin: file(k) });
      try {
        const r = await d.distance(a, b);
        expect(r.total[0]).toBeCloseTo(k * ref.total[0], 4);
        expect(r.perLayer[4][1]).toBeCloseTo(k * ref.perLayer[4][1], 4);
        expect(d.info().lin).toMatchObject({ file: file(k), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
      } finally {
        await d.dispose();
      }
    }
  });

  it('rejects lin weights with the wrong channel count, naming the key', async () => {
    const bad = join(dir, 'bad-lin.safetensors');
    const tensors = new Map(ALEX_CHANNELS.map((c, l) => [`lin${l}.model.1.weight`, { data: new Float32Array(l === 2 ? c - 1 : c).fill(1), shape: [1, l === 2 ? c - 1 : c, 1, 1] }]));
    await writeFile(bad, writeSafetensors(tensors));
    await expect(createPerceptualDistance({ weights: 'random', lin: bad })).rejects.toThrow(/lin2.model.1.weight has 383 channel weights but tap "relu3" of backbone "alexnet" has 384 channels/);
  });

  it('errors on mismatched inputs, naming the sizes and counts', async () => {
    await expect(baseline.distance(a, noise(2, H, W + 1, 3))).rejects.toThrow(`image sizes differ, ${W}x${H} vs ${W + 1}x${H} (WxH)`);
    await expect(baseline.distance(a, batchItem(b, 0))).rejects.toThrow('the inputs hold 2 and 1 images');
    expect(() => checkPair(a, { data: new Float32Array(5), shape: [1, 2, 2, 3] })).toThrow(/second input is not an \[N,H,W,3\] float32 ImageBatch/);
  });
});

describe('createPerceptualDistance on tfjs', () => {
  it('agrees with onnx on random weights and frees every tensor on dispose', async () => {
    const { tf, initTfjs } = await import('@percept/backend-tfjs');
    await initTfjs({ prefer: 'wasm' });
    const before = tf.memory().numTensors;
    const a = noise(2, 32, 32, 7), b = noise(2, 32, 32, 8);
    const onTfjs = await createPerceptualDistance({ weights: 'random', variant: 'baseline', backend: 'tfjs', backendOptions: { engine: 'wasm' } });
    const onOnnx = await createPerceptualDistance({ weights: 'random', variant: 'baseline' });
    try {
      const [x, y] = [await onTfjs.distance(a, b), await onOnnx.distance(a, b)];
      for (let i = 0; i < 2; i++) expect(Math.abs(x.total[i] - y.total[i]) / y.total[i]).toBeLessThan(1e-4);
      await onTfjs.spatial(a, b);
    } finally {
      await onTfjs.dispose();
      await onOnnx.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('createPerceptualDistance: pixel metrics and option errors', () => {
  const a = noise(1, 16, 16, 4), b = noise(1, 16, 16, 5);

  it('computes pixel metrics without any model, matching @percept/metrics', async () => {
    const d = await createPerceptualDistance({ distance: 'l2' });
    const r = await d.distance(a, b);
    expect(r.total[0]).toBeCloseTo(l2Distance(a, b, 'lab').total[0], 6);
    expect(r.layers).toEqual([]);
    expect(d.info()).toMatchObject({ distance: 'l2', direction: 'distance' });
    await expect(d.spatial(a, b)).rejects.toThrow(/compares pixels; it has no spatial map/);
    const psnr = await createPerceptualDistance({ distance: 'psnr' });
    expect(psnr.info().direction).toBe('similarity');
    expect((await psnr.distance(a, concatBatches([a]))).total[0]).toBe(Infinity);
    expect((await psnr.distance(a, b)).total[0]).toBeLessThan(20);
  });

  it('rejects options that cannot apply, and unknown names with a suggestion', async () => {
    await expect(createPerceptualDistance({ distance: 'ssim', backbone: 'alexnet' })).rejects.toThrow(/"ssim" compares pixels, so option "backbone"/);
    await expect(createPerceptualDistance({ distance: 'mean-pool', variant: 'lin' })).rejects.toThrow(/applies only to the lpips distance/);
    await expect(createPerceptualDistance({ variant: 'baseline', lin: 'x.safetensors', weights: 'random' })).rejects.toThrow(/baseline variant.*does not use them/);
    await expect(createPerceptualDistance({ distance: 'lpip' })).rejects.toThrow(/Unknown distance "lpip".*lpips/);
  });

  it('names the missing trunk file, where it looked, and how to provide it', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'percept-noassets-'));
    const saved = process.env.PERCEPT_ASSETS;
    process.env.PERCEPT_ASSETS = empty;
    try {
      const err = await createPerceptualDistance({ backbone: 'squeezenet1_1' }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).message).toContain(`weights/squeezenet1_1-features.safetensors under ${empty}`);
      expect((err as InputError).hint).toMatch(/--weights FILE.*PERCEPT_ASSETS/);
    } finally {
      if (saved === undefined) delete process.env.PERCEPT_ASSETS; else process.env.PERCEPT_ASSETS = saved;
      await rm(empty, { recursive: true, force: true });
    }
  });

  it('refuses to run after dispose', async () => {
    const d = await createPerceptualDistance({ weights: 'random', variant: 'baseline' });
    await d.dispose();
    await expect(d.distance(a, b)).rejects.toThrow(/used after dispose/);
  });
});
