/**
 * The report on a run with lowpass-accuracy cells (Kumar Fig. 17): the normalised-accuracy chart and
 * table are drawn from the job's `curve` output, one series per cell.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { lowpassAccuracyOutputsSchema } from '@percept/dataset-imagenet';
import { buildRunReport, readRun, renderSvg, tableToMarkdown } from '../index.js';
import { countMarks, svgTexts } from '../__fixtures__/inspect.js';

// Illustrative inputs for the report mechanics, not results.
function lowpassResult(cleanCorrect: number, correct: number[], r: number[], count = 100) {
  const curve = r.map((x, i) => ({
    r: x, top1: correct[i] / count, top1CI95: [correct[i] / count - 0.05, correct[i] / count + 0.05], correct: correct[i],
    normalizedAccuracy: cleanCorrect ? correct[i] / cleanCorrect : null,
    normalizedCI95: cleanCorrect ? [correct[i] / cleanCorrect - 0.04, correct[i] / cleanCorrect + 0.03] : null,
  }));
  return {
    r, normalizedAccuracy: curve.map((c) => c.normalizedAccuracy), normalizedCI95: curve.map((c) => c.normalizedCI95), top1: curve.map((c) => c.top1),
    clean: { top1: cleanCorrect / count, top1CI95: [cleanCorrect / count - 0.05, cleanCorrect / count + 0.05], correct: cleanCorrect, count },
    curve, count, imageSize: [64, 64], skipped: 0, classes: 10, outputs: 10, classOffset: 0, perClass: {},
    bootstrap: { method: 'paired percentile bootstrap over images (same draws for every r)', level: 0.95, resamples: 1000, seed: 0, undefinedResamples: 0 },
  };
}

let root: string;
let runDir: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'percept-report-lowpass-'));
  runDir = join(root, 'runs', 'fig17', 'r1');
  const cells: object[] = [];
  const add = (step: string, matrix: Record<string, string>, result: object) => {
    const cell = Object.entries(matrix).map(([k, v]) => `${k}=${v}`).join(',');
    const dir = join('steps', step, cell);
    mkdirSync(join(runDir, dir), { recursive: true });
    writeFileSync(join(runDir, dir, 'result.json'), JSON.stringify(result));
    cells.push({ step, cell, dir, matrix, uses: 'lowpass-accuracy', status: 'succeeded', plugin: { name: '@percept/dataset-imagenet', version: '0.1.0' } });
  };
  add('lowpass_resnet6', { model: 'resnet6', step: '0112590' }, lowpassResult(50, [10, 30, 45], [8, 32, 64]));
  add('lowpass_resnet200', { model: 'resnet200', step: '0112590' }, lowpassResult(60, [20, 50, 60], [8, 32, 64]));
  add('lowpass_zero', { model: 'untrained', step: '0' }, lowpassResult(0, [0], [8]));
  writeFileSync(join(runDir, 'manifest.json'), JSON.stringify({ runId: 'r1', status: 'succeeded', workflow: { name: 'fig17' }, cells }));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('low-pass accuracy in the report', () => {
  it('the fixture has the lowpass-accuracy job\'s output shape', () => {
    const ajv = new Ajv2020({ strict: false });
    const result = lowpassResult(50, [10, 30, 45], [8, 32, 64]);
    expect(ajv.validate(lowpassAccuracyOutputsSchema as object, result), JSON.stringify(ajv.errors)).toBe(true);
    const schema = lowpassAccuracyOutputsSchema as { properties: Record<string, unknown> };
    expect(Object.keys(result).sort()).toEqual(Object.keys(schema.properties).sort());
  });

  it('draws normalised accuracy against r, one line per cell, with interval whiskers', async () => {
    const doc = buildRunReport(readRun(runDir));
    expect(doc.charts.map((c) => c.id)).toEqual(['lowpass']);
    const spec = doc.charts[0].spec as { layer: Array<{ name: string }>; data: { values: Array<{ model: string; r: number; normalizedAccuracy: number }> } };
    const values = spec.data.values;
    expect(values.filter((v) => v.model === 'resnet6/0112590').map((v) => [v.r, v.normalizedAccuracy])).toEqual([[8, 0.2], [32, 0.6], [64, 0.9]]);
    expect(values.filter((v) => v.model === 'resnet200/0112590')).toHaveLength(3);
    // The cell whose clean top-1 is 0 has no ratio: not drawn, and said so.
    expect(values.some((v) => v.model.startsWith('untrained'))).toBe(false);
    expect(doc.notes.join(' ')).toMatch(/undefined \(clean top-1 is 0\) for: untrained\/0/);
    const svg = await renderSvg(doc.charts[0].spec);
    expect(svgTexts(svg)).toContain('Low-pass filter side r (Fourier bins kept)');
    expect(countMarks(svg, 'error_y')).toBe(6);
  });

  it('tabulates normalised accuracy per r with intervals beside clean top-1', () => {
    const doc = buildRunReport(readRun(runDir));
    const t = doc.tables.find((x) => x.id === 'table-lowpass')!.table;
    expect(t.columns.map((c) => c.label)).toEqual(['Series', 'Clean top-1 (%)', 'r = 8', 'r = 32', 'r = 64']);
    const md = tableToMarkdown(t);
    expect(md).toMatch(/\| resnet6\/0112590 \| 50\.0 \[45\.0, 55\.0\] \| 0\.200 \[0\.160, 0\.230\] \| 0\.600 \[0\.560, 0\.630\] \| 0\.900 \[0\.860, 0\.930\] \|/);
    expect(md).toMatch(/\| untrained\/0 \| 0\.0 .*\| – \| – \| – \|/);
  });

  it('asking for the chart without such cells names what is missing', () => {
    const empty = join(root, 'runs', 'empty', 'r');
    mkdirSync(empty, { recursive: true });
    writeFileSync(join(empty, 'manifest.json'), JSON.stringify({ runId: 'r', cells: [] }));
    expect(() => buildRunReport(readRun(empty), { charts: ['lowpass'] })).toThrow(/chart "lowpass" was requested but run .* has no lowpass-accuracy outputs/);
    expect(() => buildRunReport(readRun(empty), { tables: ['lowpass'] })).toThrow(/table "lowpass" was requested/);
  });
});
