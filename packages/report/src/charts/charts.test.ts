import { describe, it, expect } from 'vitest';
import { InputError } from '@percept/core';
import {
  entropyChart,
  errorBarScatterChart,
  layerwiseChart,
  lowPassChart,
  marginChart,
  perSubsetChart,
  psVsAccuracyChart,
  renderPng,
  renderSvg,
  sweepChart,
  type AccuracyPsPoint,
} from '../index.js';
import { referenceLabelSides } from './ps-vs-accuracy.js';
import { countMarks, hasMarkGroup, inspectPng, svgSize, svgTexts } from '../__fixtures__/inspect.js';

// Illustrative inputs for chart mechanics only; they are not results.
const points: AccuracyPsPoint[] = [
  { label: 'm1', accuracy: 20, ps: 69.1, group: 'ResNet' },
  { label: 'm2', accuracy: 35, ps: 68.5, group: 'ResNet' },
  { label: 'm3', accuracy: 30, ps: 67.0, group: 'ResNet' },
  { label: 'm4', accuracy: 60, ps: 67.2, group: 'ViT' },
  { label: 'm5', accuracy: 50, ps: 66.0, group: 'ViT' },
];

type Layer = { name?: string; mark?: unknown; layer?: Layer[]; encoding?: Record<string, any>; data?: { values: any[] } };
const flat = (ls: Layer[]): Layer[] => ls.flatMap((l) => [l, ...flat(l.layer ?? [])]);

describe('psVsAccuracyChart', () => {
  it('spec: points, frontier layer over the non-dominated set, published reference rules', () => {
    const spec = psVsAccuracyChart(points) as unknown as { layer: Layer[]; width: number };
    const layers = flat(spec.layer);
    const front = layers.find((l) => l.name === 'frontier');
    expect(front?.mark).toMatchObject({ type: 'line' });
    // m3 and m5 are dominated (m2 beats both on both axes); the rest form the frontier in accuracy order.
    expect(front?.data?.values.map((v) => v.label)).toEqual(['m1', 'm2', 'm4']);
    const pts = layers.find((l) => l.name === 'points');
    expect(pts?.encoding?.x.field).toBe('accuracy');
    expect(pts?.encoding?.y.field).toBe('ps');
    expect(pts?.encoding?.color.field).toBe('group');
    const refs = layers.find((l) => l.name === 'reference_labels');
    expect(refs?.encoding?.text).toBeDefined();
    const refData = (spec.layer.find((l) => l.layer?.some((c) => c.name === 'reference_rules'))?.data?.values ?? []).map((v) => v.text);
    expect(refData).toEqual([
      'Human (published) 73.9', 'AlexNet (published) 68.9', 'Random network (published) 64.3', 'FSIMc (published) 63.8',
    ]);
  });

  it('puts a reference label below its rule when a line or label crowds the space above it', () => {
    // Domain 60–80: a text height is 0.7. FSIMc 63.8 has Random network 64.3 just above it; AlexNet
    // 68.9 has a p_max guide at 69.2 just above it; Human 73.9 has room.
    expect(referenceLabelSides([73.9, 68.9, 64.3, 63.8], [69.2], [60, 80])).toEqual(['above', 'below', 'above', 'below']);
    expect(referenceLabelSides([73.9, 68.9, 64.3, 63.8], [], [60, 80])).toEqual(['above', 'above', 'above', 'below']);
    // Three values a fraction of a text height apart: the middle one has lines on both sides and
    // stays above; the lowest has room below.
    expect(referenceLabelSides([70, 69.8, 69.6], [], [60, 80])).toEqual(['above', 'above', 'below']);
    const spec = psVsAccuracyChart(points, { guides: [{ group: 'g', pMax: 69.2, aPMax: 50 }] }) as unknown as { layer: Layer[] };
    const below = flat(spec.layer).find((l) => l.name === 'reference_labels_below');
    expect(below?.mark).toMatchObject({ baseline: 'top' });
  });

  it('SVG: requested size, one symbol per point, one frontier path, four reference rules, axis titles', async () => {
    const svg = await renderSvg(psVsAccuracyChart(points, { width: 640, height: 420 }));
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svgSize(svg)).toEqual({ width: 640, height: 420 });
    expect(countMarks(svg, 'points')).toBe(points.length);
    expect(countMarks(svg, 'frontier')).toBe(1);
    expect(countMarks(svg, 'reference_rules')).toBe(4);
    const texts = svgTexts(svg);
    expect(texts).toContain('ImageNet top-1 accuracy (%)');
    expect(texts).toContain('Perceptual Score (2AFC ×100)');
    expect(texts).toContain('Human (published) 73.9');
  });

  it('frontier and references can be turned off', async () => {
    const svg = await renderSvg(psVsAccuracyChart(points, { frontier: false, references: false }));
    expect(hasMarkGroup(svg, 'frontier')).toBe(false);
    expect(hasMarkGroup(svg, 'reference_rules')).toBe(false);
    expect(countMarks(svg, 'points')).toBe(5);
  });

  it('2-D error bars: one horizontal and one vertical rule per point with intervals', async () => {
    const withCi = points.map((p, i) =>
      i < 3 ? { ...p, accuracyInterval: [p.accuracy - 1, p.accuracy + 1] as const, psInterval: [p.ps - 0.2, p.ps + 0.2] as const } : p,
    );
    const spec = errorBarScatterChart(withCi) as unknown as { layer: Layer[] };
    const ex = spec.layer.find((l) => l.name === 'error_x');
    expect(ex?.encoding?.x2).toEqual({ field: 'accuracyHi' });
    const svg = await renderSvg(spec as never);
    expect(countMarks(svg, 'error_x')).toBe(3);
    expect(countMarks(svg, 'error_y')).toBe(3);
    expect(hasMarkGroup(svg, 'frontier')).toBe(false);
  });

  it('rejects bad data naming the datum and field', () => {
    expect(() => psVsAccuracyChart([{ label: 'x', accuracy: 10, ps: Number.NaN }])).toThrow(InputError);
    expect(() => psVsAccuracyChart([{ label: 'x', accuracy: 10, ps: Number.NaN }])).toThrow(/data\[0\]\.ps must be a finite number/);
    expect(() => psVsAccuracyChart([{ label: 'x', accuracy: 10, ps: 60, psInterval: [61, 62] }])).toThrow(/does not contain the value 60/);
    expect(() => psVsAccuracyChart([])).toThrow(/non-empty/);
    expect(() => psVsAccuracyChart(points, { width: 5 })).toThrow(/"width"/);
  });
});

describe('sweepChart', () => {
  const wd = [1e-5, 1e-4, 1e-3, 1e-2].map((value, i) => ({ series: 'ResNet-6', value, ps: 68 + (i % 2) }));
  it('uses a log x axis automatically when positive values span more than 1.5 decades', () => {
    const spec = sweepChart(wd, { parameter: 'weight decay' }) as unknown as { layer: Layer[] };
    expect(flat(spec.layer).find((l) => l.name === 'lines')?.encoding?.x.scale).toMatchObject({ type: 'log' });
  });
  it('stays linear for a narrow range, and log can be forced or refused', () => {
    const widths = [0.25, 0.5, 1].map((value) => ({ value, ps: 68 }));
    const lin = sweepChart(widths, { parameter: 'width' }) as unknown as { layer: Layer[] };
    expect(flat(lin.layer).find((l) => l.name === 'lines')?.encoding?.x.scale.type).toBeUndefined();
    const forced = sweepChart(widths, { parameter: 'width', logX: true }) as unknown as { layer: Layer[] };
    expect(flat(forced.layer).find((l) => l.name === 'lines')?.encoding?.x.scale.type).toBe('log');
    expect(() => sweepChart([{ value: 0, ps: 1 }], { parameter: 'dropout', logX: true })).toThrow(/<= 0/);
  });
  it('SVG: one line per series, one point per value, parameter as the x title', async () => {
    const two = [...wd, ...wd.map((p) => ({ ...p, series: 'ResNet-200', ps: p.ps - 1 }))];
    const svg = await renderSvg(sweepChart(two, { parameter: 'weight decay', width: 500, height: 300 }));
    expect(svgSize(svg)).toEqual({ width: 500, height: 300 });
    expect(countMarks(svg, 'lines')).toBe(2);
    expect(svgTexts(svg)).toContain('weight decay');
  });
});

describe('layerwise, per-subset, margin and low-pass charts', () => {
  it('layerwise line and grouped bar', async () => {
    const data = ['ResNet-6', 'ResNet-200'].flatMap((model, m) => [1, 2, 3, 4].map((layer) => ({ model, layer, ps: 64 + layer - m })));
    const line = layerwiseChart(data) as any;
    expect(line.mark.type).toBe('line');
    expect(line.encoding.x.field).toBe('layer');
    const bar = layerwiseChart(data, { mark: 'bar' }) as any;
    expect(bar.encoding.xOffset.field).toBe('model');
    const svg = await renderSvg(bar);
    expect(countMarks(svg, 'marks')).toBe(8);
    expect(() => layerwiseChart([{ model: 'x', layer: 0.5, ps: 1 }])).toThrow(/1-based integer/);
  });

  it('per-subset grouped bars: one bar per (method, subset), BAPPS order first', async () => {
    const spec = perSubsetChart([
      { method: 'A', perSubset: { cnn: 80, traditional: 70, synthetic: 90 } },
      { method: 'B', perSubset: { cnn: 81, traditional: 72 } },
    ]) as any;
    expect(spec.encoding.x.sort).toEqual(['traditional', 'cnn', 'synthetic']);
    expect(spec.encoding.xOffset.field).toBe('method');
    expect(spec.layer.map((l: any) => l.name)).toEqual(['bars']);
    const svg = await renderSvg(spec);
    expect(countMarks(svg, 'bars')).toBe(5);
    expect(svgTexts(svg)).toEqual(expect.arrayContaining(['traditional', 'cnn', 'synthetic', '2AFC score ×100']));
  });

  it('per-subset: error bars from intervals, 20-colour scheme past 10 series, rotated labels when they collide', async () => {
    const many = Array.from({ length: 12 }, (_, i) => ({
      method: `series-${i}`,
      perSubset: { 'a-long-subset-name': 80 + i, 'another-long-subset-name': 70 },
      ...(i < 3 ? { intervals: { 'a-long-subset-name': [79 + i, 81 + i] as const } } : {}),
    }));
    const spec = perSubsetChart(many, { width: 300 }) as any;
    expect(spec.layer[0].encoding.color.scale.scheme).toBe('tableau20');
    expect(spec.encoding.x.axis.labelAngle).toBe(-35);
    const svg = await renderSvg(spec);
    expect(countMarks(svg, 'error_bars')).toBe(3);
    expect((perSubsetChart(many.slice(0, 4)) as any).layer[0].encoding.color.scale.scheme).toBe('tableau10');
    expect((perSubsetChart(many.slice(0, 4)) as any).encoding.x.axis.labelAngle).toBe(0);
    expect(() => perSubsetChart([{ method: 'x', perSubset: { a: 60 }, intervals: { a: [61, 62] } }])).toThrow(/intervals\.a \[61, 62\] does not contain the value 60/);
  });

  it('margin chart: two lines, far and near', async () => {
    const spec = marginChart([0, 1, 2].map((epoch) => ({ epoch, far: 1 + epoch * 0.1, near: 0.5 }))) as any;
    expect(spec.layer[0].encoding.color.field).toBe('patch');
    expect(spec.data.values).toHaveLength(6);
    const svg = await renderSvg(spec);
    expect(countMarks(svg, 'lines')).toBe(2);
    expect(svgTexts(svg)).toEqual(expect.arrayContaining(['farther patch', 'nearer patch', 'Training epoch']));
  });

  it('margin chart with several series: colour per series, dash per patch', async () => {
    const spec = marginChart(['a', 'b'].flatMap((series) => [0, 1].map((epoch) => ({ series, epoch, far: 2, near: 1 })))) as any;
    expect(spec.layer[0].encoding.color.field).toBe('series');
    expect(spec.layer[0].encoding.strokeDash.field).toBe('patch');
    expect(countMarks(await renderSvg(spec), 'lines')).toBe(4);
  });

  it('entropy chart: stage lines share a colour scale with the black mean line', async () => {
    const data = [1, 2, 3].flatMap((value) => [
      ...['s1', 's2'].map((line, i) => ({ line, value, entropy: 0.9 - i * 0.1 - value * 0.01 })),
      { line: 'mean', value, entropy: 0.8 },
    ]);
    const spec = entropyChart(data, { parameter: 'step', meanLine: 'mean' }) as any;
    expect(spec.layer.map((l: any) => l.name)).toEqual(['lines', 'mean']);
    expect(spec.layer[1].encoding.color.scale).toEqual({ domain: ['s1', 's2', 'mean'], range: ['#4c78a8', '#f58518', 'black'] });
    const svg = await renderSvg(spec);
    expect(countMarks(svg, 'lines')).toBe(2);
    expect(countMarks(svg, 'mean')).toBe(1);
    expect(() => entropyChart([{ line: 'x', value: 1, entropy: Number.NaN }], { parameter: 'p' })).toThrow(/entropy must be a finite number/);
  });

  it('p_max guides: one dotted horizontal and one vertical rule per group', async () => {
    const spec = psVsAccuracyChart(points, { guides: [{ group: 'ResNet', pMax: 69.1, aPMax: 20 }] }) as any;
    const rules = spec.layer.find((l: any) => l.name === 'pmax_rules');
    expect(rules.mark.strokeDash).toEqual([2, 3]);
    const svg = await renderSvg(spec);
    expect(countMarks(svg, 'pmax_rules')).toBe(1);
    expect(countMarks(svg, 'apmax_rules')).toBe(1);
  });

  it('low-pass chart: normalized accuracy vs r per model', async () => {
    const spec = lowPassChart([8, 16, 32].flatMap((r) => [{ model: 'a', r, normalizedAccuracy: r / 32 }]));
    const svg = await renderSvg(spec);
    expect(countMarks(svg, 'lines')).toBe(1);
    expect(svgTexts(svg)).toContain('Low-pass filter side r (Fourier bins kept)');
  });
});

describe('renderPng', () => {
  it('PNG signature, IHDR size = SVG size × scale, and real content (many colours)', async () => {
    const spec = psVsAccuracyChart(points, { width: 400, height: 260 });
    const png = await renderPng(spec, { scale: 1.5 });
    const info = inspectPng(png);
    expect(info.width).toBe(600);
    expect(info.height).toBe(390);
    expect(info.distinctColours).toBeGreaterThan(20);
  });
  it('rejects a bad scale', async () => {
    await expect(renderPng(psVsAccuracyChart(points), { scale: 0 })).rejects.toThrow(/"scale"/);
  });
});
