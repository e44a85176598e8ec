/**
 * End to end on real weights: AlexNet on ONNX Runtime, LPIPS lin ("pretrained") and baseline, and
 * the Lab L2 baseline, scored by the job on a BAPPS-layout subset built from the LPIPS example
 * patches. The official LPIPS code gives d(ref, p0) > d(ref, p1) for both variants
 * (reference/lpips-examples.json), so with judges we choose the expected 2AFC follows by hand.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, type JobContext, type JsonValue } from '@percept/core';
import { sharedAssets } from '@percept/core/testing';
import { readImage } from '@percept/images';
import metrics from '@percept/metrics';
import backbones from '@percept/backbones';
import backendOnnx from '@percept/backend-onnx';
import { writeTwoAfcSubset } from './writer.js';
import { perceptualScoreJob } from './perceptual-score.js';
import { plugin } from './plugin.js';

const assets = sharedAssets(
  'weights/alexnet-features.safetensors', 'weights/lpips-v0.1-alex-lin.safetensors',
  'images/lpips-examples/ex_ref.png', 'reference/lpips-examples.json',
);

/** A job context rooted at `dir` whose records land in `records`. */
function jobContext(dir: string, records: Record<string, JsonValue>): JobContext {
  return {
    stepId: 'real', outputDir: dir, runDir: dir, baseDir: dir,
    registry: new Registry([metrics, backbones, backendOnnx, plugin]),
    signal: new AbortController().signal,
    log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
    progress: () => undefined,
    record: (k, v) => { records[k] = v; },
  };
}

describe.skipIf(!assets.available)('perceptual-score on real AlexNet features', () => {
  let root: string;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'percept-score-real-'));
    const img = (f: string) => readImage(assets.path(`images/lpips-examples/${f}`));
    const [ref, p0, p1] = await Promise.all([img('ex_ref.png'), img('ex_p0.png'), img('ex_p1.png')]);
    // Triplet 0 as given (p1 is closer); triplet 1 swapped (p0 is closer).
    await writeTwoAfcSubset(root, 'val', 'traditional', [{ ref, p0, p1, judge: 0.2 }, { ref, p0: p1, p1: p0, judge: 0.4 }]);
  });
  afterAll(async () => { await rm(root, { recursive: true, force: true }); });

  it('agrees with the official LPIPS ranking and records provenance', async () => {
    const reference = JSON.parse(await readFile(assets.refPath('lpips-examples.json'), 'utf8')) as {
      pairs: { net: string; variant: string; a: string; b: string; distance: number }[];
    };
    for (const variant of ['lin', 'baseline']) {
      const d = (b: string) => reference.pairs.find((p) => p.net === 'alex' && p.variant === variant && p.a === 'ex_ref.png' && p.b === b)!.distance;
      expect(d('ex_p1.png')).toBeLessThan(d('ex_p0.png')); // the premise of the expected values below
    }
    const records: Record<string, JsonValue> = {};
    const ctx = jobContext(root, records);
    const out = await perceptualScoreJob.run({
      root: '.', subsets: ['traditional'], jnd: false,
      backbone: { use: 'alex', with: { weights: 'pretrained' } },
      backend: { use: 'onnx', with: {} },
      distances: [
        { use: 'lpips', with: { variant: 'lin', lin: 'pretrained' } },
        { use: 'lpips', with: { variant: 'baseline' } },
        { use: 'l2', with: { colorspace: 'lab' } },
      ],
      bootstrap: false,
    }, ctx);
    // Triplet 0: d1 < d0, score = p = 0.2. Triplet 1: d0 < d1, score = 1 - p = 0.6. Mean 0.4.
    expect(out.ps).toEqual({ 'lpips-lin': expect.closeTo(40, 6), 'lpips-baseline': expect.closeTo(40, 6), 'l2-lab': expect.any(Number) });
    const lin = (out.distances as Record<string, { layers: string[]; layerPS: Record<string, number> }>)['lpips-lin'];
    expect(lin.layers).toEqual(['relu1', 'relu2', 'relu3', 'relu4', 'relu5']);
    expect(records['linWeights.lpips-lin']).toMatchObject({ file: assets.path('weights/lpips-v0.1-alex-lin.safetensors'), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(records.engine).toMatchObject({ engine: 'onnxruntime-node' });
    expect(records.backbone).toMatchObject({ use: 'alex', weights: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/) } });
    expect(records.preprocessing).toBeTruthy();
  });

  it('gives the same scores with LPIPS computed inside the model as on the returned taps', async () => {
    // 40 triplets of smooth random images: p0/p1 are the reference plus noise of varying strength.
    const dir = await mkdtemp(join(tmpdir(), 'percept-score-heads-'));
    try {
      let seed = 7;
      const rand = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
      const image = (base?: Float32Array, noise = 0) => {
        const data = new Float32Array(64 * 64 * 3);
        for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, base ? base[i] + noise * (rand() - 0.5) : 0.5 + 0.4 * Math.sin(i / (50 + 40 * rand()))));
        return { data, shape: [1, 64, 64, 3] as [number, number, number, number] };
      };
      const triplets = Array.from({ length: 40 }, () => {
        const ref = image();
        return { ref, p0: image(ref.data, 0.6 * rand()), p1: image(ref.data, 0.6 * rand()), judge: Math.round(rand() * 5) / 5 };
      });
      await writeTwoAfcSubset(dir, 'val', 'cnn', triplets);
      const run = async (distanceHeads: boolean) => {
        const records: Record<string, JsonValue> = {};
        const ctx = jobContext(dir, records);
        const out = await perceptualScoreJob.run({
          root: '.', subsets: ['cnn'], jnd: false, batchSize: 16, distanceHeads,
          backbone: { use: 'alexnet', with: { weights: 'pretrained' } },
          backend: { use: 'onnx', with: { intraOpNumThreads: 1 } },
          distances: [{ id: 'lin', use: 'lpips', with: { variant: 'lin', lin: 'pretrained' } }, { id: 'base', use: 'lpips', with: {} }],
          bootstrap: false,
        }, ctx);
        return { out, records };
      };
      const fused = await run(true);
      const plain = await run(false);
      const computedBy = (r: Record<string, JsonValue>, id: string) => ((r.distances as Record<string, { computedBy: string }>)[id]).computedBy;
      expect(computedBy(fused.records, 'lin')).toMatch(/inside the model/);
      expect(computedBy(plain.records, 'lin')).toMatch(/JavaScript/);
      expect(fused.out.ps).toEqual(plain.out.ps);
      const layerPS = (o: Record<string, JsonValue>, id: string) => (o.distances as Record<string, { layerPS: Record<string, number> }>)[id].layerPS;
      for (const id of ['lin', 'base']) expect(layerPS(fused.out, id)).toEqual(layerPS(plain.out, id));
      // The scores are not degenerate: the noise levels differ, so some triplets favour each side.
      expect((fused.out.ps as Record<string, number>).lin).toBeGreaterThan(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
