/**
 * The counting behind bench/paper-compute.mjs (bench/paper-compute-plan.mjs): which trainings and
 * scoring passes a paper workflow runs, how many images each one sends through a model, and how
 * rates turn into seconds. No timing is measured or asserted here.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ES module of the bench, without type declarations
import * as planModule from '../../../bench/paper-compute-plan.mjs';

interface Training { step: string; model: string; steps: number; batchSize: number; images: number; trainKey: string }
interface Pass { step: string; uses: string; model: string; outputs: 'taps' | 'logits'; images: number; cell: Record<string, unknown> }
interface Plan { name: string; trainings: Training[]; passes: Pass[]; other: Array<{ step: string; uses: string }> }
const m = planModule as {
  planWorkflow(wf: unknown, name?: string): Plan;
  summarisePlan(p: Plan): { trainings: number; trainImages: number; passes: Record<string, number>; passImages: number; models: string[] };
  estimatePlan(p: Pick<Plan, 'trainings' | 'passes'>, rates: (k: string) => { train?: number; taps?: number; logits?: number } | undefined): { trainSeconds: number; tapSeconds: number; logitSeconds: number; missing: string[] };
  distinctTrainings(ps: Plan[]): Training[];
  modelKey(b: unknown): string;
  modelLabel(b: unknown): { label: string; id: string };
  BAPPS_2AFC_VAL: Record<string, number>;
  BAPPS_JND_VAL: Record<string, number>;
};

const TRIPLETS = Object.values(m.BAPPS_2AFC_VAL).reduce((a, b) => a + b, 0);
const JND_PAIRS = Object.values(m.BAPPS_JND_VAL).reduce((a, b) => a + b, 0);
const weights = (id: string) => `\${steps.${id}.outputs.checkpointDir}/step-\${matrix.step}.safetensors`;

const workflow = {
  name: 'toy',
  steps: {
    train_r6: { uses: 'train-classifier', with: { backbone: { use: 'resnet6', with: { width: 0.25 } }, steps: 100, batchSize: 8 } },
    train_r6_default_batch: { uses: 'train-classifier', with: { backbone: { use: 'resnet6', with: {} }, steps: 10 } },
    ps: {
      uses: 'perceptual-score',
      matrix: { model: ['resnet6'], step: ['0000050', '0000100'] },
      with: { backbone: { use: 'resnet6', with: { width: 0.25, weights: weights('train_r6') } }, distances: [] },
    },
    ps_2afc_only: { uses: 'perceptual-score', with: { jnd: false, subsets: ['traditional', 'cnn'], backbone: { use: 'alexnet', with: {} } } },
    pixels: { uses: 'perceptual-score', with: { jnd: false, distances: [{ id: 'l2', use: 'l2' }] } },
    nets: { uses: 'perceptual-score', matrix: { backbone: ['alexnet', 'squeezenet1_1'] }, with: { jnd: false, backbone: { use: '${matrix.backbone}', with: { weights: 'pretrained' } } } },
    acc: { uses: 'accuracy', matrix: { step: ['0000100'] }, with: { backbone: { use: 'resnet6', with: { width: 0.25, weights: weights('train_r6') } }, limit: 1000 } },
    lowpass: { uses: 'lowpass-accuracy', with: { backbone: { use: 'resnet6', with: {} }, r: [8, 16, 32] } },
    margin: { uses: 'distortion-sensitivity', with: { subsets: ['superres'], backbone: { use: 'resnet6', with: {} } } },
    entropy: { uses: 'activation-entropy', matrix: { skip: [true, false] }, with: { backbone: { use: 'resnet6', with: { skip: '${matrix.skip}' } } } },
    report: { uses: 'report', needs: ['ps'] },
  },
};

describe('paper-compute plan: counting a workflow', () => {
  const plan = m.planWorkflow(workflow);

  it('one training per train-classifier step, images = steps × batch size (default batch 256)', () => {
    expect(plan.trainings.map((t) => [t.step, t.model, t.images])).toEqual([
      ['train_r6', 'resnet6 {"width":0.25}', 800],
      ['train_r6_default_batch', 'resnet6', 2560],
    ]);
  });

  it('one pass per matrix cell, sized by the job and its options', () => {
    const by = (step: string) => plan.passes.filter((p) => p.step === step);
    expect(by('ps').map((p) => [p.cell.step, p.images, p.outputs])).toEqual([
      ['0000050', 3 * TRIPLETS + 2 * JND_PAIRS, 'taps'],
      ['0000100', 3 * TRIPLETS + 2 * JND_PAIRS, 'taps'],
    ]);
    expect(by('ps_2afc_only')[0].images).toBe(3 * (m.BAPPS_2AFC_VAL.traditional + m.BAPPS_2AFC_VAL.cnn));
    // ${matrix.backbone} names the model of each cell.
    expect(by('nets').map((p) => p.model)).toEqual(['alexnet', 'squeezenet1_1']);
    expect(by('acc').map((p) => [p.images, p.outputs])).toEqual([[1000, 'logits']]);
    expect(by('lowpass')[0].images).toBe(4 * 50_000); // clean + 3 radii
    expect(by('margin')[0].images).toBe(3 * m.BAPPS_2AFC_VAL.superres);
    expect(by('entropy').map((p) => [p.images, p.model])).toEqual([[TRIPLETS, 'resnet6'], [TRIPLETS, 'resnet6']]);
    expect(plan.other.map((o) => o.step)).toEqual(['pixels', 'report']);
  });

  it('summary and estimate multiply the counts by per-model rates; models without a rate are listed', () => {
    const s = m.summarisePlan(plan);
    expect(s.trainings).toBe(2);
    expect(s.passes).toEqual({ 'perceptual-score': 5, accuracy: 1, 'lowpass-accuracy': 1, 'distortion-sensitivity': 1, 'activation-entropy': 2 });
    const e = m.estimatePlan(plan, (k) => (k === 'resnet6 {"width":0.25}' ? { train: 8, taps: 100, logits: 50 } : k === 'resnet6' ? { train: 256, taps: 1000, logits: 1000 } : undefined));
    expect(e.trainSeconds).toBeCloseTo(800 / 8 + 2560 / 256, 9);
    expect(e.logitSeconds).toBeCloseTo(1000 / 50 + 200_000 / 1000, 9);
    expect(e.tapSeconds).toBeCloseTo((2 * (3 * TRIPLETS + 2 * JND_PAIRS)) / 100 + (3 * m.BAPPS_2AFC_VAL.superres + 2 * TRIPLETS) / 1000, 9);
    expect(e.missing.sort()).toEqual(['alexnet (taps)', 'squeezenet1_1 (taps)']);
  });

  it('trainings with the same options count once across workflows', () => {
    const other = m.planWorkflow({ steps: { t: workflow.steps.train_r6, u: { uses: 'train-classifier', with: { ...workflow.steps.train_r6.with, batchSize: 16 } } } }, 'other');
    expect(m.distinctTrainings([plan, other]).map((t) => t.step)).toEqual(['train_r6', 'train_r6_default_batch', 'u']);
  });

  it('model keys drop cost-neutral options; labels name the paper models', () => {
    expect(m.modelKey({ use: 'resnet50', with: { weights: 'x.pt', classes: 100, skip: false, seed: 3 } })).toBe('resnet50');
    expect(m.modelKey({ use: 'resnet50', with: { width: 0.5 } })).toBe('resnet50 {"width":0.5}');
    expect(m.modelLabel({ use: 'vit', with: { dim: 1024, heads: 16, imageSize: 64, layers: 24, mlpDim: 4096, patch: 4 } }).label).toBe('ViT-L/4');
    expect(m.modelLabel({ use: 'vit', with: { dim: 768, heads: 12, imageSize: 64, layers: 2, mlpDim: 3072, patch: 8 } }).id).toBe('vit-b8-layers2');
    expect(m.modelLabel({ use: 'resnet200', with: { width: 0.25 } }).label).toBe('ResNet-200 ×0.25');
  });

  it('bad input names the step and what was expected', () => {
    expect(() => m.planWorkflow({ steps: { t: { uses: 'train-classifier', with: { backbone: { use: 'resnet6' } } } } }, 'w')).toThrow(/w: step "t": "with.steps" must be a positive integer/);
    expect(() => m.planWorkflow({ steps: { p: { uses: 'perceptual-score', with: { subsets: ['nope'], backbone: { use: 'resnet6' } } } } }, 'w')).toThrow(/step "p" option "subsets": unknown BAPPS subset "nope"/);
    expect(() => m.planWorkflow({}, 'w')).toThrow(/w: no "steps" object/);
  });
});

describe('paper-compute plan: the paper workflows', () => {
  const dir = resolve(dirname(fileURLToPath(import.meta.url)), '../../../workflows/paper');
  const files = readdirSync(dir).filter((f) => f.endsWith('.workflow.json')).sort();

  it('every paper workflow is counted: one training per train step, one pass per matrix cell of each scoring step', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const wf = JSON.parse(readFileSync(join(dir, f), 'utf8')) as { steps: Record<string, { uses: string; matrix?: Record<string, unknown[]>; with?: { backbone?: unknown } }> };
      const plan = m.planWorkflow(wf, f);
      // Independent count: the paper workflows' matrices are plain products of their axes.
      const cells = (s: { matrix?: Record<string, unknown[]> }) => Object.values(s.matrix ?? {}).reduce((a, v) => a * v.length, 1);
      const steps = Object.values(wf.steps);
      expect(plan.trainings.length, f).toBe(steps.filter((s) => s.uses === 'train-classifier').reduce((a, s) => a + cells(s), 0));
      const scoring = ['perceptual-score', 'accuracy', 'lowpass-accuracy', 'distortion-sensitivity', 'activation-entropy'];
      expect(plan.passes.length, f).toBe(steps.filter((s) => scoring.includes(s.uses) && s.with?.backbone).reduce((a, s) => a + cells(s), 0));
      for (const t of plan.trainings) expect(t.images, `${f} ${t.step}`).toBeGreaterThan(0);
    }
  });
});
