/**
 * pareto's `from`: points gathered from upstream perceptual-score and accuracy cells of the run, paired
 * by matrix values (the report's rule), from a run directory laid out as the engine writes it.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkOptions, checkOutputs, InputError, type JobContext, type JsonValue } from '@percept/core';
import { paretoJob, gatherPoints } from './pareto-job.js';
import { matrixValuesAgree, readRun } from '../run-artifacts.js';

// Illustrative numbers for the mechanics, not results.
let root: string;
let runDir: string;
let noManifest: string;
const cells: object[] = [];
function cell(dir: string, step: string, matrix: Record<string, string> | null, status: string, result: object | null, manifest = true) {
  const key = matrix ? Object.entries(matrix).map(([k, v]) => `${k}=${v}`).join(',') : '';
  const rel = key ? join('steps', step, key) : join('steps', step);
  mkdirSync(join(dir, rel), { recursive: true });
  if (result) {
    writeFileSync(join(dir, rel, 'result.json'), JSON.stringify(result));
    writeFileSync(join(dir, rel, 'cell.json'), JSON.stringify({ step, cell: key, matrix, uses: 'x', cacheKey: 'k' }));
  }
  if (manifest) cells.push({ step, cell: key, matrix, dir: rel, status });
}
const ps = (v: number) => ({ ps: { lpips: v }, distances: {} });
const ps2 = (a: number, b: number) => ({ ps: { lpips: a, 'mean-pool': b } });
const acc = (top1: number) => ({ top1, top5: null, count: 100 });

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'percept-pareto-from-'));
  runDir = join(root, 'run');
  // Train-steps sweep of model a: checkpoints 1, 2, 3 (3 is the default, 90 epochs).
  cell(runDir, 'ps_a', { model: 'a', step: '1' }, 'succeeded', ps(69.0));
  cell(runDir, 'ps_a', { model: 'a', step: '2' }, 'succeeded', ps(69.5));
  cell(runDir, 'ps_a', { model: 'a', step: '3' }, 'succeeded', ps(68.0));
  cell(runDir, 'acc_a', { model: 'a', step: '1' }, 'succeeded', acc(0.2));
  cell(runDir, 'acc_a', { model: 'a', step: '2' }, 'succeeded', acc(0.3));
  cell(runDir, 'acc_a', { model: 'a', step: '3' }, 'succeeded', acc(0.5));
  // Width sweep of model a: two widths, one skipped at this scale.
  cell(runDir, 'ps_a_w25', { model: 'a', width: '0.25', step: '3' }, 'succeeded', ps(68.8));
  cell(runDir, 'acc_a_w25', { model: 'a', width: '0.25', step: '3' }, 'succeeded', acc(0.35));
  cell(runDir, 'ps_a_w50', { model: 'a', width: '0.5', step: '3' }, 'skipped', null);
  cell(runDir, 'acc_a_w50', { model: 'a', width: '0.5', step: '3' }, 'skipped', null);
  // A model scored with two distances, and a PS cell with no accuracy partner.
  cell(runDir, 'ps_b', { model: 'b' }, 'succeeded', ps2(67.0, 68.0));
  cell(runDir, 'acc_b', { model: 'b' }, 'succeeded', acc(0.6));
  cell(runDir, 'ps_c', { model: 'c' }, 'succeeded', ps(66.0));
  cell(runDir, 'pending_ps', { model: 'a' }, 'pending', null);
  writeFileSync(join(runDir, 'manifest.json'), JSON.stringify({ runId: 'run', status: 'running', cells }));
  // A run without a manifest (e.g. a BullMQ worker's scratch copy of the upstream artifacts).
  noManifest = join(root, 'scratch');
  cell(noManifest, 'ps_a', { model: 'a', step: '1' }, 'succeeded', ps(69.0), false);
  cell(noManifest, 'acc_a', { model: 'a', step: '1' }, 'succeeded', acc(0.2), false);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const ctx = (dir: string) => ({ runDir: dir, stepId: 'pareto', log: { info: () => undefined, warn: () => undefined, debug: () => undefined } }) as unknown as JobContext;
const BASE = 'ps_a[model=a,step=3]';

describe('pareto from upstream steps', () => {
  it('pairs PS and accuracy cells by matrix values, ids from the PS cell, accuracy in %', () => {
    const g = gatherPoints(runDir, [{ ps: 'ps_a', accuracy: 'acc_a', group: 'a/train-steps' }]);
    expect(g.points.map((p) => [p.id, p.accuracy, p.ps, p.group])).toEqual([
      ['ps_a[model=a,step=1]', 20, 69.0, 'a/train-steps'],
      ['ps_a[model=a,step=2]', 30, 69.5, 'a/train-steps'],
      [BASE, 50, 68.0, 'a/train-steps'],
    ]);
    expect(g.points[0].source).toEqual({ psStep: 'ps_a', accuracyStep: 'acc_a', cell: 'model=a,step=1', matrix: { model: 'a', step: '1' } });
    expect(g.excluded).toEqual([]);
  });

  it('runs as a job: sweeps, gains over a gathered baseline, skipped cells listed and their baselines tolerated', async () => {
    const options = checkOptions(paretoJob, {
      from: [
        { ps: 'ps_a', accuracy: 'acc_a', group: 'a/train-steps' },
        { ps: ['ps_a_w25', 'ps_a_w50'], accuracy: ['acc_a_w25', 'acc_a_w50'], group: 'a/width' },
        { ps: 'ps_b', accuracy: 'acc_b', distance: 'mean-pool' },
      ],
      points: [{ id: 'alexnet', accuracy: 57, ps: 68.9 }],
      baseline: { 'a/train-steps': BASE, 'a/width': BASE, 'b/x': 'ps_a_w50[model=a,width=0.5,step=3]' },
    } as never, 'test');
    const out = await paretoJob.run(options, ctx(runDir));
    checkOutputs(paretoJob, out, 'test');
    const groups = out.groups as Record<string, Record<string, JsonValue>>;
    expect(groups['a/train-steps']).toMatchObject({ n: 3, best: 'ps_a[model=a,step=2]', pMax: 69.5, aPMax: 30, baselinePS: 68.0 });
    expect(groups['a/train-steps'].gain).toBeCloseTo(1.5, 10);
    // Only the 0.25 width ran (0.5 was skipped): the sweep is that one model.
    expect(groups['a/width']).toMatchObject({ n: 1, pMax: 68.8 });
    expect(groups['a/width'].gain).toBeCloseTo(0.8, 10);
    expect(groups.ps_b).toMatchObject({ n: 1, pMax: 68.0, aPMax: 60, baseline: null });
    expect((out.points as Array<{ id: string }>).map((p) => p.id)).toEqual([
      'alexnet', 'ps_a[model=a,step=1]', 'ps_a[model=a,step=2]', BASE, 'ps_a_w25[model=a,width=0.25,step=3]', 'ps_b[model=b]',
    ]);
    expect(out.excluded).toEqual([{ step: 'ps_a_w50', cell: 'model=a,width=0.5,step=3', reason: 'skipped' }]);
    expect((out.frontier as Array<{ id: string }>).map((p) => p.id)).toEqual(['ps_a[model=a,step=2]', 'alexnet', 'ps_b[model=b]']);
  });

  it('filters with where, and reads a run without a manifest from the cells on disk', () => {
    const g = gatherPoints(runDir, [{ ps: 'ps_a', accuracy: 'acc_a', where: { step: '3' } }]);
    expect(g.points.map((p) => p.id)).toEqual([BASE]);
    expect(gatherPoints(noManifest, [{ ps: 'ps_a', accuracy: 'acc_a' }]).points.map((p) => [p.id, p.accuracy])).toEqual([['ps_a[model=a,step=1]', 20]]);
    const run = readRun(noManifest, { manifestOptional: true });
    expect(run.steps.map((s) => [s.step, s.matrix])).toEqual([['acc_a', { model: 'a', step: '1' }], ['ps_a', { model: 'a', step: '1' }]]);
    expect(() => readRun(noManifest)).toThrow(/manifest\.json is missing/);
  });

  it('names what is wrong', async () => {
    expect(() => gatherPoints(runDir, [{ ps: 'ps_x', accuracy: 'acc_a' }])).toThrow(/option "from\[0\]\.ps" names step "ps_x", which has no cell/);
    expect(() => gatherPoints(runDir, [{ ps: 'pending_ps', accuracy: 'acc_a' }])).toThrow(/step "pending_ps" has not finished .*list it in this step's "needs"/);
    expect(() => gatherPoints(runDir, [{ ps: 'ps_b', accuracy: 'acc_b' }])).toThrow(/"from\[0\]\.distance" is needed: ps_b\[model=b\] scored 2 distances \(lpips, mean-pool\)/);
    expect(() => gatherPoints(runDir, [{ ps: 'ps_b', accuracy: 'acc_b', distance: 'style' }])).toThrow(/no PS for distance "style"/);
    // Two accuracy steps whose cells both agree with the PS cell: ambiguous.
    expect(() => gatherPoints(runDir, [{ ps: 'ps_a_w25', accuracy: ['acc_a', 'acc_a_w25'] }])).toThrow(/matches 2 accuracy cells/);
    const g = gatherPoints(runDir, [{ ps: 'ps_c', accuracy: 'acc_b' }]);
    expect(g.excluded).toEqual([{ step: 'ps_c', cell: 'model=c', reason: 'no accuracy cell in acc_b with matching matrix values' }]);
    await expect(paretoJob.run({ from: [{ ps: 'ps_c', accuracy: 'acc_b' }] }, ctx(runDir))).rejects.toThrow(/no point to analyse: every cell named in "from" was excluded \(ps_c\[model=c\]: no accuracy cell/);
    await expect(paretoJob.run({ from: [{ ps: 'ps_a', accuracy: 'acc_a', bogus: 1 }] }, ctx(runDir))).rejects.toThrow(/"from\[0\]\.bogus" is unknown/);
    await expect(paretoJob.run({ from: [{ ps: 'ps_a', accuracy: 'acc_a' }], baseline: 'ps_a[model=a,step=9]' }, ctx(runDir))).rejects.toThrow(InputError);
    expect(() => checkOptions(paretoJob, {} as never, 'wf')).toThrow();
    expect(() => checkOptions(paretoJob, { from: [{ ps: 'a' }] } as never, 'wf')).toThrow(/accuracy/);
  });

  it('matrixValuesAgree: at least one shared key, all shared keys equal', () => {
    expect(matrixValuesAgree({ matrix: { model: 'a', step: '1' } }, { matrix: { model: 'a' } })).toBe(true);
    expect(matrixValuesAgree({ matrix: { model: 'a', step: '1' } }, { matrix: { model: 'a', step: '2' } })).toBe(false);
    expect(matrixValuesAgree({ matrix: { model: 'a' } }, { matrix: { width: '1' } })).toBe(false);
    expect(matrixValuesAgree({ matrix: null }, { matrix: { model: 'a' } })).toBe(false);
  });
});
