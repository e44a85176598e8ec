import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkOptions, checkOutputs, definePlugin, Registry,
  type Backend, type DistanceResult, type FeatureExtractor, type Features, type ImageBatch, type JobContext, type JsonValue,
} from '@percept/core';
import { writeJndSubset, writeTwoAfcSubset } from './writer.js';
import { perceptualScoreJob } from './perceptual-score.js';

/* A fake network: two "layers" computed from each image's mean grey value v in [0,1]:
 * tap "a" = v, tap "b" = (v - 0.5)², both as NC [N,1] vectors. */
const layerB = (v: number) => (v - 0.5) ** 2;
let extractCalls: number[] = [];
let disposed = 0;

function fakeExtractor(): FeatureExtractor {
  return {
    taps: ['a', 'b'],
    async extract(batch: ImageBatch): Promise<Features> {
      const [n, h, w] = batch.shape;
      extractCalls.push(n);
      const a = new Float32Array(n), b = new Float32Array(n);
      const len = h * w * 3;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < len; k++) s += batch.data[i * len + k];
        a[i] = s / len;
        b[i] = layerB(a[i]);
      }
      return { taps: { a: { data: a, shape: [n, 1], layout: 'NC' }, b: { data: b, shape: [n, 1], layout: 'NC' } } };
    },
    info: () => ({ engine: 'fake', engineVersion: '0', provider: 'js' }),
    dispose: () => { disposed++; },
  };
}

/** |a - b| per layer, summed over layers. */
function absDiff(x: Float32Array, y: Float32Array): Float32Array {
  return x.map((v, i) => Math.abs(v - y[i]));
}

const fakePlugin = definePlugin({
  name: 'fake-test-plugin',
  version: '9.9.9',
  contributes: [
    {
      kind: 'backend', name: 'fake', description: 'test backend', optionsSchema: {},
      create: (): Backend => ({
        name: 'fake',
        load: async () => fakeExtractor(),
        describe: async () => ({ engine: 'fake', engineVersion: '0', provider: 'js' }),
      }),
    },
    {
      kind: 'backbone', name: 'fake-net', description: 'test backbone', optionsSchema: {},
      build: () => ({ kind: 'fake', name: 'fake-net', provenance: { source: 'random', seed: 1 } }) as never,
    },
    {
      kind: 'distance', name: 'fake-feat', description: 'per-layer |a-b|', optionsSchema: {},
      create: () => ({
        input: 'features', name: 'fake-feat', settings: {},
        compute(x: Features, y: Features): DistanceResult {
          const perLayer = ['a', 'b'].map((t) => absDiff(x.taps[t].data, y.taps[t].data));
          return { total: perLayer[0].map((v, i) => v + perLayer[1][i]), perLayer, layers: ['a', 'b'] };
        },
      }),
    },
    {
      kind: 'distance', name: 'fake-px', description: 'mean |a-b| over pixels', optionsSchema: {},
      create: () => ({
        input: 'pixels', name: 'fake-px', settings: { metric: 'mean-abs' },
        compute(x: ImageBatch, y: ImageBatch): DistanceResult {
          const [n, h, w] = x.shape;
          const len = h * w * 3;
          const total = new Float32Array(n);
          for (let i = 0; i < n; i++) {
            let s = 0;
            for (let k = 0; k < len; k++) s += Math.abs(x.data[i * len + k] - y.data[i * len + k]);
            total[i] = s / len;
          }
          return { total, perLayer: [], layers: [] };
        },
      }),
    },
  ],
});

const grey = (k: number): ImageBatch => ({ data: new Float32Array(64 * 64 * 3).fill(k / 255), shape: [1, 64, 64, 3] });

// [ref, p0, p1, judge] grey levels. Expected 2AFC per triplet with d = |ref - p| (by hand):
const TRADITIONAL: [number, number, number, number][] = [
  [100, 110, 150, 0.2], // d0 10 < d1 50: 1 - p = 0.8
  [100, 160, 120, 0.6], // d1 20 < d0 60: p = 0.6
  [50, 60, 60, 0.4], //    p0 = p1, an exact tie: 0.5
  [200, 180, 250, 1.0], // d0 20 < d1 50: 1 - p = 0
];
const CNN: [number, number, number, number][] = [
  [0, 30, 10, 0.8], //     d1 < d0: 0.8
  [255, 250, 200, 0], //   d0 < d1: 1
  [128, 128, 129, 0.4], // d0 0 < d1 1: 0.6
];
// JND pairs [p0, p1, same]; d = |p0 - p1| sorts them j0 (0), j2 (10), j1 (40), j3 (45).
const JND: [number, number, number][] = [[100, 100, 1], [100, 140, 0], [100, 110, 2 / 3], [50, 95, 1 / 3]];
// By hand (SPEC §6.5): s = 1, 2/3, 0, 1/3; TP = 1, 5/3, 5/3, 2; FP = 0, 1/3, 4/3, 2;
// precision 1, 5/6, 5/9, 1/2; recall 1/2, 5/6, 5/6, 1; envelope 1, 5/6, 5/9, 1/2;
// AP = 1/2·1 + 1/3·5/6 + 1/6·1/2 = 31/36.
const JND_AP = 31 / 36;

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'percept-score-'));
  const toTriplet = ([r, a, b, p]: number[]) => ({ ref: grey(r), p0: grey(a), p1: grey(b), judge: p });
  await writeTwoAfcSubset(root, 'val', 'traditional', TRADITIONAL.map(toTriplet));
  await writeTwoAfcSubset(root, 'val', 'cnn', CNN.map(toTriplet));
  await writeJndSubset(root, 'traditional', JND.map(([a, b, s]) => ({ p0: grey(a), p1: grey(b), same: s })));
});
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

interface FakeCtx extends JobContext {
  records: Record<string, JsonValue>;
  progressCalls: [number, number | null, string][];
}

function makeCtx(plugins = [fakePlugin], controller = new AbortController()): FakeCtx {
  const records: Record<string, JsonValue> = {};
  const progressCalls: [number, number | null, string][] = [];
  return {
    stepId: 'score', outputDir: root, runDir: root, baseDir: root,
    registry: new Registry(plugins),
    signal: controller.signal,
    log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
    progress: (done, total, unit) => { progressCalls.push([done, total, unit]); },
    record: (k, v) => { records[k] = v; },
    records, progressCalls,
  };
}

const baseOptions = {
  root: '.',
  subsets: ['traditional', 'cnn'],
  jnd: ['traditional'],
  backbone: { use: 'fake-net', with: {} },
  backend: { use: 'fake', with: {} },
  distances: [{ use: 'fake-feat', with: {} }, { use: 'fake-px', with: {} }],
  batchSize: 3,
  bootstrap: { resamples: 200, seed: 7 },
};

type Dist = {
  ps: number; twoAfc: Record<string, { score: number; ci95: [number, number]; n: number }>;
  layerPS: Record<string, number>; layerTwoAfc: Record<string, Record<string, number>>;
  bestLayer: { layer: string; ps: number }; psCI95: [number, number];
  jnd: Record<string, { mAP: number; n: number }>;
};

/** 2AFC of one triplet, written out independently of the job (SPEC §1.3). */
function s2afc(d0: number, d1: number, p: number): number {
  return d0 < d1 ? 1 - p : d1 < d0 ? p : 0.5;
}
const meanOf = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('perceptual-score job', () => {
  it('scores 2AFC, layer-wise PS and JND mAP in one pass, matching hand-computed values', async () => {
    extractCalls = [];
    disposed = 0;
    const ctx = makeCtx();
    const out = await perceptualScoreJob.run(baseOptions, ctx);
    const dists = out.distances as Record<string, Dist>;
    expect(Object.keys(dists)).toEqual(['fake-feat', 'fake-px']);

    // Hand values: traditional (0.8 + 0.6 + 0.5 + 0) / 4 = 0.475, cnn (0.8 + 1 + 0.6) / 3 = 0.8.
    for (const id of ['fake-feat', 'fake-px']) {
      expect(dists[id].twoAfc.traditional.score).toBeCloseTo(47.5, 4);
      expect(dists[id].twoAfc.cnn.score).toBeCloseTo(80, 4);
      expect(dists[id].ps).toBeCloseTo(63.75, 4);
      expect(dists[id].jnd.traditional.mAP).toBeCloseTo(100 * JND_AP, 4);
      expect(dists[id].jnd.traditional.n).toBe(4);
    }
    expect(out.ps).toEqual({ 'fake-feat': dists['fake-feat'].ps, 'fake-px': dists['fake-px'].ps });
    expect(out.counts).toEqual({ traditional: 4, cnn: 3 });

    // Layer "a" ranks like the pixels; layer "b" = (v - 0.5)² ranks differently, computed here directly.
    const layerScore = (rows: number[][]) => 100 * meanOf(rows.map(([r, a, b, p]) =>
      s2afc(Math.abs(layerB(r / 255) - layerB(a / 255)), Math.abs(layerB(r / 255) - layerB(b / 255)), p)));
    const feat = dists['fake-feat'];
    expect(feat.layerTwoAfc.a).toEqual({ traditional: expect.closeTo(47.5, 4), cnn: expect.closeTo(80, 4) });
    expect(feat.layerTwoAfc.b.traditional).toBeCloseTo(layerScore(TRADITIONAL), 3);
    expect(feat.layerTwoAfc.b.cnn).toBeCloseTo(layerScore(CNN), 3);
    expect(feat.layerPS.b).toBeCloseTo((layerScore(TRADITIONAL) + layerScore(CNN)) / 2, 3);
    const bestIsA = feat.layerPS.a >= feat.layerPS.b;
    expect(feat.bestLayer.layer).toBe(bestIsA ? 'a' : 'b');

    // Human ceiling mean(p² + (1-p)²) and oracle mean(max(p, 1-p)) for traditional: 0.68 and 0.75.
    expect((out.humanCeiling as Record<string, number>).traditional).toBeCloseTo(68, 4);
    expect((out.oracle as Record<string, number>).traditional).toBeCloseTo(75, 4);

    // CIs bracket the estimate; only 2 of the 6 val subsets were scored, so this is not the paper's PS.
    const ci = feat.twoAfc.traditional.ci95;
    expect(ci[0]).toBeLessThanOrEqual(47.5 + 1e-9);
    expect(ci[1]).toBeGreaterThanOrEqual(47.5 - 1e-9);
    expect(feat.psCI95[0]).toBeLessThanOrEqual(63.75 + 1e-9);
    expect(out.paperPS).toBe(false);

    // One extract call per batch on ref+p0+p1 (batches of 3, 1, 3 triplets), then JND (3, 1 pairs).
    expect(extractCalls).toEqual([9, 3, 9, 6, 2]);
    expect(disposed).toBe(1);
    expect(ctx.progressCalls.filter(([, , u]) => u === 'triplets').at(-1)).toEqual([7, 7, 'triplets']);
    expect(ctx.records.engine).toMatchObject({ engine: 'fake' });
    expect(ctx.records.skipped).toMatchObject({ count: 0 });
    expect(ctx.records.backbone).toMatchObject({ use: 'fake-net', weights: { source: 'random', seed: 1 } });
  });

  it('accepts the documented options through its schema and returns outputs matching outputsSchema', async () => {
    const documented = {
      root: '.', split: 'val', subsets: ['traditional', 'cnn'], jnd: ['traditional'],
      backbone: { use: 'fake-net', with: { weights: 'pretrained' } }, backend: { use: 'fake', with: {} },
      distances: [{ use: 'fake-feat', with: { variant: 'lin', lin: 'pretrained' } }, { use: 'fake-px', with: { colorspace: 'lab' } }],
      batchSize: 50, bootstrap: { resamples: 1000, seed: 0 }, onError: 'fail', limit: null,
    };
    expect(() => checkOptions(perceptualScoreJob, documented as never, 'step')).not.toThrow();
    const filled = checkOptions(perceptualScoreJob, { root: '.', distances: [{ use: 'fake-px' }] }, 'step');
    expect(filled).toMatchObject({ split: 'val', batchSize: 50, onError: 'fail', backend: { use: 'onnx' } });
    expect(() => checkOptions(perceptualScoreJob, { root: '.', distances: [], batchSize: 0 }, 'step')).toThrowError(/distances.*minItems|batchSize/);
    const out = await perceptualScoreJob.run({ ...baseOptions, bootstrap: { resamples: 20, seed: 1 } }, makeCtx());
    expect(() => checkOutputs(perceptualScoreJob, out, 'step')).not.toThrow();
  });

  it('is deterministic for a fixed bootstrap seed', async () => {
    const a = await perceptualScoreJob.run(baseOptions, makeCtx());
    const b = await perceptualScoreJob.run(baseOptions, makeCtx());
    expect((a.distances as Record<string, Dist>)['fake-px'].psCI95).toEqual((b.distances as Record<string, Dist>)['fake-px'].psCI95);
  });

  it('runs pixel distances without a backbone, and requires one for feature distances', async () => {
    extractCalls = [];
    const out = await perceptualScoreJob.run(
      { root: '.', subsets: ['cnn'], jnd: false, distances: [{ use: 'fake-px' }], bootstrap: false }, makeCtx(),
    );
    expect(out.ps).toEqual({ 'fake-px': expect.closeTo(80, 4) });
    expect(extractCalls).toEqual([]);
    await expect(perceptualScoreJob.run({ root: '.', subsets: ['cnn'], jnd: false, distances: [{ use: 'fake-feat' }] }, makeCtx()))
      .rejects.toThrowError(/distance "fake-feat" \(fake-feat\) compares features, so option "backbone" is required/);
  });

  it('names an unknown distance before loading anything', async () => {
    extractCalls = [];
    await expect(perceptualScoreJob.run({ ...baseOptions, distances: [{ use: 'fake-pix' }] }, makeCtx()))
      .rejects.toThrowError(/Unknown distance "fake-pix"/);
  });

  it('stops between batches when the signal is aborted', async () => {
    const controller = new AbortController();
    const ctx = makeCtx([fakePlugin], controller);
    const progress = ctx.progress;
    ctx.progress = (done, total, unit) => { progress(done, total, unit); if (done > 0) controller.abort(new Error('stop requested')); };
    disposed = 0;
    await expect(perceptualScoreJob.run({ ...baseOptions, batchSize: 2 }, ctx)).rejects.toThrowError(/stop requested/);
    expect(ctx.progressCalls.map(([d]) => d)).toEqual([0, 2]);
    expect(disposed).toBe(1);
  });
});
