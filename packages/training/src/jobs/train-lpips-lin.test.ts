import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOptions, corePlugin, Registry, type JobContext, type JsonValue } from '@percept/core';
import backbones from '@percept/backbones';
import backendTfjs from '@percept/backend-tfjs';
import metrics from '@percept/metrics';
import bapps, { resolveLinWeights } from '@percept/dataset-bapps';
import distortions from '@percept/distortions';
import { plugin } from '../plugin.js';
import { trainLpipsLinJob } from './train-lpips-lin.js';

const registry = new Registry([corePlugin, backbones, backendTfjs, metrics, bapps, distortions, plugin]);
let tmp: string;

function ctx(dir: string): JobContext {
  const out = join(tmp, dir);
  mkdirSync(out, { recursive: true });
  return {
    stepId: dir, outputDir: out, runDir: tmp, baseDir: tmp, registry, signal: new AbortController().signal,
    log: { info() {}, warn() {}, debug() {} }, progress() {}, record() {},
  };
}

beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), 'percept-lin-job-')); });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('train-lpips-lin job', () => {
  it('rejects bad options at validation', () => {
    const base = { root: 'x', backbone: { use: 'resnet6' } };
    expect(() => checkOptions(trainLpipsLinJob, { ...base, lr: 0 } as Record<string, JsonValue>, 't')).toThrow(/lr/);
    expect(() => checkOptions(trainLpipsLinJob, { ...base, beta1: 1 } as Record<string, JsonValue>, 't')).toThrow(/beta1/);
    expect(() => checkOptions(trainLpipsLinJob, { root: 'x' }, 't')).toThrow(/backbone/);
  });

  it('learns lin weights on a synthetic 2AFC set that the lpips lin variant and perceptual-score accept', async () => {
    const synth = await registry.get('job', 'synth-2afc').run({ count: 6, size: 32, seed: 1, split: 'train', subsets: ['traditional'] }, ctx('synth'));
    const backbone = { use: 'resnet6', with: { width: 0.125, weights: 'random', seed: 3 } };
    const backend = { use: 'tfjs', with: { engine: 'cpu' } };
    const res = await trainLpipsLinJob.run({
      root: synth.root, subsets: synth.subsets, backbone, backend, epochs: 2, decayEpochs: 1, batchSize: 3, lr: 1e-3, featureBatchSize: 6,
    }, ctx('lin'));
    expect(res.taps).toEqual(['layer1', 'layer2', 'layer3', 'layer4']);
    expect(res.triplets).toBe(6);
    expect((res.epochs as unknown[]).length).toBe(3);
    const t2 = res.train2afc as { baseline: number; learned: number };
    for (const v of [t2.baseline, t2.learned]) expect(v >= 0 && v <= 100).toBe(true);
    expect(existsSync(res.judge as string)).toBe(true);
    const lin = await resolveLinWeights(res.lin as string, { taps: res.taps as string[], baseDir: tmp });
    expect(Object.keys(lin.weights)).toEqual(['layer1', 'layer2', 'layer3', 'layer4']);
    expect(lin.weights.layer4.length).toBe(64);

    // Synthetic sets are written under 2afc/<split>; score the same triplets with the learned lin.
    const score = await registry.get('job', 'perceptual-score').run({
      root: synth.root, split: 'train', subsets: synth.subsets, jnd: false, backbone, backend, bootstrap: false,
      distances: [{ id: 'lin', use: 'lpips', with: { variant: 'lin', lin: res.lin } }],
    }, ctx('score'));
    const ps = (score.ps as Record<string, number>).lin;
    expect(ps).toBeCloseTo(t2.learned, 3);
  });
});
