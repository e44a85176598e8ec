/**
 * The report on runs shaped like real perceptual-score output (the quickstart's synthetic subsets and
 * BAPPS val): which tables are chosen, short series labels, confidence intervals, layer-wise and JND
 * tables, and the provenance of a report written inside its own (still running) run.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { scoreOutputsSchema } from '@percept/dataset-bapps';
import {
  buildRunReport, readRun, renderHtmlReport, renderMarkdownReport, renderSvg, reportReporter, tableToCsv, tableToMarkdown,
  type ReportDocument,
} from '../index.js';
import { BAPPS_VAL, SYNTHETIC_SUBSETS, scoreResult, writeScoreRun } from '../__fixtures__/score-run.js';
import { countMarks, svgTexts } from '../__fixtures__/inspect.js';

let root: string;
let synthetic: string;
let bapps: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'percept-report-shapes-'));
  synthetic = writeScoreRun(root);
  bapps = writeScoreRun(root, { subsets: BAPPS_VAL, name: 'bapps' });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const table = (doc: ReportDocument, id: string) => {
  const t = doc.tables.find((x) => x.id === id);
  if (!t) throw new Error(`no table ${id} in ${doc.tables.map((x) => x.id).join(', ')}`);
  return t.table;
};

describe('fixture shape', () => {
  it('matches the perceptual-score outputs schema, field for field', () => {
    const result = scoreResult(SYNTHETIC_SUBSETS, [{ id: 'lpips', use: 'lpips', base: 98, layers: ['a', 'b'] }]);
    const ajv = new Ajv2020({ strict: false });
    expect(ajv.validate(scoreOutputsSchema as object, result), JSON.stringify(ajv.errors)).toBe(true);
    const schema = scoreOutputsSchema as { properties: Record<string, any> };
    // If the job adds or renames a field, the fixture (and the report) must follow.
    expect(Object.keys(result).sort()).toEqual(Object.keys(schema.properties).sort());
    expect(Object.keys(result.distances.lpips as object).sort()).toEqual(Object.keys(schema.properties.distances.additionalProperties.properties).sort());
  });
});

describe('synthetic subsets (quickstart)', () => {
  it('chooses the per-subset, layer-wise and JND tables, and no Table 5 or published rows', () => {
    const doc = buildRunReport(readRun(synthetic));
    expect(doc.tables.map((t) => t.id)).toEqual(['table-per-subset', 'table-layerwise', 'table-layerwise-2', 'table-jnd']);
    expect(doc.charts.map((c) => c.id)).toEqual(['per-subset', 'layerwise']);
    const md = doc.tables.map((t) => tableToMarkdown(t.table)).join('\n');
    expect(md).not.toMatch(/published/i);
    expect(md).not.toContain('Trad');
  });

  it('per-subset table: columns are the subsets in the job\'s order plus Mean, values carry their 95% CIs', () => {
    const t = table(buildRunReport(readRun(synthetic)), 'table-per-subset');
    expect(t.columns.map((c) => c.label)).toEqual(['Series', 'Source', ...SYNTHETIC_SUBSETS, 'Mean']);
    const row = t.rows.find((r) => r.cells.label === 'alexnet/onnx · lpips')!;
    expect(row.cells.description).toBe('networks [backbone=alexnet, backend=onnx] · lpips');
    // Subset k scores 98 - k with CI ±2 (capped at 100); the mean 96 carries the job's psCI95 [95, 97].
    expect(row.cells['s:noise']).toEqual({ value: 97, ci: [95, 99] });
    expect(row.cells.mean).toEqual({ value: 96, ci: [95, 97] });
    const md = tableToMarkdown(t);
    expect(md).toContain('| measured | alexnet/onnx · lpips | networks [backbone=alexnet, backend=onnx] · lpips | 98.0 [96.0, 100.0] | 97.0 [95.0, 99.0] |');
    expect(md).toContain('| measured | pixels · l2-lab | pixels · l2-lab (l2) |');
    // The judges' ceilings are reference rows in their own group, not methods.
    expect(t.rows.filter((r) => r.group === 'from the judges (not a method)').map((r) => r.cells.label)).toEqual(['rater agreement', 'oracle']);
    expect(t.notes?.join(' ')).toContain('Triplets per subset: photometric 48');
    const csv = tableToCsv(t).split('\r\n');
    expect(csv[0]).toContain('noise,noise CI95 low,noise CI95 high');
    expect(csv.find((l) => l.includes('alexnet/onnx · lpips'))).toContain(',97,95,99,');
  });

  it('short, unique series labels in the chart; full description only in the table', async () => {
    const doc = buildRunReport(readRun(synthetic));
    const spec = doc.charts.find((c) => c.id === 'per-subset')!.spec as any;
    const labels = [...new Set(spec.data.values.map((v: any) => v.method))];
    expect(labels).toEqual([
      'pixels · l2-lab', 'pixels · dssim',
      'alexnet/onnx · lpips', 'alexnet/onnx · mean-pool', 'alexnet/tfjs · lpips', 'alexnet/tfjs · mean-pool',
      'resnet6/onnx · lpips', 'resnet6/onnx · mean-pool', 'resnet6/tfjs · lpips', 'resnet6/tfjs · mean-pool',
    ]);
    const bars = spec.layer.find((l: any) => l.name === 'bars');
    expect(bars.encoding.color.legend.orient).toBe('bottom');
    const svg = await renderSvg(spec);
    const texts = svgTexts(svg);
    // No legend label was truncated with an ellipsis, and every subset is an axis label.
    expect(texts.filter((t) => t.includes('…'))).toEqual([]);
    expect(texts).toEqual(expect.arrayContaining([...labels as string[], ...SYNTHETIC_SUBSETS]));
    expect(countMarks(svg, 'bars')).toBe(10 * 5);
    expect(countMarks(svg, 'error_bars')).toBe(10 * 5);
  });

  it('layer-wise: one table per tap list; identical series are drawn once with a joined label', () => {
    const doc = buildRunReport(readRun(synthetic));
    const alex = table(doc, 'table-layerwise');
    expect(alex.columns.map((c) => c.label)).toEqual(['Series', 'relu1', 'relu2', 'relu3', 'relu4', 'relu5', 'All layers', 'Best layer']);
    expect(alex.rows[0].cells).toMatchObject({ label: 'alexnet/onnx · lpips', 'l:relu2': 97, 'l:relu1': 96.5, best: 'relu2 (97.0)' });
    expect(table(doc, 'table-layerwise-2').columns.map((c) => c.label)).toContain('layer4');
    const spec = doc.charts.find((c) => c.id === 'layerwise')!.spec as any;
    expect([...new Set(spec.data.values.map((v: any) => v.model))]).toEqual([
      'alexnet/onnx = alexnet/tfjs · lpips', 'alexnet/onnx = alexnet/tfjs · mean-pool',
      'resnet6/onnx = resnet6/tfjs · lpips', 'resnet6/onnx = resnet6/tfjs · mean-pool',
    ]);
    expect(doc.charts.find((c) => c.id === 'layerwise')!.caption).toContain('drawn once and named together');
  });

  it('JND table: mAP per subset and the job\'s mean', () => {
    const t = table(buildRunReport(readRun(synthetic)), 'table-jnd');
    expect(t.title).toBe('JND mAP per subset');
    expect(t.rows).toHaveLength(10);
    expect(t.rows[0].cells).toMatchObject({ label: 'pixels · l2-lab', 's:photometric': 90, 's:compression': 86, mean: 88 });
  });

  it('explicit table kinds: only those; Table 5 without BAPPS subsets is an error that says why', () => {
    const run = readRun(synthetic);
    expect(buildRunReport(run, { tables: ['jnd'] }).tables.map((t) => t.id)).toEqual(['table-jnd']);
    expect(() => buildRunReport(run, { tables: ['table5'] })).toThrow(/table "table5" was requested .* no scores on BAPPS val subsets/);
    expect(() => buildRunReport(run, { tables: ['pie' as never] })).toThrow(/unknown kind "pie"; expected one of per-subset, table5, layerwise, jnd/);
  });
});

describe('BAPPS val subsets', () => {
  it('Table 5 with intervals and published rows; no generic per-subset table by default', () => {
    const doc = buildRunReport(readRun(bapps));
    expect(doc.tables.map((t) => t.id)).toEqual(['table5', 'table-layerwise', 'table-layerwise-2', 'table-jnd']);
    const t5 = table(doc, 'table5');
    const alex = t5.rows.find((r) => r.cells.method === 'alexnet/onnx · lpips')!;
    expect(alex.cells.traditional).toEqual({ value: 98, ci: [96, 100] });
    // All = mean of 98..93 = 95.5 with the job's interval.
    expect(alex.cells.all).toEqual({ value: 95.5, ci: [94.5, 96.5] });
    expect(alex.cells.distortionsAll).toBe(97.5);
    expect(t5.rows.some((r) => r.group === 'published: Oracle')).toBe(true);
    expect(buildRunReport(readRun(bapps), { tables: ['per-subset'] }).tables.map((t) => t.id)).toEqual(['table-per-subset']);
  });

  it('published rows are left out for the train split, with a note', () => {
    const train = writeScoreRun(root, { subsets: BAPPS_VAL, name: 'train', split: 'train' });
    const doc = buildRunReport(readRun(train));
    expect(table(doc, 'table5').rows.some((r) => r.group?.startsWith('published'))).toBe(false);
    expect(doc.notes.join(' ')).toMatch(/no published rows because .* scored the train split/);
  });
});

describe('provenance of a report written inside its run', () => {
  it('says "in progress (report written by step …)" instead of a bare "running", and does not list its own cell as missing', async () => {
    const doc = buildRunReport(readRun(synthetic), { writtenBy: 'report' });
    expect(doc.provenance?.statusText).toBe('in progress (report written by step report)');
    expect(doc.notes.join(' ')).not.toMatch(/report\/-/);
    const html = await renderHtmlReport({ ...doc, charts: [] });
    expect(html).toContain('<dt>status</dt><dd>in progress (report written by step report)</dd>');
    expect(html).toContain('<dt>finished</dt><dd>not yet</dd>');
    expect(renderMarkdownReport(doc, (id) => `${id}.png`)).toContain('- **status**: `in progress (report written by step report)`');
    // Read by someone else (no writtenBy), the unfinished cell is reported as such.
    expect(buildRunReport(readRun(synthetic)).notes.join(' ')).toContain('Cells not finished when this report was written: report/-.');
  });

  it('the reporter passes its step id when it reports on its own run', async () => {
    const outputDir = join(root, 'own-run-report');
    const ctx = {
      stepId: 'report', outputDir, runDir: synthetic, baseDir: root, signal: new AbortController().signal,
      registry: undefined as never, log: { info() {}, warn() {}, debug() {} }, progress() {}, record() {},
    };
    const res = await reportReporter.run({ formats: ['md'], charts: ['per-subset'], tables: ['per-subset', 'jnd'] }, ctx);
    const md = readFileSync(res.markdown as string, 'utf8');
    expect(md).toContain('in progress (report written by step report)');
    expect(md).toContain('**JND mAP per subset**');
    expect(md).toContain('![2AFC score per subset](report-charts/per-subset.png)');
  });
});
