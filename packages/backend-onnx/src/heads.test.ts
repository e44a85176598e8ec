/**
 * LPIPS heads compiled into the model must give what @percept/metrics' `lpips` gives on the taps
 * (to float32 rounding), for CNN maps and ViT tokens, lin and baseline, on either session thread;
 * with real weights they must reproduce the official LPIPS code's distances.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import { sharedAssets } from '@percept/core/testing';
import { concatBatches, type FeatureExtractor, type LpipsHeadSpec } from '@percept/core';
import backbones, { alexnet, readWeights, vit, type IRGraph, type IRModelSpec, type Preprocessing } from '@percept/backbones';
import { lpips, LpipsDistance } from '@percept/metrics';
import { readImage } from '@percept/images';
import { OnnxBackend } from './backend.js';
import { IMAGENET_PREPROCESSING, patternBatch, randomSpec } from './__fixtures__/random-models.js';

function specOf(graph: IRGraph, seed: number, size: [number, number] | null = null): IRModelSpec {
  return randomSpec(graph, seed, { ...IMAGENET_PREPROCESSING, size } as Preprocessing);
}

const batch = (n: number, size: number, seed: number) => patternBatch(n, seed, size);

/** Positive channel weights per tap, from the taps' channel counts. */
function linFor(features: Record<string, { shape: number[]; layout: string }>, taps: readonly string[]): Record<string, Float32Array> {
  return Object.fromEntries(taps.map((t, l) => {
    const f = features[t];
    const c = f.layout === 'NCHW' ? f.shape[1] : f.shape[f.shape.length - 1];
    return [t, Float32Array.from({ length: c }, (_, k) => 0.05 + ((k * 37 + l * 11) % 17) / 17)];
  }));
}

const open: FeatureExtractor[] = [];
afterAll(async () => { for (const e of open) await e.dispose(); });

async function load(spec: IRModelSpec, options: Record<string, unknown>, thread: 'worker' | 'main' = 'worker'): Promise<FeatureExtractor> {
  const e = await new OnnxBackend({ intraOpNumThreads: 1, sessionThread: thread }).load(spec, options);
  open.push(e);
  return e;
}

const pairs = { a: Int32Array.from([0, 0, 1, 2, 4]), b: Int32Array.from([3, 4, 5, 2, 1]) };

function take(f: { taps: Record<string, { data: Float32Array; shape: number[]; layout: string }> }, idx: Int32Array) {
  return {
    taps: Object.fromEntries(Object.entries(f.taps).map(([k, t]) => {
      const per = t.data.length / t.shape[0];
      const data = new Float32Array(idx.length * per);
      idx.forEach((i, j) => data.set(t.data.subarray(i * per, (i + 1) * per), j * per));
      return [k, { data, shape: [idx.length, ...t.shape.slice(1)], layout: t.layout }];
    })),
  };
}

describe('LPIPS heads compiled into the ONNX graph', () => {
  for (const [label, graph, size] of [
    ['alexnet (NCHW maps)', alexnet(), 64],
    ['a two-block ViT (tokens)', vit({ name: 'vit-tiny', patch: 8, imageSize: 32, dim: 32, layers: 2, heads: 2, mlpDim: 64, classes: 0 }), 32],
  ] as const) {
    it(`${label}: lin and baseline heads equal metrics' lpips on the taps, on both session threads`, async () => {
      const spec = specOf(graph as IRGraph, 11, label.startsWith('a two') ? [size, size] : null);
      const x = batch(6, size, 3);
      const plain = await load(spec, {}, 'main');
      const f = await plain.extract(x);
      const lin = linFor(f.taps, plain.taps);
      const heads: LpipsHeadSpec[] = [
        new LpipsDistance({ variant: 'lin', lin: { weights: lin } }).head('lin', plain.taps),
        new LpipsDistance({}).head('base', plain.taps),
      ];
      const expected = {
        lin: lpips(take(f, pairs.a), take(f, pairs.b), { variant: 'lin', lin: { weights: lin } }),
        base: lpips(take(f, pairs.a), take(f, pairs.b)),
      };
      for (const thread of ['worker', 'main'] as const) {
        const fused = await load(spec, { heads, tapOutputs: false }, thread);
        expect(fused.heads).toEqual(['lin', 'base']);
        expect(fused.taps).toEqual(plain.taps);
        const got = await fused.extract(x, { pairs });
        expect(Object.keys(got.taps)).toEqual([]);
        for (const id of ['lin', 'base'] as const) {
          const r = got.heads![id];
          expect(r.layers).toEqual([...plain.taps]);
          r.perLayer.forEach((values, l) => values.forEach((v, k) => {
            const want = expected[id].perLayer[l][k];
            expect(Math.abs(v - want), `${id} layer ${r.layers[l]} pair ${k} (${thread})`).toBeLessThanOrEqual(2e-5 * Math.abs(want) + 1e-9);
          }));
          r.total.forEach((v, k) => expect(Math.abs(v - expected[id].total[k])).toBeLessThanOrEqual(2e-5 * expected[id].total[k] + 1e-9));
        }
        // Pair (2, 2) compares an image with itself.
        expect(got.heads!.lin.total[3]).toBe(0);
      }
    });
  }

  it('returns taps beside heads unless told not to, and checks pairs and lin weights', async () => {
    const spec = specOf(alexnet(), 2);
    const heads = [new LpipsDistance({}).head('base', ['relu1', 'relu2', 'relu3', 'relu4', 'relu5'])];
    const both = await load(spec, { heads });
    const x = batch(6, 64, 1);
    const f = await both.extract(x, { pairs });
    expect(Object.keys(f.taps)).toEqual(['relu1', 'relu2', 'relu3', 'relu4', 'relu5']);
    expect(f.heads!.base.total.length).toBe(5);
    await expect(both.extract(x)).rejects.toThrow(/computes distance heads \(base\), so extract needs "pairs"/);
    await expect(both.extract(x, { pairs: { a: Int32Array.from([0]), b: Int32Array.from([6]) } })).rejects.toThrow(/pair 0 names image 6, but the batch has 6 images/);
    const wrong = new LpipsDistance({ variant: 'lin', lin: { weights: { relu1: new Float32Array(3), relu2: new Float32Array(192), relu3: new Float32Array(384), relu4: new Float32Array(256), relu5: new Float32Array(256) } } });
    await expect(new OnnxBackend({ intraOpNumThreads: 1 }).load(spec, { heads: [wrong.head('w', both.taps)] })).rejects.toThrow(/3 lin weights for layer "relu1", which has 64 channels/);
  });
});

const assets = sharedAssets('weights/alexnet-features.safetensors', 'weights/lpips-v0.1-alex-lin.safetensors', 'reference/lpips-examples.json', 'images/lpips-examples/ex_ref.png');

describe.skipIf(!assets.available)('LPIPS heads with real weights', () => {
  it('alexnet lin and baseline heads reproduce the official LPIPS distances to 1e-4', async () => {
    const reference = (JSON.parse(readFileSync(assets.refPath('lpips-examples.json'), 'utf8')) as { pairs: Array<{ net: string; variant: 'lin' | 'baseline'; a: string; b: string; distance: number; perLayer: number[] }> }).pairs
      .filter((p) => p.net === 'alex' && p.a === 'ex_ref.png');
    expect(reference.length).toBe(4);
    const contribution = backbones.contributes.find((c) => c.kind === 'backbone' && c.name === 'alexnet');
    if (contribution?.kind !== 'backbone') throw new Error('@percept/backbones does not contribute "alexnet"');
    const spec = (await contribution.build({ weights: 'pretrained' }, { baseDir: process.cwd() })) as IRModelSpec;
    const taps = ['relu1', 'relu2', 'relu3', 'relu4', 'relu5'];
    const file = await readWeights(assets.path('weights/lpips-v0.1-alex-lin.safetensors'));
    const lin = Object.fromEntries(taps.map((t, k) => [t, file.tensors.get(`lin${k}.model.1.weight`)!.data]));
    const heads = [new LpipsDistance({ variant: 'lin', lin: { weights: lin } }).head('lin', taps), new LpipsDistance({}).head('baseline', taps)];
    const extractor = await load(spec, { heads, tapOutputs: false });
    const dir = assets.path('images/lpips-examples');
    const x = concatBatches(await Promise.all(['ex_ref.png', 'ex_p0.png', 'ex_p1.png'].map((f) => readImage(`${dir}/${f}`))));
    const f = await extractor.extract(x, { pairs: { a: Int32Array.from([0, 0]), b: Int32Array.from([1, 2]) } });
    for (const ref of reference) {
      const k = ref.b === 'ex_p0.png' ? 0 : 1;
      const r = f.heads![ref.variant];
      expect(Math.abs(r.total[k] - ref.distance) / ref.distance, `${ref.variant} ${ref.b}`).toBeLessThan(1e-4);
      ref.perLayer.forEach((d, l) => expect(Math.abs(r.perLayer[l][k] - d) / d, `${ref.variant} ${ref.b} layer ${l}`).toBeLessThan(1e-4));
    }
  });
});
