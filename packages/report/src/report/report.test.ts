import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '@percept/core';
import { buildRunReport, readRun, renderHtmlReport, reportFromRunDir, writeReport, reportReporter, findSubsetScores } from '../index.js';
import { writeFixtureRun } from '../__fixtures__/run-fixture.js';
import { countMarks, inspectPng } from '../__fixtures__/inspect.js';

let root: string;
let runDir: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'percept-report-'));
  runDir = writeFixtureRun(root, { failedCell: true });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('readRun', () => {
  it('reads the manifest provenance and every cell with its outputs', () => {
    const run = readRun(runDir);
    expect(run.provenance).toMatchObject({ runId: 'run-1', engine: 'local', workflow: { sha256: 'abc123' } });
    expect(run.steps.filter((s) => s.step === 'score')).toHaveLength(4);
    const a = run.steps.find((s) => s.step === 'accuracy' && s.matrix?.backbone === 'net-b');
    expect(a?.outputs).toMatchObject({ top1: 0.45 });
    expect(run.steps.find((s) => s.status === 'failed')?.outputs).toBeNull();
  });

  it('finds cells on disk that the manifest does not list yet', () => {
    const dir = join(runDir, 'steps', 'extra');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'result.json'), JSON.stringify({ outputs: { top1: 0.3 } }));
    try {
      const extra = readRun(runDir).steps.find((s) => s.step === 'extra');
      expect(extra?.outputs).toEqual({ top1: 0.3 });
    } finally {
      rmSync(dir, { recursive: true });
    }
  });

  it('names the path when a directory is not a run', () => {
    expect(() => readRun(root)).toThrow(InputError);
    expect(() => readRun(root)).toThrow(/manifest\.json is missing/);
    expect(() => readRun(join(root, 'nope'))).toThrow(/does not exist/);
  });
});

describe('buildRunReport', () => {
  it('pairs PS and accuracy cells by matrix values and scales fractions to ×100', () => {
    const doc = reportFromRunDir(runDir);
    expect(doc.charts.map((c) => c.id)).toEqual(['ps-vs-accuracy', 'per-subset', 'layerwise']);
    const scatter = doc.charts[0].spec as any;
    const pts = scatter.layer.find((l: any) => l.name === 'points').data.values;
    expect(pts.map((p: any) => p.accuracy)).toEqual([20, 45, 60]);
    // The accuracy job's top-1 interval becomes the horizontal error bar (percent).
    expect(pts[0].accuracyLo).toBeCloseTo(13, 10);
    expect(pts[0].accuracyHi).toBeCloseTo(29, 10);
    expect(pts[1].accuracyLo).toBeUndefined();
    // Mean of base + (k - 2.5) over k = 0..5 is the base value.
    expect(pts[0].ps).toBeCloseTo(69, 10);
    // PS falls monotonically with accuracy in the fixture: rank correlation exactly -1.
    expect(doc.charts[0].caption).toContain('Spearman ρ = -1.00 (n = 3)');
    expect(doc.tables[0].table.rows[0].cells).toMatchObject({ method: 'net-a · lpips-baseline', traditional: 66.5 });
    expect(doc.notes.join(' ')).toMatch(/score\/backbone=net-d \(failed\)/);
    expect(doc.provenance?.steps?.[0].engine).toBe('onnxruntime-node 1.30.0 (cpu)');
  });

  it('layer-wise points keep the job\'s layer order and names', () => {
    const f = findSubsetScores(readRun(runDir).steps[0]);
    expect(f[0].perLayer?.map((l) => l.layer)).toEqual(['layer1', 'layer2', 'layer3', 'layer4']);
    expect(f[0].perLayer?.[2].ps).toBeCloseTo(68.5, 10);
  });

  it('selecting charts/steps: unknown names and charts without data are errors that say what exists', () => {
    const run = readRun(runDir);
    expect(() => buildRunReport(run, { psSteps: ['scores'] })).toThrow(/no step "scores".*/);
    expect(() => buildRunReport(run, { charts: ['pie' as never] })).toThrow(/unknown kind "pie"/);
    expect(() => buildRunReport(run, { accuracySteps: ['score'], charts: ['ps-vs-accuracy'] })).toThrow(/ps-vs-accuracy" was requested/);
    const only = buildRunReport(run, { charts: ['per-subset'], published: false });
    expect(only.charts.map((c) => c.id)).toEqual(['per-subset']);
    expect(only.tables[0].table.rows.every((r) => !r.group?.startsWith('published'))).toBe(true);
  });
});

describe('writeReport', () => {
  it('html: one self-contained file with inline SVGs, provenance and the table', async () => {
    const html = await renderHtmlReport(reportFromRunDir(runDir));
    expect(html.match(/<svg/g)).toHaveLength(3);
    expect(html).toContain('abc123');
    expect(html).toContain('onnxruntime-node 1.30.0 (cpu)');
    expect(html).toContain('published: Oracle');
    // No scripts, stylesheets or images fetched from anywhere: the only URLs are XML namespaces.
    expect(html).not.toMatch(/<script|<link|src=/i);
    expect(html.replace(/xmlns(:xlink)?="[^"]*"/g, '')).not.toMatch(/https?:\/\//);
    expect(countMarks(html, 'points')).toBe(3);
  });

  it('md + png: Markdown links PNGs that exist and are real images', async () => {
    const out = join(root, 'out', 'r.md');
    const files = await writeReport(reportFromRunDir(runDir), { format: 'md', out, scale: 1 });
    expect(files).toHaveLength(4);
    expect(files[files.length - 1]).toBe(out);
    const md = readFileSync(out, 'utf8');
    expect(md).toContain('](r-charts/ps-vs-accuracy.png)');
    expect(md).toContain('| Group | Method | Trad |');
    const png = inspectPng(readFileSync(join(root, 'out', 'r-charts', 'ps-vs-accuracy.png')));
    expect(png.width).toBe(560);
    expect(png.height).toBe(360);
    expect(png.distinctColours).toBeGreaterThan(20);
  });

  it('the reporter contribution writes into ctx.outputDir and returns the paths', async () => {
    const outputDir = join(root, 'reporter-out');
    const logs: string[] = [];
    const recorded: Record<string, unknown> = {};
    const ctx = {
      stepId: 'report', outputDir, runDir: join(root, 'unused'), baseDir: root, signal: new AbortController().signal,
      registry: undefined as never,
      log: { info: (m: string) => logs.push(m), warn: () => {}, debug: () => {} },
      progress: () => {},
      record: (k: string, v: unknown) => { recorded[k] = v; },
    };
    const res = await reportReporter.run({ run: runDir, formats: ['html', 'png'], charts: ['per-subset'] }, ctx);
    expect(res.html).toBe(join(outputDir, 'report.html'));
    expect(res.charts).toEqual([join(outputDir, 'charts', 'per-subset.png')]);
    expect(existsSync(join(outputDir, 'charts', 'per-subset.png'))).toBe(true);
    expect(recorded.reportedRun).toBe(runDir);
    await expect(reportReporter.run({ run: join(root, 'missing') }, ctx)).rejects.toThrow(/does not exist/);
  });
});
