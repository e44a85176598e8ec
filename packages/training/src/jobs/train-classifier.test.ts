import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOptions, corePlugin, Registry, type JobContext, type JsonValue } from '@percept/core';
import backbones, { readWeights, loadWeightsStrict, resnet6 } from '@percept/backbones';
import imagenet from '@percept/dataset-imagenet';
import { encodePng } from '@percept/images';
import { plugin } from '../plugin.js';
import { trainClassifierJob, chooseClasses } from './train-classifier.js';
import { syntheticSource } from '../testing-sources.js';
import { writeNpzShards } from '../__fixtures__/npz.js';

let tmp: string;
const registry = new Registry([corePlugin, backbones, imagenet, plugin]);

/** Writes a class-folder dataset of tiny PNGs from the synthetic source. */
async function writeFolder(root: string, classes: number, perClass: number, size: number, seed: number) {
  const src = syntheticSource({ classes, perClass, size, seed });
  for (let i = 0; i < src.size; i++) {
    const dir = join(root, `c${src.label(i)}`);
    mkdirSync(dir, { recursive: true });
    await writeFile(join(dir, `${String(i).padStart(4, '0')}.png`), await encodePng(await src.load(i)));
  }
}

function ctx(dir: string, progress: string[] = [], signal = new AbortController().signal, runDir = tmp, records: Record<string, unknown> = {}): JobContext {
  const out = join(runDir, dir);
  mkdirSync(out, { recursive: true });
  return {
    stepId: dir, outputDir: out, runDir, baseDir: tmp, registry, signal,
    log: { info() {}, warn() {}, debug() {} },
    progress: (done, total, unit, message) => progress.push(`${done}/${total} ${unit} ${message ?? ''}`),
    record(key: string, value: unknown) { records[key] = value; },
  };
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'percept-train-job-'));
  await writeFolder(join(tmp, 'train'), 4, 6, 12, 0);
  await writeFolder(join(tmp, 'val'), 4, 2, 12, 7);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const base = {
  backbone: { use: 'resnet6', with: { width: 0.125 } },
  train: { use: 'image-folder', with: { root: 'train' } },
  val: { use: 'image-folder', with: { root: 'val' } },
  steps: 4, batchSize: 6, imageSize: 12, checkpointEvery: 2, engine: 'cpu',
};

describe('train-classifier job', () => {
  it('is registered and rejects out-of-range hyperparameters at validation', () => {
    expect(registry.get('job', 'train-classifier')).toBe(trainClassifierJob);
    const check = (over: Record<string, JsonValue>) => () => checkOptions(trainClassifierJob, { ...base, ...over } as Record<string, JsonValue>, 'test');
    expect(check({ labelSmoothing: 1 })).toThrow(/labelSmoothing.*must be < 1/);
    expect(check({ weightDecay: -1e-4 })).toThrow(/weightDecay.*must be >= 0/);
    expect(check({ dropout: 1 })).toThrow(/dropout/);
    expect(check({ optimizer: 'rmsprop' })).toThrow(/optimizer/);
    expect(check({})).not.toThrow();
  });

  it('trains a class subset from image folders and writes loadable checkpoints with validation records', async () => {
    const progress: string[] = [];
    const res = await trainClassifierJob.run({ ...base, classes: 3, classSeed: 1 }, ctx('subset', progress));
    const picked = chooseClasses(['c0', 'c1', 'c2', 'c3'], 3, 1);
    expect(res.classes).toEqual(picked);
    expect(res.checkpointSteps).toEqual([2, 4]);
    const ckpts = res.checkpoints as string[];
    expect(ckpts.every((p) => existsSync(p))).toBe(true);
    expect(ckpts[1]).toBe(join(res.checkpointDir as string, 'step-0000004.safetensors'));
    // The checkpoint loads strictly into the plain architecture with a 3-way head.
    const w = loadWeightsStrict(resnet6({ width: 0.125, classes: 3 }), await readWeights(ckpts[1]));
    expect(w.get('fc.weight')!.shape).toEqual([3, 512 * 0.125]);
    const records = res.records as Array<Record<string, number>>;
    expect(records[0].valSamples).toBe(6); // 2 per class × 3 chosen classes
    expect(records[1].valAccuracy).toBeGreaterThanOrEqual(0);
    expect(progress.at(-1)).toMatch(/^4\/4 steps loss \d+\.\d+ · lr .* steps\/s · ETA/);
  });

  it('streams imagenet-downsampled npz files through the shuffle buffer', async () => {
    await writeNpzShards(join(tmp, 'npz'), [9, 7, 8], { side: 12, classes: 4 });
    const records: Record<string, unknown> = {};
    const npz = { use: 'imagenet-downsampled', with: { root: 'npz', split: 'train', classes: 4 } };
    expect(() => checkOptions(trainClassifierJob, { ...base, shuffleBuffer: 0 } as Record<string, JsonValue>, 'test')).toThrow(/shuffleBuffer/);
    const res = await trainClassifierJob.run({ ...base, train: npz, val: npz, valLimitPerClass: 2, shuffleBuffer: 5 }, ctx('npz-job', [], undefined, tmp, records));
    expect(res.checkpointSteps).toEqual([2, 4]);
    expect((res.losses as number[]).every(Number.isFinite)).toBe(true);
    expect((res.records as Array<Record<string, number>>)[1].valSamples).toBe(8);
    expect((records.training as Record<string, unknown>).dataOrder).toEqual({ kind: 'shards + shuffle buffer', shards: 3, shuffleBuffer: 5 });
  });

  it('explains a head larger than the dataset', async () => {
    const run = trainClassifierJob.run({ ...base, backbone: { use: 'resnet6', with: { width: 0.125, classes: 10 } } }, ctx('head'));
    await expect(run).rejects.toThrow(/4 classes, but the model's head "fc" has 10 outputs/);
    await run.catch((e) => expect(e.hint).toMatch(/set the backbone's "classes" to 4/));
  });

  it('resumes a killed run from the run directory after the engine cleared the step folder', async () => {
    const opts = { ...base, val: undefined, steps: 6, checkpointEvery: 2, stateEvery: 1 };
    const full = await trainClassifierJob.run(opts, ctx('whole', [], undefined, join(tmp, 'run-a')));
    expect(existsSync(join(tmp, 'run-a', 'training-state'))).toBe(true);
    expect(existsSync(join(tmp, 'run-a', 'training-state', 'whole'))).toBe(false); // removed once finished

    const runB = join(tmp, 'run-b');
    const ac = new AbortController();
    const progress: string[] = [];
    const c = ctx('killed', progress, ac.signal, runB);
    const origProgress = c.progress;
    const killed = trainClassifierJob.run(opts, { ...c, progress: (d, t, u, m) => { origProgress(d, t, u, m); if (d === 3) ac.abort(); } });
    await expect(killed).rejects.toThrow(/interrupted at step 3/);
    rmSync(join(runB, 'killed'), { recursive: true, force: true }); // what the engine does before a re-run
    const resumed = await trainClassifierJob.run(opts, ctx('killed', [], undefined, runB));
    expect(resumed.resumedFrom).toBe(3);
    expect(resumed.losses).toEqual(full.losses);
    expect((resumed.checkpoints as string[]).every((p) => existsSync(p))).toBe(true);
    expect((resumed.checkpoints as string[])[0]).toBe(join(runB, 'killed', 'checkpoints', 'step-0000002.safetensors'));
  });
});
