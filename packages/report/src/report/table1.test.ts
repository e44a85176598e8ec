/**
 * Kumar Table 1 and Fig. 10 in the report, from a pareto cell's outputs: gains per sweep beside the
 * published table (a separate, labelled group), the per-sweep p_max table, and the PS-vs-accuracy chart
 * coloured by sweep with its frontier.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRunReport, buildTable1, readRun, renderSvg, reportReporter, tableToMarkdown, splitGroup } from '../index.js';
import { countMarks, namedLayer } from '../__fixtures__/inspect.js';
import { acc, ps, writeCells } from '../__fixtures__/sweep-run.js';

// Illustrative inputs for the report mechanics, not results.
const groups = {
  'resnet6/train-steps': { n: 3, best: 'ps_resnet6[model=resnet6,step=0003753]', pMax: 69.8, aPMax: 21.5, baseline: 'ps_resnet6[model=resnet6,step=0112590]', baselinePS: 69.0, gain: 0.8 },
  'resnet6/width': { n: 2, best: 'ps_resnet6_width[model=resnet6,width=0.25]', pMax: 68.7, aPMax: 30, baseline: 'ps_resnet6[model=resnet6,step=0112590]', baselinePS: 69.0, gain: -0.3 },
  'resnet6/dropout': { n: 2, best: 'x', pMax: 68.0, aPMax: 40, baseline: null, baselinePS: null, gain: null },
};
const points = [
  { id: 'ps_resnet6[model=resnet6,step=0003753]', accuracy: 21.5, ps: 69.8, group: 'resnet6/train-steps' },
  { id: 'ps_resnet6[model=resnet6,step=0010008]', accuracy: 35, ps: 69.2, group: 'resnet6/train-steps' },
  { id: 'ps_resnet6[model=resnet6,step=0112590]', accuracy: 50, ps: 69.0, group: 'resnet6/train-steps' },
  { id: 'ps_resnet6_width[model=resnet6,width=0.25]', accuracy: 30, ps: 68.7, group: 'resnet6/width' },
  { id: 'ps_resnet6_width[model=resnet6,width=0.5]', accuracy: 40, ps: 68.5, group: 'resnet6/width' },
];

let root: string;
let runDir: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'percept-report-table1-'));
  runDir = join(root, 'runs', 't1', 'r1');
  mkdirSync(join(runDir, 'steps', 'pareto'), { recursive: true });
  writeFileSync(join(runDir, 'steps', 'pareto', 'result.json'), JSON.stringify({
    points, frontier: [points[0], points[1], points[4], points[2]], groups,
    excluded: [{ step: 'ps_resnet200', cell: 'model=resnet200,step=0112590', reason: 'skipped' }],
  }));
  writeFileSync(join(runDir, 'manifest.json'), JSON.stringify({
    runId: 'r1', status: 'succeeded',
    cells: [{ step: 'pareto', cell: '', dir: 'steps/pareto', uses: 'pareto', status: 'succeeded', matrix: null }],
  }));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('Table 1 and Fig. 10', () => {
  it('splits sweep names into model and sweep', () => {
    expect(splitGroup('vit-b8/weight-decay')).toEqual({ model: 'vit-b8', sweep: 'weight-decay' });
    expect(splitGroup('width')).toEqual({ model: 'width', sweep: 'width' });
  });

  it('lays out gains per sweep, with the published rows as their own labelled group', () => {
    const doc = buildRunReport(readRun(runDir));
    expect(doc.tables.map((t) => t.id)).toEqual(['table-1', 'table-sweeps']);
    const t = doc.tables[0].table;
    expect(t.columns.map((c) => c.label)).toEqual(['Model', 'Default', 'Width', 'Depth', 'Weight Decay', 'Central Crop', 'Train Steps', 'dropout', 'Best']);
    const md = tableToMarkdown(t);
    // Measured: default 69.0, width −0.3, train steps +0.8, a sweep without default shows its p_max; best = 69.0 + 0.8.
    expect(md).toMatch(/\| resnet6 \| 69\.0 \| −0\.3 \| – \| – \| – \| \+0\.8 \| p_max 68\.0 \| 69\.8 \|/);
    // Published ResNet-6 row (SPEC §2.4), labelled; no published rows for models not in the run.
    expect(md).toMatch(/\| ResNet-6 \(published\) \| 69\.1 \| \+0\.4 \| – \| \+0\.3 \| 0\.0 \| \+0\.5 \| – \| 69\.6 \|/);
    expect(md).not.toMatch(/ResNet-200/);
    expect(md).toMatch(/published \(Kumar et al\. 2022 Table 1\)/);
    expect(doc.notes.join(' ')).toMatch(/left out 1 cell\(s\): ps_resnet200\[model=resnet200,step=0112590\] \(skipped\)/);
    const sweeps = tableToMarkdown(doc.tables[1].table);
    expect(sweeps).toMatch(/\| resnet6 \| train-steps \| 3 \| 69\.80 \| 21\.5 \| ps_resnet6\[model=resnet6,step=0003753\] \| 69\.00 \| 0\.80 \|/);
  });

  it('without published values, no published rows', () => {
    const md = tableToMarkdown(buildTable1(groups, { published: false }));
    expect(md).not.toMatch(/published/);
  });

  it('draws every model coloured by sweep with the frontier', async () => {
    const doc = buildRunReport(readRun(runDir), { published: false });
    expect(doc.charts.map((c) => c.id)).toEqual(['pareto']);
    const spec = doc.charts[0].spec as { data?: { values: Array<{ group: string }> }; layer?: Array<{ name?: string; data?: { values: Array<{ group: string }> } }> };
    const svg = await renderSvg(doc.charts[0].spec);
    expect(svg).toContain('resnet6/width');
    expect(svg).toContain('resnet6/train-steps');
    expect(countMarks(svg, 'frontier')).toBeGreaterThan(0);
    expect(JSON.stringify(spec)).toContain('ps_resnet6_width[model=resnet6,width=0.5]');
    expect(() => buildRunReport(readRun(runDir), { tables: ['lowpass'] })).toThrow(/table "lowpass" was requested/);
  });

  it('draws another run\'s models as the grey dashed reference frontier (Fig. 10), and names a bad referenceRun', async () => {
    // Out-of-the-box models of "fig01": r50 is dominated by r18 (lower PS and lower accuracy).
    const cells = [];
    for (const [m, p, a] of [['r6', 69.0, 0.20], ['r18', 68.4, 0.52], ['r50', 68.0, 0.50], ['r200', 67.5, 0.60]] as const) {
      cells.push(ps(`ps_${m}`, { model: m, step: 'final' }, p), acc(`acc_${m}`, { model: m, step: 'final' }, a));
    }
    const refDir = writeCells(join(root, 'fig01'), cells);
    const doc = buildRunReport(readRun(runDir), { published: false, referenceRun: readRun(refDir) });
    const spec = doc.charts[0].spec;
    const line = namedLayer(spec, 'reference_frontier');
    expect(line?.mark).toMatchObject({ type: 'line', strokeDash: [6, 4] });
    expect(line?.data?.values.map((v) => String(v.label).split('/')[0]).sort()).toEqual(['r18', 'r200', 'r6']);
    expect(doc.charts[0].caption).toMatch(/grey dashed line is the frontier of the 4 models of run/);
    expect(countMarks(await renderSvg(spec), 'reference_frontier')).toBe(1);

    await expect(reportReporter.run({ referenceRun: join(root, 'nowhere') }, {
      stepId: 'report', outputDir: root, runDir, baseDir: root, registry: undefined as never, signal: new AbortController().signal,
      log: { info() {}, warn() {}, debug() {} }, progress() {}, record() {},
    } as never)).rejects.toThrow(/report option "referenceRun": .*nowhere/);
  });
});
