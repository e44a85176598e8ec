import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  checkOptions, checkOutputs, definePlugin, InputError, Registry,
  type Backend, type FeatureExtractor, type ImageBatch, type JobContext, type JsonValue, type LoadOptions, type ModelSpec,
} from '@percept/core';
import { encodePng } from '@percept/images';
import distortions from '@percept/distortions';
import { plugin } from './plugin.js';
import { accuracyJob } from './accuracy.js';

/*
 * A fake classifier: the logit of class j is -(m - j/10)², with m the image's mean grey level, so
 * it predicts round(10·m) and ranks classes by distance from it. Labelled images whose grey level
 * is not j/10 are thus misclassified in a way computed by hand below.
 */
const CLASSES = 6;
let loaded: { spec: ModelSpec; options: LoadOptions }[] = [];
let seenSizes: number[][] = [];
let disposed = 0;
function fakeExtractor(outputs: number, offset: number): FeatureExtractor {
  return {
    taps: [],
    async extract(batch: ImageBatch) {
      const [n, h, w] = batch.shape;
      seenSizes.push([h, w]);
      const len = h * w * 3;
      const logits = new Float32Array(n * outputs);
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let k = 0; k < len; k++) s += batch.data[i * len + k];
        const m = s / len;
        for (let j = 0; j < outputs; j++) logits[i * outputs + j] = -((m - (j - offset) / 10) ** 2);
      }
      return { taps: {}, logits: { data: logits, shape: [n, outputs], layout: 'NC' } };
    },
    info: () => ({ engine: 'fake', engineVersion: '1', provider: 'js' }),
    dispose: () => { disposed++; },
  };
}
const fake = definePlugin({
  name: 'fake-classifier',
  version: '1.0.0',
  contributes: [
    {
      kind: 'backend', name: 'fake', description: 'test', optionsSchema: {},
      create: (): Backend => ({
        name: 'fake',
        load: async (spec, options = {}) => {
          loaded.push({ spec, options });
          const s = spec as unknown as { outputs: number; offset: number };
          return fakeExtractor(s.outputs, s.offset);
        },
        describe: async () => ({ engine: 'fake', engineVersion: '1', provider: 'js' }),
      }),
    },
    {
      kind: 'backbone', name: 'fake-net', description: 'test', optionsSchema: {},
      build: (o) => ({
        kind: 'fake', name: 'fake-net', outputs: (o.outputs as number) ?? CLASSES, offset: (o.offset as number) ?? 0,
        provenance: { source: 'file', path: '/w.safetensors', sha256: 'ab'.repeat(32) },
        preprocessing: { size: [4, 4], resize: 'resize', interpolation: 'bilinear', channelOrder: 'RGB', scale: 1, mean: [0, 0, 0], std: [1, 1, 1] },
      }) as unknown as ModelSpec,
    },
  ],
});

// Image (grey level, label): predictions are round(10·level) → 0, 1, 2, 3, 1, 5, 2, 3.
const IMAGES: [number, number][] = [[0.0, 0], [0.1, 1], [0.2, 2], [0.3, 3], [0.12, 4], [0.5, 5], [0.5 / 2.2, 4], [0.33, 1]];
// Top-1: images 0,1,2,3,5 correct = 5/8. Top-5 (fewer than 5 classes closer than the label):
// image 4 (m=.12, label 4: closer are 1, 2, 0 → rank 4) yes; image 6 (m≈.227, label 4: 2, 3, 1 → yes);
// image 7 (m=.33, label 1: 3, 4, 2 → yes). So top-5 = 8/8.
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'percept-acc-'));
  await mkdir(join(root, 'val'), { recursive: true });
  const lines: string[] = [];
  for (const [k, [level, label]] of IMAGES.entries()) {
    const name = `ILSVRC2012_val_${String(k + 1).padStart(8, '0')}`;
    // Different sizes: the job must bring them to the backbone's 4×4 before batching.
    const h = 6 + k, w = 8;
    const data = new Float32Array(h * w * 3).fill(level);
    await writeFile(join(root, 'val', `${name}.png`), await encodePng({ data, shape: [1, h, w, 3] }));
    lines.push(`${name}.JPEG ${label}`);
  }
  await writeFile(join(root, 'val', 'val.txt'), lines.join('\n'));
  await writeFile(join(root, 'val', 'synsets.txt'), Array.from({ length: CLASSES }, (_, i) => `n0${i}`).join('\n'));
});
afterAll(async () => { await rm(root, { recursive: true, force: true }); });

interface Ctx extends JobContext { records: Record<string, JsonValue>; progressCalls: [number, number | null][] }
async function makeCtx(): Promise<Ctx> {
  const records: Record<string, JsonValue> = {};
  const progressCalls: [number, number | null][] = [];
  const outputDir = await mkdtemp(join(root, 'cell-'));
  return {
    stepId: 'acc', outputDir, runDir: root, baseDir: root,
    registry: new Registry([plugin, fake, distortions]),
    signal: new AbortController().signal,
    log: { info: () => undefined, warn: () => undefined, debug: () => undefined },
    progress: (done, total) => { progressCalls.push([done, total]); },
    record: (k, v) => { records[k] = v; },
    records, progressCalls,
  };
}
const base = {
  dataset: { use: 'imagenet-val', with: { root: 'val' } },
  backbone: { use: 'fake-net', with: {} },
  backend: { use: 'fake', with: {} },
  batchSize: 3,
};

describe('accuracy job', () => {
  it('computes top-1/top-5, Wilson intervals and per-class counts, with provenance', async () => {
    loaded = []; seenSizes = []; disposed = 0;
    const ctx = await makeCtx();
    const options = checkOptions(accuracyJob, base as never, 'test');
    const out = await accuracyJob.run(options, ctx);
    checkOutputs(accuracyJob, out, 'test');
    expect(out.count).toBe(8);
    expect(out.top1).toBeCloseTo(5 / 8, 12);
    expect(out.top5).toBe(1);
    expect(out.correct).toEqual({ top1: 5, top5: 8 });
    // Wilson 95% for 5/8, by hand: centre (0.625 + z²/16)/(1 + z²/8), z = 1.959964.
    const z = 1.959963984540054, n = 8, p = 5 / 8;
    const centre = (p + z * z / (2 * n)) / (1 + z * z / n);
    const half = (z * Math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n);
    const [lo, hi] = out.top1CI95 as number[];
    expect(lo).toBeCloseTo(centre - half, 7);
    expect(hi).toBeCloseTo(centre + half, 7);
    expect(out.perClass).toEqual({
      n00: { correct: 1, correct5: 1, total: 1 }, n01: { correct: 1, correct5: 2, total: 2 }, n02: { correct: 1, correct5: 1, total: 1 },
      n03: { correct: 1, correct5: 1, total: 1 }, n04: { correct: 0, correct5: 2, total: 2 }, n05: { correct: 1, correct5: 1, total: 1 },
    });
    // Geometry went to the reader (every batch arrives 4×4), the extractor only checks the size.
    expect(seenSizes.every(([h, w]) => h === 4 && w === 4)).toBe(true);
    expect((loaded[0].spec as unknown as { preprocessing: { resize: string } }).preprocessing.resize).toBe('none');
    expect(loaded[0].options.logits).toBe(true);
    expect(disposed).toBe(1);
    expect(ctx.records.backbone).toMatchObject({ use: 'fake-net', weights: { sha256: 'ab'.repeat(32) } });
    expect(ctx.records.preprocessing).toMatchObject({ size: [4, 4], resize: 'resize' });
    expect(ctx.records.engine).toMatchObject({ engine: 'fake' });
    expect(ctx.records.skipped).toEqual({ count: 0, images: [] });
    expect(ctx.progressCalls.at(-1)).toEqual([8, 8]);
    const tsv = (await readFile(join(ctx.outputDir, 'predictions.tsv'), 'utf8')).trim().split('\n');
    expect(tsv[0]).toBe('name\tlabel\tprediction');
    expect(tsv.slice(1).map((l) => Number(l.split('\t')[2]))).toEqual([0, 1, 2, 3, 1, 5, 2, 3]);
  });

  it('refuses a class-count mismatch with a classOffset hint, and scores correctly with the offset', async () => {
    const withBackground = { ...base, backbone: { use: 'fake-net', with: { outputs: CLASSES + 1, offset: 1 } } };
    const err = await accuracyJob.run(withBackground, await makeCtx()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).message).toMatch(/produces 7 logits per image but dataset "imagenet-val" has 6 classes/);
    expect((err as InputError).hint).toMatch(/"classOffset": 1/);
    const out = await accuracyJob.run({ ...withBackground, classOffset: 1 }, await makeCtx());
    expect(out.top1).toBeCloseTo(5 / 8, 12);
    await expect(accuracyJob.run({ ...base, classOffset: 1 }, await makeCtx())).rejects.toThrow(/classOffset is 1, so 7 outputs are expected/);
  });

  it('scores a class-subset model on its classes only, labels renumbered in the order given', async () => {
    // Two outputs: the fake model's output j stands for grey level j/10. Images of n00 and n01 are 0, 1 and 7.
    const two = { ...base, backbone: { use: 'fake-net', with: { outputs: 2 } } };
    const ctx = await makeCtx();
    const out = await accuracyJob.run({ ...two, classes: ['n00', 'n01'] }, ctx);
    checkOutputs(accuracyJob, out, 'test');
    expect(out).toMatchObject({ count: 3, classes: 2, top1: 1, perClass: { n00: { correct: 1, total: 1 }, n01: { correct: 2, total: 2 } } });
    expect(ctx.records.classSubset).toEqual({ count: 2, names: ['n00', 'n01'] });
    // The order is the model's output order: swapped, every prediction names the other class.
    expect((await accuracyJob.run({ ...two, classes: ['n01', 'n00'] }, await makeCtx())).top1).toBe(0);
    // Without the subset, 2 outputs against 6 classes is the usual mismatch error.
    await expect(accuracyJob.run(two, await makeCtx())).rejects.toThrow(/produces 2 logits per image but dataset "imagenet-val" has 6 classes/);
    await expect(accuracyJob.run({ ...two, classes: ['n00', 'n10'] }, await makeCtx())).rejects.toThrow(/option "classes\[1\]" is "n10", which is not a class of the dataset \(6 classes: n00, n01/);
    await expect(accuracyJob.run({ ...two, classes: ['n00', 'n00'] }, await makeCtx())).rejects.toThrow(/lists "n00" twice/);
    await expect(accuracyJob.run({ ...two, classes: [] }, await makeCtx())).rejects.toThrow(/option "classes" must be a non-empty array/);
  });

  it('applies a distortion before the model and records it', async () => {
    // Low-pass with r = 0 keeps only the mean colour: solid images are unchanged, so accuracy is too.
    const ctx = await makeCtx();
    const out = await accuracyJob.run({ ...base, distortion: { use: 'lowpass', with: { r: 0 } } }, ctx);
    expect(out.top1).toBeCloseTo(5 / 8, 6);
    expect(out.distortion).toMatchObject({ use: 'lowpass', r: 0, severity: 0 });
    expect(ctx.records.distortion).toMatchObject({ use: 'lowpass', physical: expect.any(Object) });
    // A distortion that changes the mean (a lightness shift) changes the fake model's predictions.
    const shifted = await accuracyJob.run({ ...base, distortion: { use: 'lightness-shift', with: { severity: 1 } } }, await makeCtx());
    expect(shifted.top1).not.toBeCloseTo(5 / 8, 6);
    await expect(accuracyJob.run({ ...base, distortion: { use: 'lowpass', with: {} } }, await makeCtx())).rejects.toThrow(/needs "severity"/);
  });

  it('applies limit and onError, and fails fast on unknown names', async () => {
    const out = await accuracyJob.run({ ...base, limit: 4 }, await makeCtx());
    expect(out.count).toBe(4);
    expect(out.top1).toBe(1);
    await expect(accuracyJob.run({ ...base, backbone: { use: 'fake-nett' } }, await makeCtx())).rejects.toThrow(/fake-net/);
    await expect(accuracyJob.run({ ...base, bogus: 1 }, await makeCtx())).rejects.toThrow(/option "bogus"/);
  });
});
