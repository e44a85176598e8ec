import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRunReport, readRun, renderPng, renderSvg, findSubsetScores, selectSweep, meanAndStandardError, reportReporter } from '../index.js';
import { acc, entropy, margin, ps, writeCells } from '../__fixtures__/sweep-run.js';
import { countMarks, inspectPng, namedLayer, specLayers, svgTexts, type SpecLayer } from '../__fixtures__/inspect.js';

let root: string;
beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'percept-figures-')); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Layer = SpecLayer;
const layers = specLayers;
const named = namedLayer;

// fig06's layout: ResNets carry only `width`; ViT cells carry `width` and `depth`.
function fig06(dir: string) {
  const cells = [];
  for (const w of [0.0625, 0.25, 1]) {
    const m = { model: 'resnet6', width: w, step: '0112590' };
    cells.push(ps(`ps_r6_${w}`, m, 68 + w), acc(`acc_r6_${w}`, m, 0.2 + w / 4));
  }
  for (const [w, d] of [[1, 12], [0.5, 12], [0.125, 12], [1, 2], [1, 6]] as const) {
    const m = { model: 'vit-b8', width: w, depth: d, step: '0112590' };
    cells.push(ps(`ps_vit_${w}_${d}`, m, 66 + w + d / 10), acc(`acc_vit_${w}_${d}`, m, 0.3 + w / 5));
  }
  return writeCells(dir, cells);
}

describe('sweep charts from a run (PS vs a matrix key)', () => {
  it('ViT cells with width and depth: the width sweep keeps the default depth, the depth sweep keeps width 1', () => {
    const run = readRun(fig06(join(root, 'f6')));
    const scores = run.steps.flatMap(findSubsetScores);
    const width = selectSweep(scores, { key: 'width' });
    const vitWidths = width.cells.filter((c) => c.series === 'vit-b8').map((c) => c.x).sort((a, b) => a - b);
    expect(vitWidths).toEqual([0.125, 0.5, 1]);
    expect(width.cells.filter((c) => c.series === 'resnet6').map((c) => c.x).sort((a, b) => a - b)).toEqual([0.0625, 0.25, 1]);
    expect(width.left.map((l) => l.reason)).toEqual([expect.stringMatching(/another slice \(depth=2\)/), expect.stringMatching(/another slice \(depth=6\)/)]);
    const depth = selectSweep(scores, { key: 'depth' });
    expect(depth.cells.map((c) => c.x).sort((a, b) => a - b)).toEqual([2, 6, 12]);
    expect(depth.cells.every((c) => c.item.step.matrix?.width === 1)).toBe(true);
  });

  it('a key fixed per value travels with it (fig14: each class count has its own final step); where filters; last-number parses depth', () => {
    const dir = writeCells(join(root, 'f14'), [
      ps('a', { model: 'resnet6', classes: 50, step: '0005630' }, 69), ps('b', { model: 'resnet6', classes: 1000, step: '0112590' }, 68),
      ps('c', { model: 'resnet50', skip: false, step: '0000020' }, 67), ps('d', { model: 'resnet18', skip: false, step: '0000020' }, 66),
      ps('e', { model: 'resnet18', skip: false, step: '0000010' }, 65),
    ]);
    const scores = readRun(dir).steps.flatMap(findSubsetScores);
    expect(selectSweep(scores, { key: 'classes' }).cells.map((c) => c.x)).toEqual([50, 1000]);
    const depth = selectSweep(scores, { key: 'model', parse: 'last-number', where: { skip: false } });
    // Step 20 (the highest checkpoint) has two depths; step 10 one.
    expect(depth.cells.map((c) => c.x).sort((a, b) => a - b)).toEqual([18, 50]);
    expect(depth.cells[0].series).toBe('skip=false');
  });

  it('report: one sweep chart per spec, log x past 1.5 decades, lines per model; rendered', async () => {
    const run = readRun(fig06(join(root, 'f6b')));
    const doc = buildRunReport(run, { charts: [], tables: [], sweeps: [{ key: 'width', log: true }, { key: 'depth' }, { key: 'nope' }] });
    expect(doc.charts.map((c) => c.id)).toEqual(['sweep-ps-width', 'sweep-ps-depth']);
    expect(named(doc.charts[0].spec, 'lines')?.encoding?.x.scale).toMatchObject({ type: 'log' });
    expect(named(doc.charts[1].spec, 'lines')?.encoding?.x.scale.type).toBeUndefined();
    expect(doc.notes.join(' ')).toMatch(/sweep-ps-nope .* not drawn/);
    const svg = await renderSvg(doc.charts[0].spec);
    expect(countMarks(svg, 'lines')).toBe(2);
    expect(svgTexts(svg)).toEqual(expect.arrayContaining(['resnet6', 'vit-b8', 'width']));
    const png = inspectPng(await renderPng(doc.charts[1].spec, { scale: 1 }));
    expect(png.distinctColours).toBeGreaterThan(20);
  });

  it('colorBy colours PS-vs-accuracy points by a matrix key; pMax draws a guide pair per group', async () => {
    const run = readRun(fig06(join(root, 'f6c')));
    const doc = buildRunReport(run, { charts: ['ps-vs-accuracy'], tables: [], colorBy: ['model'], pMax: true });
    const spec = doc.charts[0].spec;
    expect(new Set(named(spec, 'points')?.data?.values.map((v) => v.group))).toEqual(new Set(['resnet6', 'vit-b8']));
    const guides = named(spec, 'pmax_rules')?.data?.values;
    expect(guides).toHaveLength(2);
    // ResNet-6's best PS is width 1 (68 + 1).
    expect(guides?.find((g) => g.group === 'resnet6')).toMatchObject({ ps: expect.closeTo(69, 6), accuracy: expect.closeTo(45, 6) });
    const svg = await renderSvg(spec);
    expect(countMarks(svg, 'pmax_rules')).toBe(2);
    expect(countMarks(svg, 'apmax_rules')).toBe(2);
    expect(countMarks(svg, 'points')).toBe(8);
  });
});

describe('mean ± standard error over seeds (Fig. 4)', () => {
  it('aggregates cells differing only in seed, with SE bars on both axes where n >= 2', async () => {
    const cells = [];
    for (const [seed, p, a] of [[0, 69, 0.2], [1, 70, 0.22], [2, 68, 0.24]] as const) {
      cells.push(ps(`ps_r6_s${seed}`, { model: 'resnet6', seed, step: 'final' }, p), acc(`acc_r6_s${seed}`, { model: 'resnet6', seed, step: 'final' }, a));
    }
    cells.push(ps('ps_r10', { model: 'resnet10', seed: 0, step: 'final' }, 67), acc('acc_r10', { model: 'resnet10', seed: 0, step: 'final' }, 0.3));
    const doc = buildRunReport(readRun(writeCells(join(root, 'f4'), cells)), { charts: ['ps-vs-accuracy'], tables: [], aggregate: 'seed', colorBy: ['model'] });
    const pts = named(doc.charts[0].spec, 'points')?.data?.values ?? [];
    expect(pts.map((p) => p.label)).toEqual(['resnet6/step=final'.replace('step=final', 'final'), 'resnet10/final']);
    const se = meanAndStandardError([69, 70, 68]).se!;
    expect(se).toBeCloseTo(1 / Math.sqrt(3), 10);
    expect(pts[0]).toMatchObject({ ps: expect.closeTo(69, 9), psLo: expect.closeTo(69 - se, 9), psHi: expect.closeTo(69 + se, 9), accuracy: expect.closeTo(22, 9) });
    expect(pts[1].psLo).toBeUndefined();
    expect(doc.charts[0].caption).toMatch(/mean over seed .*resnet10\/final had a single run/);
    const svg = await renderSvg(doc.charts[0].spec);
    expect(countMarks(svg, 'error_x')).toBe(1);
    expect(countMarks(svg, 'error_y')).toBe(1);
  });
});

describe('margin (Fig. 12) and entropy (Figs. 15-16) from their jobs', () => {
  const run12 = () => writeCells(join(root, 'f12'), [
    ...['0001251', '0002502', '0112590'].flatMap((s, i) => [
      margin('margin_r200', { model: 'resnet200', step: s }, 2 + i * 0.1, 1.2), ps('ps_r200', { model: 'resnet200', step: s }, 69 - i),
    ]),
    margin('margin_r6', { model: 'resnet6', step: '0112590' }, 3, 1.5), ps('ps_r6', { model: 'resnet6', step: '0112590' }, 69.5),
  ]);

  it('unanimous counts are not mistaken for scores', () => {
    const steps = readRun(run12()).steps.filter((s) => s.uses === 'distortion-sensitivity');
    expect(steps.flatMap(findSubsetScores)).toEqual([]);
  });

  it('margin vs step: far and near lines for the series with >= 2 steps; PS vs margin scatter', async () => {
    const doc = buildRunReport(readRun(run12()), { tables: [], charts: ['ps-vs-margin'], sweeps: [{ key: 'step', y: 'margin', scale: 1 / 1251, label: 'Training epoch' }] });
    expect(doc.charts.map((c) => c.id)).toEqual(['ps-vs-margin', 'sweep-margin-step']);
    const scatter = named(doc.charts[0].spec, 'points')?.data?.values ?? [];
    expect(scatter.map((p) => p.accuracy).sort()).toEqual([0.8, 0.9, 1.0, 1.5].map((x) => expect.closeTo(x, 9)));
    const m = doc.charts[1].spec as any;
    expect(m.data.values.map((v: any) => v.epoch)).toEqual([1, 1, 2, 2, 90, 90].map((x) => expect.closeTo(x, 9)));
    expect(doc.notes.join(' ')).toMatch(/resnet6 has 1 step value/);
    const svg = await renderSvg(m);
    expect(countMarks(svg, 'lines')).toBe(2);
    expect(svgTexts(svg)).toEqual(expect.arrayContaining(['farther patch', 'nearer patch', 'Training epoch']));
  });

  it('entropy vs step: one series -> a line per stage plus the black mean; several -> the mean per series; PS vs entropy', async () => {
    const cells = ['0000010', '0000020', '0000030'].flatMap((s, i) => [
      entropy('entropy_r200', { model: 'resnet200', skip: true, step: s }, [0.95 - i * 0.05, 0.9 - i * 0.05, 0.8, 0.7 - i * 0.1]),
      ps('ps_r200', { model: 'resnet200', skip: true, step: s }, 69 - i),
      entropy('entropy_r6n', { model: 'resnet6', skip: false, step: s }, [0.9, 0.8, 0.7, 0.6 + i * 0.01]),
    ]);
    const dir = writeCells(join(root, 'f15'), cells);
    const doc = buildRunReport(readRun(dir), {
      tables: [], charts: ['ps-vs-entropy'], colorBy: ['model', 'skip'],
      sweeps: [{ key: 'step', y: 'entropy', where: { model: 'resnet200' } }, { key: 'step', y: 'entropy' }],
    });
    expect(doc.charts.map((c) => c.id)).toEqual(['ps-vs-entropy', 'sweep-entropy-step', 'sweep-entropy-step-2']);
    const stages = doc.charts[1].spec;
    expect(new Set(named(stages, 'lines')?.data?.values.map((v) => v.line))).toEqual(new Set(['stage1', 'stage2', 'stage3', 'stage4']));
    expect(named(stages, 'mean')?.data?.values).toHaveLength(3);
    expect(named(stages, 'mean')?.encoding?.color.scale.range.at(-1)).toBe('black');
    const svg = await renderSvg(stages);
    expect(countMarks(svg, 'lines')).toBe(4);
    expect(svgTexts(svg)).toEqual(expect.arrayContaining(['mean of stages', 'Normalised entropy', 'stage1']));
    const both = doc.charts[2].spec;
    expect(named(both, 'mean')).toBeUndefined();
    expect(new Set(named(both, 'lines')?.data?.values.map((v) => v.line))).toEqual(new Set(['resnet200/skip=true', 'resnet6/skip=false']));
    expect(countMarks(await renderSvg(both), 'lines')).toBe(2);
    const scatter = doc.charts[0].spec;
    expect(named(scatter, 'frontier')).toBeUndefined();
    expect(named(scatter, 'points')?.data?.values.map((v) => v.group)).toEqual(['resnet200/skip=true', 'resnet200/skip=true', 'resnet200/skip=true']);
    const png = inspectPng(await renderPng(scatter, { scale: 1 }));
    expect(png.distinctColours).toBeGreaterThan(20);
    expect(doc.notes.join(' ')).not.toMatch(/ps-vs-entropy: no activation-entropy/);
  });
});

describe('report step options', () => {
  it('schema has the new options and bad sweeps are rejected', async () => {
    const props = (reportReporter.optionsSchema as any).properties;
    expect(Object.keys(props)).toEqual(expect.arrayContaining(['sweeps', 'colorBy', 'aggregate', 'pMax']));
    expect(props.sweeps.items.properties.y.enum).toEqual(['ps', 'entropy', 'margin']);
    const dir = fig06(join(root, 'f6d'));
    const ctx = { baseDir: root, runDir: dir, stepId: 'report', outputDir: join(root, 'out'), log: { info() {}, warn() {} }, progress() {}, record() {} } as any;
    await expect(reportReporter.run({ sweeps: [{ y: 'ps' }] } as any, ctx)).rejects.toThrow(/sweeps\[0\]\.key/);
    await expect(reportReporter.run({ sweeps: [{ key: 'width', y: 'accuracy' }] } as any, ctx)).rejects.toThrow(/sweeps\[0\]\.y/);
  });
});
