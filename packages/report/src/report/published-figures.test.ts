import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  PAPER_FIGURES, PUBLISHED_VALUES, buildRunReport, dynamicRangeChart, publishedFor, readRun, renderSvg, reportOptionsSchema, reportReporter,
  tableToMarkdown, type PublishedValue, type ReportDocument,
} from '../index.js';
import { acc, entropy, margin, ps, writeCells } from '../__fixtures__/sweep-run.js';
import { BAPPS_VAL, scoreResult } from '../__fixtures__/score-run.js';
import { countMarks, namedLayer, specLayers, svgTexts, type SpecLayer } from '../__fixtures__/inspect.js';

let root: string;
beforeAll(() => { root = mkdtempSync(join(tmpdir(), 'percept-published-')); });
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Layer = SpecLayer;
const layers = specLayers;
const named = namedLayer;
const publishedNames = (spec: unknown) => layers(spec).map((l) => l.name ?? '').filter((n) => n.startsWith('published'));
const chart = (doc: ReportDocument, id: string) => {
  const c = doc.charts.find((x) => x.id === id);
  if (!c) throw new Error(`no chart ${id}; have ${doc.charts.map((x) => x.id).join(', ')}`);
  return c;
};
const findValue = (label: string): PublishedValue => {
  const v = PUBLISHED_VALUES.find((x) => x.label === label);
  if (!v) throw new Error(`no published value "${label}"`);
  return v;
};

describe('the published values per figure', () => {
  it('every value names its figure(s) and its source; statuses are the documented ones', () => {
    expect(PUBLISHED_VALUES.length).toBeGreaterThan(20);
    for (const v of PUBLISHED_VALUES) {
      expect(v.figures.length).toBeGreaterThan(0);
      for (const f of v.figures) expect(PAPER_FIGURES).toContain(f);
      expect(v.source).toMatch(/SPEC §\d/);
      expect([undefined, 'read', 'approximate', 'inferred', 'inconsistent']).toContain(v.status);
      expect((v.draw?.length ?? 0) + (v.compare?.length ?? 0)).toBeGreaterThan(0);
    }
  });

  it('holds the numbers SPEC gives, with the inconsistent ones marked', () => {
    expect(findValue('ResNet-18 (52.0%, 68.5)').draw?.[0].at).toEqual({ kind: 'point', x: 52.0, y: 68.5 });
    expect(findValue('EfficientNet-B5 (66.3%, 67.2)').draw?.[0].at).toEqual({ kind: 'point', x: 66.3, y: 67.2 });
    expect(publishedFor('fig05').flatMap((v) => v.draw ?? []).filter((d) => d.at.kind === 'y').map((d) => (d.at as { y: number }).y)).toEqual([69.7, 69.7, 68.4, 68.4]);
    expect(findValue('ResNets a(p_max) 15–25%').draw?.[0].at).toEqual({ kind: 'x-range', x: [15, 25] });
    const fig11 = publishedFor('fig11').map((v) => (v.draw![0].at as { y: number }).y);
    expect(fig11).toEqual([69.1, 69.7, 69.5, 69.5, 69.8, 69.7, 70.2]);
    expect(findValue('ResNet-6 width p_max (20%, 69.6)')).toMatchObject({ status: 'inconsistent', note: expect.stringMatching(/69\.5/) });
    expect(findValue('ResNet-50 (≈ 0.7, PS 68.0)')).toMatchObject({ status: 'inconsistent', note: expect.stringMatching(/68\.2/) });
    expect(findValue('ResNet-6 entropy ≈ 0.5 (best PS)').status).toBe('approximate');
    // Table 1 gains of the Central Crop column, ViT-L/4 negative.
    const crop = findValue('Table 1 Central Crop').compare!.filter((c) => /gain/.test(c.quantity)).map((c) => c.published);
    expect(crop).toEqual([0.0, 0.7, 1.2, 0.9, -1.1]);
  });
});

/** fig05's layout: three models over epochs, with accuracy. */
function fig05(dir: string) {
  const cells = [];
  const steps = ['0001251', '0003753', '0012510', '0112590'];
  for (const [i, s] of steps.entries()) {
    for (const [m, b, a0] of [['resnet50', 69.5, 0.1], ['resnet200', 69.2, 0.12], ['vit-b8', 67.8, 0.05]] as const) {
      const p = b - Math.abs(i - 1) * 0.4;
      cells.push(ps(`ps_${m}`, { model: m, step: s }, p), acc(`acc_${m}`, { model: m, step: s }, a0 + i * 0.1));
    }
  }
  return writeCells(dir, cells);
}

const R = ['resnet6', 'resnet50', 'resnet200'];
const V = ['vit-b8', 'vit-l4'];

describe('figure option: published series in the charts', () => {
  it('fig05: p_max guides and a(p_max) bands in the panel of their models, labelled, legend entries of their own', async () => {
    const doc = buildRunReport(readRun(fig05(join(root, 'f5'))), {
      figure: 'fig05', colorBy: ['model'], charts: ['ps-vs-accuracy'], tables: [],
      panels: [{ id: '5a', title: 'Fig. 5a', where: { model: R } }, { id: '5c', title: 'Fig. 5c', where: { model: V } }],
      sweeps: [{ key: 'step', scale: 1 / 1251, where: { model: R } }],
    });
    const a = chart(doc, 'ps-vs-accuracy-5a').spec;
    expect(named(a, 'published_hrules')?.data?.values.map((v) => v.ps)).toEqual([69.7]);
    expect(named(a, 'published_xbands')?.data?.values).toEqual([expect.objectContaining({ accuracyLo: 15, accuracyHi: 25, text: 'ResNets a(p_max) 15–25%' })]);
    expect(named(a, 'points')?.encoding?.color.scale.domain).toEqual(['resnet200', 'resnet50', 'published value', 'published range']);
    const c = chart(doc, 'ps-vs-accuracy-5c').spec;
    expect(named(c, 'published_hrules')?.data?.values.map((v) => v.ps)).toEqual([68.4]);
    expect(named(c, 'published_xbands')?.data?.values[0]).toMatchObject({ accuracyLo: 40, accuracyHi: 50 });
    expect(chart(doc, 'ps-vs-accuracy-5c').caption).toMatch(/paper's numbers, not measured here: ViTs p_max 68.4/);
    const svg = await renderSvg(a);
    expect(countMarks(svg, 'published_hrules')).toBe(1);
    expect(countMarks(svg, 'published_xbands')).toBe(1);
    expect(svgTexts(svg)).toEqual(expect.arrayContaining(['ResNet-50/200 p_max 69.7', 'ResNets a(p_max) 15–25%', 'published value', 'published range', 'resnet50']));
    // The epoch sweep: the same p_max on its PS axis; "≈ 60 epochs" belongs to the ViTs and is left out here.
    const sweep = chart(doc, 'sweep-ps-step').spec;
    expect(named(sweep, 'published_hrules')?.data?.values.map((v) => v.ps)).toEqual([69.7]);
    expect(named(sweep, 'published_vrules')).toBeUndefined();
  });

  it('a training epoch is converted to the sweep\'s x (1251 steps per epoch times its scale)', () => {
    const doc = buildRunReport(readRun(fig05(join(root, 'f5b'))), { figure: 'fig05', charts: [], tables: [], sweeps: [{ key: 'step', scale: 1 / 1251, where: { model: V } }] });
    // vit-b8 has one series only: still drawn (4 steps).
    expect(named(chart(doc, 'sweep-ps-step').spec, 'published_vrules')?.data?.values.map((v) => v.value)).toEqual([expect.closeTo(60, 9)]);
    const raw = buildRunReport(readRun(join(root, 'f5b', 'runs', 'fig', 'run-1')), { figure: 'fig05', charts: [], tables: [], sweeps: [{ key: 'step', where: { model: V } }] });
    expect(named(chart(raw, 'sweep-ps-step').spec, 'published_vrules')?.data?.values.map((v) => v.value)).toEqual([60 * 1251]);
  });

  it('fig01: published (accuracy, PS) points as hollow diamonds with their labels; absent with published: false or without figure', async () => {
    const cells = [];
    for (const [m, p, a] of [['resnet6', 69.3, 0.22], ['resnet18', 68.6, 0.5], ['resnet50', 68.1, 0.6]] as const) {
      cells.push(ps(`ps_${m}`, { model: m, step: 'final' }, p), acc(`acc_${m}`, { model: m, step: 'final' }, a));
    }
    const dir = writeCells(join(root, 'f1'), cells);
    const doc = buildRunReport(readRun(dir), { figure: 'fig01', charts: ['ps-vs-accuracy'], colorBy: ['model'] });
    const spec = chart(doc, 'ps-vs-accuracy').spec;
    const pts = named(spec, 'published_points');
    expect(pts?.data?.values.map((v) => [v.accuracy, v.ps, v.text])).toEqual([[52.0, 68.5, 'ResNet-18 (52.0%, 68.5)'], [66.3, 67.2, 'EfficientNet-B5 (66.3%, 67.2)']]);
    expect(pts?.mark).toMatchObject({ type: 'point', filled: false });
    expect(named(spec, 'published_hrules')?.data?.values.map((v) => v.text)).toEqual(['ResNet-6 default 69.1']);
    const svg = await renderSvg(spec);
    expect(countMarks(svg, 'published_points')).toBe(2);
    expect(svgTexts(svg)).toEqual(expect.arrayContaining(['ResNet-18 (52.0%, 68.5)', 'EfficientNet-B5 (66.3%, 67.2)', 'published point', 'best PS at 20–40% accuracy']));

    const off = buildRunReport(readRun(dir), { figure: 'fig01', published: false, charts: ['ps-vs-accuracy'] });
    expect(publishedNames(chart(off, 'ps-vs-accuracy').spec)).toEqual([]);
    expect(off.tables.map((t) => t.id)).not.toContain('table-published');
    const none = buildRunReport(readRun(dir), { charts: ['ps-vs-accuracy'] });
    expect(publishedNames(chart(none, 'ps-vs-accuracy').spec)).toEqual([]);
    expect(svgTexts(await renderSvg(chart(none, 'ps-vs-accuracy').spec))).not.toContain('published point');
  });

  it('fig04: Pearson r of top-1 and PS over the models at or beyond the PS optimum, beside the published −0.84', () => {
    const cells = [];
    // resnet3 lies below the optimum (resnet6) and is left out; the rest fall on a line: r = −1.
    for (const [m, p, a] of [['resnet3', 66.0, 0.10], ['resnet6', 69.3, 0.22], ['resnet18', 68.3, 0.42], ['resnet50', 67.3, 0.62], ['resnet200', 66.3, 0.82]] as const) {
      cells.push(ps(`ps_${m}`, { model: m, step: 'final' }, p), acc(`acc_${m}`, { model: m, step: 'final' }, a));
    }
    const doc = buildRunReport(readRun(writeCells(join(root, 'f4r'), cells)), { figure: 'fig04', charts: [] });
    const table = doc.tables.find((t) => t.id === 'table-published')!.table;
    const row = table.rows.find((r) => String(r.cells.quantity).startsWith('Pearson r'))!;
    expect(row.cells.published).toBe('−0.84');
    expect(row.cells.run).toBe('−1.000');
    expect(String(row.cells.from)).toMatch(/^4 models from resnet6 \(the PS optimum\) on: resnet6, resnet18, resnet50, resnet200$/);

    // Two models beyond the optimum are not enough: the row says "–" and the notes say why.
    const few = buildRunReport(readRun(writeCells(join(root, 'f4r2'), cells.slice(0, 6))), { figure: 'fig04', charts: [] });
    const t2 = few.tables.find((t) => t.id === 'table-published')!.table;
    expect(t2.rows.find((r) => String(r.cells.quantity).startsWith('Pearson r'))!.cells.run).toBeNull();
    expect(t2.notes!.join(' ')).toMatch(/only 2 model\(s\) at or beyond the PS optimum \(resnet6\)/);
  });

  it('fig06: the width sweep draws the optimal widths of the models it shows', () => {
    const cells = [];
    for (const w of [0.0625, 0.25, 1]) cells.push(ps(`ps_r6_${w}`, { model: 'resnet6', width: w, step: 'final' }, 68 + w));
    for (const w of [0.0625, 0.25, 1]) cells.push(ps(`ps_vb_${w}`, { model: 'vit-b8', width: w, depth: 12, step: 'final' }, 66 + w));
    const dir = writeCells(join(root, 'f6'), cells);
    const doc = buildRunReport(readRun(dir), { figure: 'fig06', charts: [], tables: [], sweeps: [{ key: 'width', where: { model: R } }, { key: 'width', where: { model: V } }] });
    const [res, vit] = doc.charts;
    expect(named(res.spec, 'published_vrules')?.data?.values.map((v) => v.value)).toEqual([0.25]);
    expect(named(res.spec, 'published_hrules')?.data?.values.map((v) => v.ps)).toEqual([69.6, 67.6]);
    expect(named(vit.spec, 'published_vrules')?.data?.values.map((v) => v.value)).toEqual([0.06, 0.12]);
    expect(named(vit.spec, 'published_hrules')).toBeUndefined();
  });
});

describe('the published-vs-run table', () => {
  it('fig05: one row per published number, the run\'s counterpart beside it, sources and missing cells named', () => {
    const doc = buildRunReport(readRun(fig05(join(root, 'f5t'))), { figure: 'fig05' });
    const t = doc.tables.find((x) => x.id === 'table-published')!.table;
    expect(t.columns.map((c) => c.label)).toEqual(['Quantity', 'Published', 'This run', 'Run cells', 'Source']);
    const row = (q: string) => t.rows.find((r) => r.cells.quantity === q)!.cells;
    // resnet50: PS 69.5 - 0.4·|i-1| is highest at i = 1 (step 0003753), accuracy 0.1 + 0.1 = 20%.
    expect(row('ResNet-50 p_max over epochs')).toMatchObject({ published: '69.7', run: '69.50', from: expect.stringMatching(/resnet50\/0003753/) });
    expect(row('ResNet-50 a(p_max) over epochs')).toMatchObject({ published: '15–25%', run: '20.0%' });
    // Train Steps gain: best (69.5) minus the last checkpoint (69.5 - 0.8).
    expect(row('ResNet-50 Train Steps gain over the default')).toMatchObject({ published: '+1.5', run: '+0.80' });
    expect(row('ResNet-6 p_max over epochs'.replace('p_max', 'a(p_max)'))).toMatchObject({ run: null });
    expect(t.notes?.join(' ')).toMatch(/Not in this run: ResNet-6 a\(p_max\) over epochs: no perceptual-score cell with \{"model":"resnet6"\}/);
    const md = tableToMarkdown(t);
    expect(md).toContain('| ResNets a(p_max) 15–25% | ResNet-200 a(p_max) over epochs | 15–25% |');
    // The table comes first, before Table 5.
    expect(doc.tables.map((x) => x.id).slice(0, 2)).toEqual(['table-published', 'table5']);
  });

  it('fig11: distance ids and early stopping (best checkpoint) pick the run\'s counterparts', () => {
    const three = (base: number) => scoreResult(BAPPS_VAL, [{ id: 'local', use: 'lpips', base: base + 2.5 }, { id: 'mean-pool', use: 'mean-pool', base: base + 3 }, { id: 'style', use: 'style', base: base + 2.7 }]);
    const cells = [
      ...['0001251', '0003753', '0112590'].map((s, i) => ({ step: 'ps_resnet200', uses: 'perceptual-score', matrix: { model: 'resnet200', step: s }, outputs: three(i === 1 ? 69 : 67) })),
      { step: 'ps_resnet6', uses: 'perceptual-score', matrix: { model: 'resnet6', step: '0112590' }, outputs: three(68.8) },
    ];
    const doc = buildRunReport(readRun(writeCells(join(root, 'f11'), cells)), { figure: 'fig11', tables: ['table5'], charts: [] });
    const t = doc.tables.find((x) => x.id === 'table-published')!.table;
    const row = (q: string) => t.rows.find((r) => r.cells.quantity === q)!.cells;
    expect(row('ResNet-6 Local PS')).toMatchObject({ published: '69.1', run: '68.80' });
    expect(row('ResNet-6 Mean Pool PS')).toMatchObject({ published: '69.7', run: '69.30' });
    expect(row('early-stopped ResNet-200 Style PS')).toMatchObject({ published: '69.7', run: '69.20', from: expect.stringMatching(/0003753/) });
  });

  it('fig11 panels: 11a draws the default models\' values, the epoch panels the early-stopped ones of their model', () => {
    const cells = [];
    for (const [m, s] of [['resnet6', '0003753'], ['resnet6', '0112590'], ['resnet200', '0003753'], ['resnet200', '0112590']] as const) {
      cells.push(ps(`ps_${m}`, { model: m, step: s }, 68), acc(`acc_${m}`, { model: m, step: s }, 0.3));
    }
    const doc = buildRunReport(readRun(writeCells(join(root, 'f11p'), cells)), {
      figure: 'fig11', charts: ['ps-vs-accuracy'], tables: [],
      panels: [{ id: '11a', final: true }, { id: '11b', where: { model: 'resnet200' } }, { id: '11b-resnet6', where: { model: 'resnet6' } }],
    });
    const lines = (id: string) => named(chart(doc, id).spec, 'published_hrules')?.data?.values.map((v) => v.text);
    expect(lines('ps-vs-accuracy-11a')).toEqual(['ResNet-6 Local 69.1', 'ResNet-6 Mean Pool 69.7', 'ResNet-6 Style 69.5']);
    expect(lines('ps-vs-accuracy-11b')).toEqual(['early-stopped ResNet-200 Local 69.5', 'early-stopped ResNet-200 Mean Pool 69.8', 'early-stopped ResNet-200 Style 69.7']);
    expect(lines('ps-vs-accuracy-11b-resnet6')).toEqual(['early-stopped ResNet-6 Mean Pool 70.2']);
    expect(named(chart(doc, 'ps-vs-accuracy-11a').spec, 'points')?.data?.values).toHaveLength(2);
  });
});

describe('panels and the figure variants', () => {
  it('fig07: 7a (ResNets) and 7b (ViTs) as two charts; an empty panel is a note', () => {
    const cells = [];
    for (const m of ['resnet6', 'resnet50', 'vit-b8']) {
      for (const crop of ['inception', 'central']) cells.push(ps(`ps_${m}_${crop}`, { model: m, crop, step: 'final' }, 68), acc(`acc_${m}_${crop}`, { model: m, crop, step: 'final' }, 0.4));
    }
    const doc = buildRunReport(readRun(writeCells(join(root, 'f7'), cells)), {
      figure: 'fig07', charts: ['ps-vs-accuracy'], colorBy: ['model', 'crop'],
      panels: [{ id: '7a', title: 'Fig. 7a: ResNets', where: { model: R } }, { id: '7b', title: 'Fig. 7b: ViTs', where: { model: V } }, { id: 'x', where: { model: 'none' } }],
    });
    expect(doc.charts.map((c) => c.id)).toEqual(['ps-vs-accuracy-7a', 'ps-vs-accuracy-7b']);
    expect(new Set(named(chart(doc, 'ps-vs-accuracy-7a').spec, 'points')?.data?.values.map((v) => v.group))).toEqual(new Set(['resnet6/inception', 'resnet6/central', 'resnet50/inception', 'resnet50/central']));
    expect(named(chart(doc, 'ps-vs-accuracy-7b').spec, 'points')?.data?.values.map((v) => v.group).sort()).toEqual(['vit-b8/central', 'vit-b8/inception']);
    expect(chart(doc, 'ps-vs-accuracy-7a').title).toMatch(/^Fig\. 7a: ResNets/);
    expect((chart(doc, 'ps-vs-accuracy-7a').spec as { title: string }).title).toBe('Fig. 7a: ResNets');
    expect(doc.notes.join(' ')).toMatch(/ps-vs-accuracy-x is not drawn: no cell of this run agrees with its panel/);
    // Table 1's Central Crop gain: central minus inception PS of the same model.
    const t = doc.tables.find((x) => x.id === 'table-published')!.table;
    expect(t.rows.find((r) => r.cells.quantity === 'ResNet-50 Central Crop gain over the default')?.cells).toMatchObject({ published: '+0.7', run: '0.00' });
  });

  it('fig15: 15b (ResNet-200 over epochs) and 15d (each model\'s last checkpoint) are separate PS-vs-entropy charts with their own published marks', () => {
    const cells = [];
    for (const [i, s] of ['0001251', '0112590'].entries()) {
      cells.push(ps('ps_r200', { model: 'resnet200', skip: true, step: s }, 69 - i), entropy('ent_r200', { model: 'resnet200', skip: true, step: s }, [0.95 - i * 0.2, 0.9, 0.9, 0.9]));
    }
    for (const [m, e] of [['resnet6', 0.5], ['resnet50', 0.7]] as const) {
      cells.push(ps(`ps_${m}`, { model: m, skip: true, step: '0112590' }, 68.5), entropy(`ent_${m}`, { model: m, skip: true, step: '0112590' }, [e, e, e, e]));
    }
    const doc = buildRunReport(readRun(writeCells(join(root, 'f15'), cells)), {
      figure: 'fig15', charts: ['ps-vs-entropy'], tables: [], colorBy: ['model'],
      panels: [
        { id: '15b', chart: 'ps-vs-entropy', where: { model: 'resnet200', skip: true } },
        { id: '15d', chart: 'ps-vs-entropy', where: { skip: true }, final: true },
      ],
    });
    expect(doc.charts.map((c) => c.id)).toEqual(['ps-vs-entropy-15b', 'ps-vs-entropy-15d']);
    const b = chart(doc, 'ps-vs-entropy-15b').spec;
    expect(named(b, 'points')?.data?.values).toHaveLength(2);
    expect(named(b, 'published_xbands')?.data?.values[0]).toMatchObject({ accuracyLo: 0.9, accuracyHi: 1.0 });
    expect(named(b, 'published_points')).toBeUndefined();
    const d = chart(doc, 'ps-vs-entropy-15d').spec;
    expect(named(d, 'points')?.data?.values.map((v) => v.group).sort()).toEqual(['resnet200', 'resnet50', 'resnet6']);
    expect(named(d, 'published_points')?.data?.values.map((v) => [v.accuracy, v.ps])).toEqual([[0.7, 68.0]]);
    expect(named(d, 'published_vrules')?.data?.values.map((v) => v.accuracy)).toEqual([0.5]);
    expect(named(d, 'published_xbands')).toBeUndefined();
  });

  it('fig12a: the caption\'s margin-vs-accuracy scatter beside the body\'s PS vs margin', async () => {
    const cells = [
      margin('margin_r6', { model: 'resnet6', step: 'final' }, 3, 1.5), ps('ps_r6', { model: 'resnet6', step: 'final' }, 69.5), acc('acc_r6', { model: 'resnet6', step: 'final' }, 0.25),
      margin('margin_r50', { model: 'resnet50', step: 'final' }, 2.5, 1.2), ps('ps_r50', { model: 'resnet50', step: 'final' }, 68.2), acc('acc_r50', { model: 'resnet50', step: 'final' }, 0.6),
    ];
    const doc = buildRunReport(readRun(writeCells(join(root, 'f12'), cells)), { figure: 'fig12', charts: ['ps-vs-margin', 'margin-vs-accuracy'], tables: [], colorBy: ['model'] });
    expect(doc.charts.map((c) => c.id)).toEqual(['ps-vs-margin', 'margin-vs-accuracy']);
    const m = chart(doc, 'margin-vs-accuracy');
    expect(named(m.spec, 'points')?.data?.values.map((v) => [v.group, v.accuracy, v.ps])).toEqual([
      ['resnet6', 25, expect.closeTo(1.5, 9)], ['resnet50', 60, expect.closeTo(1.3, 9)],
    ]);
    expect(named(m.spec, 'points')?.encoding?.y.title).toBe('Distortion margin');
    expect(named(m.spec, 'frontier')).toBeUndefined();
    expect(doc.notes.join(' ')).toMatch(/Fig\. 12: the paper gives no numbers/);
    expect(svgTexts(await renderSvg(m.spec))).toEqual(expect.arrayContaining(['Distortion margin', 'ImageNet top-1 accuracy (%)']));
  });

  it('fig03: the dynamic-range chart with the run\'s oracle and chance and the published reference lines', async () => {
    const curve = [0.01, 0.1, 1, 10].map((sigma, i) => ({ sigma, ps: 80 - i * 9, ci95: [79 - i * 9, 81 - i * 9], bySubset: {} }));
    const cells = [{ step: 'range', uses: 'dynamic-range', matrix: {}, outputs: { sigmas: curve.map((c) => c.sigma), ps: curve.map((c) => c.ps), curve, oracle: 80.2, chance: 50, subsets: BAPPS_VAL, counts: {} } }];
    const doc = buildRunReport(readRun(writeCells(join(root, 'f3'), cells)), { figure: 'fig03', charts: ['dynamic-range'], tables: [], psSteps: [] });
    const spec = chart(doc, 'dynamic-range').spec;
    expect(named(spec, 'published_hrules')?.data?.values.map((v) => v.ps)).toEqual([68.9, 64.3, 63.8, 80]);
    expect(named(spec, 'lines')?.data?.values.map((v) => v.sigma)).toEqual([0.01, 0.1, 1, 10]);
    expect(named(spec, 'limits')?.data?.values.map((v) => v.ps)).toEqual([80.2, 50]);
    const svg = await renderSvg(spec);
    expect(svgTexts(svg)).toEqual(expect.arrayContaining(['AlexNet 68.9', 'FSIMc 63.8', 'oracle 80.2 (this run)', 'chance 50']));
    expect(() => dynamicRangeChart([])).toThrow(/data must be a non-empty array/);
  });
});

describe('report step options', () => {
  it('schema lists figure and panels; bad values are rejected naming the option', async () => {
    const props = (reportOptionsSchema as any).properties;
    expect(props.figure.enum).toEqual([...PAPER_FIGURES]);
    expect(props.panels.items.required).toEqual(['id']);
    expect(props.charts.items.enum).toEqual(expect.arrayContaining(['margin-vs-accuracy', 'dynamic-range']));
    const dir = fig05(join(root, 'f5o'));
    const ctx = { baseDir: root, runDir: dir, stepId: 'report', outputDir: join(root, 'out'), log: { info() {}, warn() {} }, progress() {}, record() {} } as any;
    await expect(reportReporter.run({ figure: 'fig2' } as any, ctx)).rejects.toThrow(/option "figure" must be one of fig01/);
    await expect(reportReporter.run({ panels: [{ id: '7 a' }] } as any, ctx)).rejects.toThrow(/panels\[0\]\.id/);
    await expect(reportReporter.run({ panels: [{ id: 'a' }, { id: 'a' }] } as any, ctx)).rejects.toThrow(/panel "a" of ps-vs-accuracy is given twice/);
  });
});
