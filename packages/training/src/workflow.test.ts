/**
 * CI's reduced run of workflows/train-sweep-smoke.workflow.json: the same steps and wiring (train →
 * checkpoints → matrix over checkpoints → accuracy and perceptual-score on a synthetic 2AFC set),
 * with a budget of a few steps on a few images, on real CIFAR-10 folders.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { corePlugin, LocalEngine, loadWorkflowText, planWorkflow, Registry } from '@percept/core';
import { sharedAssets } from '@percept/core/testing';
import backbones from '@percept/backbones';
import backendTfjs from '@percept/backend-tfjs';
import metrics from '@percept/metrics';
import bapps from '@percept/dataset-bapps';
import imagenet from '@percept/dataset-imagenet';
import distortions from '@percept/distortions';
import { plugin } from './plugin.js';

const WORKFLOW = resolve(fileURLToPath(import.meta.url), '../../../../workflows/train-sweep-smoke.workflow.json');
const assets = sharedAssets('datasets/cifar10/train', 'datasets/cifar10/test');
const tmp = mkdtempSync(join(tmpdir(), 'percept-train-wf-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe.skipIf(!assets.available)('workflows/train-sweep-smoke.workflow.json (reduced)', () => {
  it('trains, checkpoints, and scores every checkpoint through matrix steps', async () => {
    const wf = JSON.parse(readFileSync(WORKFLOW, 'utf8'));
    const { train, benchmark, accuracy, ps } = wf.steps;
    // The reduction: 4 steps of 10 images at 16×16, 20 test images, 4 synthetic triplets per subset.
    Object.assign(train.with, { steps: 4, batchSize: 10, imageSize: 16, checkpointEvery: 2, valLimitPerClass: 1, evalBatchSize: 10 });
    Object.assign(train.with.train.with, { limit: 30, interleave: true });
    Object.assign(benchmark.with, { count: 4, size: 32 });
    const steps = ['0000002', '0000004'];
    accuracy.matrix.step = steps;
    Object.assign(accuracy.with.dataset.with, { limit: 20, interleave: true });
    ps.matrix.step = steps;
    ps.with.bootstrap = false;
    wf.$schema = undefined;
    const file = join(tmp, 'train-sweep-smoke.workflow.json');
    // Relative dataset roots resolve against the workflow's folder; point them at the assets.
    const text = JSON.stringify(wf, null, 2);
    writeFileSync(file, text);
    const registry = new Registry([corePlugin, backbones, backendTfjs, metrics, bapps, imagenet, distortions, plugin]);
    const env = { PERCEPT_ASSETS: assets.dir };
    const { workflow } = loadWorkflowText(file, text, registry, { env });
    const plan = planWorkflow(workflow, { file, text, registry, env });
    const run = await new LocalEngine().run({ plan, registry, runsDir: join(tmp, 'runs'), runId: 'ci', cacheDir: null, concurrency: 1 });
    const failed = run.manifest.cells.filter((c) => c.status !== 'succeeded');
    expect(failed.map((c) => `${c.step}[${c.cell}]: ${JSON.stringify((c as { error?: unknown }).error ?? c.status)}`)).toEqual([]);
    expect(run.status).toBe('succeeded');
    const result = (step: string, cell = '') => JSON.parse(readFileSync(join(run.runDir, 'steps', step, ...(cell ? [cell] : []), 'result.json'), 'utf8'));
    const trained = result('train');
    expect(trained.checkpointSteps).toEqual([2, 4]);
    expect(trained.records.map((r: { valSamples: number }) => r.valSamples)).toEqual([10, 10]);
    for (const s of steps) {
      const acc = result('accuracy', `step=${s}`);
      expect(acc.count).toBe(20);
      expect(acc.top1).toBeGreaterThanOrEqual(0);
      const score = result('ps', `step=${s}`);
      expect(score.ps.lpips).toBeGreaterThan(0);
      expect(score.ps.lpips).toBeLessThanOrEqual(100);
    }
  });
});
