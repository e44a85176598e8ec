import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkOptions, checkOutputs, definePlugin, InputError, Registry,
  type Backend, type FeatureExtractor, type ImageBatch, type JobContext, type JsonValue, type ModelSpec,
} from '@percept/core';
import { encodePng } from '@percept/images';
import distortions from '@percept/distortions';
import { plugin } from './plugin.js';
import { lowpassAccuracyJob, pairedRatioBootstrap } from './lowpass-accuracy.js';

/*
 * A fake classifier that needs high frequencies: class 1 ("stripes") when the image's pixel values
 * vary (standard deviation > 0.05), else class 0 ("flat"). The dataset: two flat grey images (class
 * 0, right in every pass) and three 8×8 images of vertical cosine stripes at 1, 2 and 3 cycles per
 * image (class 1). The low-pass filter of side r keeps |k| <= r/2, so stripes at f cycles survive
 * exactly when f <= r/2, and a filtered-out stripe image turns flat (misclassified). By hand:
 *   clean 5/5; r=2: f=1 survives, 3/5; r=4: f=1,2 survive, 4/5; r=6 and r=8: 5/5.
 */
let passes = 0;
let disposed = 0;
let loads = 0;
function stripeExtractor(): FeatureExtractor {
  return {
    taps: [],
    async extract(batch: ImageBatch) {
      passes++;
      const [n, h, w] = batch.shape;
      const len = h * w * 3;
      const logits = new Float32Array(n * 2);
      for (let i = 0; i < n; i++) {
        const px = batch.data.subarray(i * len, (i + 1) * len);
        const m = px.reduce((a, b) => a + b, 0) / len;
        const sd = Math.sqrt(px.reduce((a, b) => a + (b - m) ** 2, 0) / len);
        logits[i * 2 + (sd > 0.05 ? 1 : 0)] = 1;
      }
      return { taps: {}, logits: { data: logits, shape: [n, 2], layout: 'NC' } };
    },
    info: () => ({ engine: 'fake', engineVersion: '1', provider: 'js' }),
    dispose: () => { disposed++; },
  };
}
const fake = definePlugin({
  name: 'fake-stripes',
  version: '1.0.0',
  contributes: [
    {
      kind: 'backend', name: 'fake', description: 'test', optionsSchema: {},
      create: (): Backend => ({
        name: 'fake',
        load: async () => { loads++; return stripeExtractor(); },
        describe: async () => ({ engine: 'fake', engineVersion: '1', provider: 'js' }),
      }),
    },
    {
      kind: 'backbone', name: 'stripe-net', description: 'test', optionsSchema: {},
      // With "size" the backbone declares a resize to that size (checked before any pass); without,
      // images reach the model as read and r is checked on the first batch.
      build: (o) => ({
        kind: 'fake', name: 'stripe-net',
        provenance: { source: 'file', path: '/w.safetensors', sha256: 'cd'.repeat(32) },
        preprocessing: o.size
          ? { size: o.size, resize: 'resize', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] }
          : { size: null, resize: 'none', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
      }) as unknown as ModelSpec,
    },
  ],
});

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'percept-lowpass-acc-'));
  const S = 8;
  const write = async (cls: string, name: string, f: (x: number) => number) => {
    await mkdir(join(root, 'data', cls), { recursive: true });
    const data = new Float32Array(S * S * 3);
    for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) for (let c = 0; c < 3; c++) data[(y * S + x) * 3 + c] = f(x);
    await writeFile(join(root, 'data', cls, `${name}.png`), await encodePng({ data, shape: [1, S, S, 3] }));
  };
  await write('a_flat', 'grey1', () => 0.5);
  await write('a_flat', 'grey2', () => 0.4);
  for (const f of [1, 2, 3]) await write('b_stripes', `f${f}`, (x) => 0.5 + 0.3 * Math.cos((2 * Math.PI * f * x) / S));
});
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

interface Ctx extends JobContext { records: Record<string, JsonValue>; progressCalls: [number, number | null, string | undefined][] }
async function makeCtx(): Promise<Ctx> {
  const records: Record<string, JsonValue> = {};
  const progressCalls: Ctx['progressCalls'] = [];
  const outputDir = await mkdtemp(join(root, 'cell-'));
  return {
    stepId: 'lowpass', outputDir, runDir: root, baseDir: root,
    registry: new Registry([plugin, fake, distortions]),
    signal: new AbortController().signal,
    log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
    progress: (done, total, _unit, message) => { progressCalls.push([done, total, message]); },
    record: (k, v) => { records[k] = v; },
    records, progressCalls,
  };
}
const base = {
  dataset: { use: 'image-folder', with: { root: 'data' } },
  backbone: { use: 'stripe-net', with: {} },
  backend: { use: 'fake', with: {} },
  batchSize: 2,
  r: [2, 4, 6, 8],
};

describe('lowpass-accuracy job', () => {
  it('computes clean top-1 once, top-1 per r and the normalised accuracy, with intervals and provenance', async () => {
    passes = 0; disposed = 0; loads = 0;
    const ctx = await makeCtx();
    const options = checkOptions(lowpassAccuracyJob, base as never, 'test');
    const out = await lowpassAccuracyJob.run(options, ctx);
    checkOutputs(lowpassAccuracyJob, out, 'test');
    expect(out.r).toEqual([2, 4, 6, 8]);
    expect(out.clean).toMatchObject({ top1: 1, correct: 5, count: 5 });
    expect(out.top1).toEqual([3 / 5, 4 / 5, 1, 1]);
    expect(out.normalizedAccuracy).toEqual([3 / 5, 4 / 5, 1, 1]);
    expect(out.count).toBe(5);
    expect(out.imageSize).toEqual([8, 8]);
    // One model load; 5 passes (clean + 4 r) of 3 batches of at most 2 images.
    expect(loads).toBe(1);
    expect(passes).toBe(5 * 3);
    expect(disposed).toBe(1);
    const curve = out.curve as Array<Record<string, JsonValue>>;
    expect(curve.map((c) => c.correct)).toEqual([3, 4, 5, 5]);
    // Where every image keeps its clean result, every resample gives exactly 1.
    expect(curve[2].normalizedCI95).toEqual([1, 1]);
    const [lo, hi] = curve[0].normalizedCI95 as number[];
    expect(lo).toBeLessThan(0.6);
    expect(hi).toBeGreaterThan(0.6);
    expect(hi).toBeLessThanOrEqual(1);
    // Wilson interval of 3/5 (same function as the accuracy job).
    const [wl, wh] = curve[0].top1CI95 as number[];
    expect(wl).toBeLessThan(0.6);
    expect(wh).toBeGreaterThan(0.6);
    expect(out.bootstrap).toMatchObject({ resamples: 1000, seed: 0, undefinedResamples: 0 });
    expect(ctx.records.backbone).toMatchObject({ use: 'stripe-net', weights: { sha256: 'cd'.repeat(32) } });
    expect(ctx.records.distortion).toMatchObject({ use: 'lowpass', r: [2, 4, 6, 8] });
    expect(ctx.records.engine).toMatchObject({ engine: 'fake' });
    expect(ctx.records.skipped).toEqual({ count: 0, images: [] });
    // Progress runs over all passes, labelled by pass.
    expect(ctx.progressCalls.at(-1)).toEqual([25, 25, 'r=8']);
    expect(ctx.progressCalls.some(([, , m]) => m === 'clean')).toBe(true);
    const tsv = (await readFile(join(ctx.outputDir, 'predictions.tsv'), 'utf8')).trim().split('\n');
    expect(tsv[0]).toBe('name\tlabel\tclean\tr=2\tr=4\tr=6\tr=8');
    const f2 = tsv.find((l) => l.includes('f2'))!.split('\t');
    expect(f2.slice(1)).toEqual(['1', '1', '0', '1', '1', '1']);
  });

  it('is deterministic for a seed, and bootstrap: false gives no intervals', async () => {
    const a = await lowpassAccuracyJob.run({ ...base, r: [2], bootstrap: { resamples: 200, seed: 3 } }, await makeCtx());
    const b = await lowpassAccuracyJob.run({ ...base, r: [2], bootstrap: { resamples: 200, seed: 3 } }, await makeCtx());
    expect(a.normalizedCI95).toEqual(b.normalizedCI95);
    const none = await lowpassAccuracyJob.run({ ...base, r: [2], bootstrap: false }, await makeCtx());
    expect(none.normalizedCI95).toEqual([null]);
    expect(none.bootstrap).toBeNull();
    expect(none.normalizedAccuracy).toEqual([3 / 5]);
  });

  it('rejects r larger than the image, before any pass when the backbone declares its size', async () => {
    passes = 0;
    const err = await lowpassAccuracyJob.run({ ...base, r: [2, 9] }, await makeCtx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as Error).message).toMatch(/option "r\[1\]" is 9, larger than the 8×8 images the network sees \(the first batch\); r must be at most 8/);
    passes = 0;
    const sized = { ...base, backbone: { use: 'stripe-net', with: { size: [4, 4] } }, r: [4, 8] };
    await expect(lowpassAccuracyJob.run(sized, await makeCtx())).rejects.toThrow(/option "r\[1\]" is 8, larger than the 4×4 images .*input size 4×4/);
    expect(passes).toBe(0);
  });

  it('validates its options by schema and by parser, naming the field', () => {
    const bad = (w: Record<string, unknown>) => () => checkOptions(lowpassAccuracyJob, { ...base, ...w } as never, 'wf.json: step lp');
    expect(bad({ r: [0] })).toThrow(/\/r\/0/);
    expect(bad({ r: [2.5] })).toThrow(/\/r\/0/);
    expect(bad({ r: [] })).toThrow(/\/r/);
    expect(bad({ r: [4, 4] })).toThrow(/\/r/);
    expect(bad({ distortion: { use: 'lowpass' } })).toThrow(/distortion/);
    const { r: _r, ...noR } = base;
    expect(() => checkOptions(lowpassAccuracyJob, noR as never, 'x')).toThrow(/r/);
    return Promise.all([
      expect(lowpassAccuracyJob.run({ ...base, r: [3, 3] }, {} as JobContext)).rejects.toThrow(/lowpass-accuracy: option "r\[1\]" must be listed once/),
      expect(lowpassAccuracyJob.run({ ...base, r: ['8'] }, {} as JobContext)).rejects.toThrow(/lowpass-accuracy: option "r\[0\]" must be an integer >= 1, got "8"/),
      expect(lowpassAccuracyJob.run({ ...base, bootstrap: { resamples: 0 } }, {} as JobContext)).rejects.toThrow(/option "bootstrap.resamples" must be a positive integer/),
      expect(lowpassAccuracyJob.run({ ...base, bogus: 1 }, {} as JobContext)).rejects.toThrow(/lowpass-accuracy: option "bogus"/),
    ]);
  });
});

describe('pairedRatioBootstrap', () => {
  it('gives [1, 1] for identical results, [0, 0] when nothing survives, and brackets the ratio otherwise', () => {
    const den = Uint8Array.from([1, 1, 0, 1, 1, 0, 1, 1]);
    const zero = new Uint8Array(8);
    const half = Uint8Array.from([1, 0, 0, 1, 0, 0, 1, 0]);
    const { intervals, undefinedResamples } = pairedRatioBootstrap(den, [den, zero, half], 500, 1);
    expect(intervals[0]).toEqual([1, 1]);
    expect(intervals[1]).toEqual([0, 0]);
    const [lo, hi] = intervals[2]!;
    expect(lo).toBeLessThan(3 / 6);
    expect(hi).toBeGreaterThan(3 / 6);
    expect(undefinedResamples).toBeGreaterThanOrEqual(0);
    // Every resample of a single incorrect clean image has no ratio.
    expect(pairedRatioBootstrap(Uint8Array.from([0]), [Uint8Array.from([0])], 10, 0)).toEqual({ intervals: [null], undefinedResamples: 10 });
  });
});
