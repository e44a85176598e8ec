import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkOptions, checkOutputs, definePlugin, Registry,
  type DistanceResult, type Features, type ImageBatch, type JobContext, type JsonValue,
} from '@percept/core';
import { readImage } from '@percept/images';
import { readNpy, npyToNumbers } from '@percept/dataset-bapps';
import { distortionMargin } from './margin.js';
import { sensitivityJob } from './sensitivity.js';
import { synthTwoAfc } from './synth.js';

describe('distortionMargin', () => {
  it('uses unanimous triplets only: far = the patch nobody chose', () => {
    const r = distortionMargin([1, 2, 3], [0.5, 4, 3], [1, 0, 0.5]);
    expect(r).toEqual({ n: 2, seen: 3, far: 2.5, near: 1.25, margin: 1.25 });
    expect(distortionMargin([1], [2], [0.4]).margin).toBeNull();
    expect(() => distortionMargin([1, 2], [1], [1, 0])).toThrow(/expected equal counts/);
  });
});

/** Mean squared pixel difference per sample. */
function mse(a: ImageBatch, b: ImageBatch): Float32Array {
  const [n] = a.shape;
  const per = a.data.length / n;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let k = 0; k < per; k++) s += (a.data[i * per + k] - b.data[i * per + k]) ** 2;
    out[i] = s / per;
  }
  return out;
}

/** Per-image mean colour (tap "mean", [N,1,1,3]) and 2x2 block means (tap "blocks", [N,2,2,3]). */
function fakeFeatures(batch: ImageBatch): Features {
  const [n, h, w] = batch.shape;
  const mean = new Float32Array(n * 3);
  const blocks = new Float32Array(n * 12);
  for (let i = 0; i < n; i++) {
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        for (let c = 0; c < 3; c++) {
          const v = batch.data[((i * h + y) * w + x) * 3 + c];
          mean[i * 3 + c] += v / (h * w);
          blocks[i * 12 + ((y < h / 2 ? 0 : 1) * 2 + (x < w / 2 ? 0 : 1)) * 3 + c] += v / ((h * w) / 4);
        }
      }
    }
  }
  return { taps: { mean: { data: mean, shape: [n, 1, 1, 3], layout: 'NHWC' }, blocks: { data: blocks, shape: [n, 2, 2, 3], layout: 'NHWC' } } };
}

function tapDistance(a: Features, b: Features): DistanceResult {
  const layers = Object.keys(a.taps);
  const n = a.taps[layers[0]].shape[0];
  const perLayer = layers.map((l) => {
    const ta = a.taps[l], tb = b.taps[l];
    const per = ta.data.length / n;
    return Float32Array.from({ length: n }, (_, i) => {
      let s = 0;
      for (let k = 0; k < per; k++) s += (ta.data[i * per + k] - tb.data[i * per + k]) ** 2;
      return s;
    });
  });
  const total = Float32Array.from({ length: n }, (_, i) => perLayer.reduce((s, p) => s + p[i], 0));
  return { total, perLayer, layers };
}

const schema = { type: 'object' };
const registry = new Registry([definePlugin({
  name: 'test-fakes', version: '0.0.0',
  contributes: [
    { kind: 'distance', name: 'mse', description: 'test', optionsSchema: schema, create: () => ({ input: 'pixels', name: 'mse', settings: {}, compute: (a, b) => ({ total: mse(a, b), perLayer: [], layers: [] }) }) },
    { kind: 'distance', name: 'taps', description: 'test', optionsSchema: schema, create: () => ({ input: 'features', name: 'taps', settings: {}, compute: tapDistance }) },
    { kind: 'backbone', name: 'fake', description: 'test', optionsSchema: schema, build: () => ({ kind: 'fake', name: 'fake' }) },
    {
      kind: 'backend', name: 'fake', description: 'test', optionsSchema: schema,
      create: () => ({
        name: 'fake',
        describe: async () => ({ engine: 'fake', engineVersion: '0', provider: 'cpu' }),
        load: async () => ({ taps: ['mean', 'blocks'], extract: async (b: ImageBatch) => fakeFeatures(b), info: () => ({ engine: 'fake', engineVersion: '0', provider: 'cpu' }), dispose: () => {} }),
      }),
    },
  ],
})]);

const tmp = await mkdtemp(join(tmpdir(), 'percept-sens-'));
afterAll(() => rm(tmp, { recursive: true, force: true }));

function context(): JobContext & { recorded: Record<string, JsonValue> } {
  const recorded: Record<string, JsonValue> = {};
  return {
    stepId: 'sens', outputDir: tmp, runDir: tmp, baseDir: tmp, registry,
    signal: new AbortController().signal,
    log: { info() {}, warn() {}, debug() {} },
    progress() {},
    record: (k, v) => { recorded[k] = v; },
    recorded,
  };
}

describe('distortion-sensitivity job', () => {
  beforeAll(async () => {
    await synthTwoAfc({ out: join(tmp, 'data'), count: 5, subsets: ['blur', 'noise'], sharedSeed: true, seed: 2 });
  });

  it('computes the pooled and per-subset margins of a pixel distance', async () => {
    const options = checkOptions(sensitivityJob, { root: 'data', distances: [{ use: 'mse' }], batchSize: 4 }, 'test');
    const out = await sensitivityJob.run(options, context());
    expect(() => checkOutputs(sensitivityJob, out, 'test')).not.toThrow();
    expect(out.subsets).toEqual(['blur', 'noise']);
    expect(out.unanimous).toEqual({ blur: 5, noise: 5 });
    // Recompute by hand from the files.
    const d0: number[] = [], d1: number[] = [], p: number[] = [];
    for (const s of ['blur', 'noise']) {
      for (let i = 0; i < 5; i++) {
        const dir = join(tmp, 'data', '2afc', 'val', s);
        const [ref, p0, p1] = await Promise.all(['ref', 'p0', 'p1'].map((f) => readImage(join(dir, f, `00000${i}.png`))));
        d0.push(mse(ref, p0)[0]);
        d1.push(mse(ref, p1)[0]);
        p.push(npyToNumbers(await readNpy(join(dir, 'judge', `00000${i}.npy`)))[0]);
      }
    }
    const expected = distortionMargin(d0, d1, p);
    const got = (out.distances as Record<string, Record<string, Record<string, number>>>).mse.pooled;
    expect(got.n).toBe(10);
    expect(got.margin).toBeCloseTo(expected.margin!, 6);
    // Shared seeds make the far patch the more distorted one in pixels: a positive margin.
    expect(got.margin).toBeGreaterThan(0);
  });

  it('runs feature distances through the backbone, with per-layer margins', async () => {
    const ctx = context();
    const out = await sensitivityJob.run({ root: join(tmp, 'data'), subsets: ['noise'], backbone: { use: 'fake' }, backend: { use: 'fake' }, distances: [{ use: 'taps' }, { use: 'taps' }] }, ctx);
    const d = out.distances as Record<string, { layers: string[]; layerMargin: Record<string, number>; pooled: { n: number; margin: number } }>;
    expect(Object.keys(d)).toEqual(['taps', 'taps-2']);
    expect(d.taps.layers).toEqual(['mean', 'blocks']);
    expect(Object.keys(d.taps.layerMargin)).toEqual(['mean', 'blocks']);
    expect(d.taps.pooled.n).toBe(5);
    expect(d.taps.pooled.margin).toBeCloseTo(d.taps.layerMargin.mean + d.taps.layerMargin.blocks, 6);
    expect(ctx.recorded.engine).toMatchObject({ engine: 'fake' });
  });

  it('names bad options', async () => {
    await expect(sensitivityJob.run({ root: 'data', distances: [{ use: 'taps' }] }, context())).rejects.toThrow(/option "backbone" is required/);
    await expect(sensitivityJob.run({ root: 'data', distances: [] }, context())).rejects.toThrow(/option "distances" must be a non-empty array/);
    await expect(sensitivityJob.run({ root: 'nowhere', distances: [{ use: 'mse' }] }, context())).rejects.toThrow(/cannot list subsets in .*nowhere/);
    await expect(sensitivityJob.run({ root: 'data', distances: [{ use: 'mse', id: 'a' }, { use: 'mse', id: 'a' }] }, context())).rejects.toThrow(/distances\[1\]\.id" must be unique/);
  });
});

describe('synthetic data through the perceptual-score job of @percept/dataset-bapps', () => {
  it('scores 100 for a pixel distance when p0 and p1 share their random draws', async () => {
    const { perceptualScoreJob } = await import('@percept/dataset-bapps');
    await synthTwoAfc({ out: join(tmp, 'scored'), count: 4, subsets: ['blur', 'photometric'], sharedSeed: true, jnd: true, seed: 8 });
    const out = await perceptualScoreJob.run(
      { root: 'scored', subsets: ['blur', 'photometric'], jnd: ['blur', 'photometric'], distances: [{ use: 'mse', id: 'mse' }], bootstrap: false },
      context(),
    );
    expect(out.subsets).toEqual(['blur', 'photometric']);
    expect((out.ps as Record<string, number>).mse).toBe(100);
    expect(out.counts).toEqual({ blur: 4, photometric: 4 });
    // Ordinal JND answers follow the stratification: pairs 0 and 3 "same", 1 and 2 "different".
    const same = await Promise.all([0, 1, 2, 3].map(async (i) => npyToNumbers(await readNpy(join(tmp, 'scored', 'jnd', 'val', 'blur', 'same', `00000${i}.npy`)))[0]));
    expect(same).toEqual([1, 0, 0, 1]);
  });
});
