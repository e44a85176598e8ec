/**
 * Charts of a measure against one swept matrix key (Kumar Figs. 5b, 6b/d/f, 8c/d, 9b/d/f/h, 12b, 14,
 * 15a/c, 16a–c): PS, normalised activation entropy, or the distortion margin's two distances. Which
 * cells form each line is decided by run/sweep-select.ts.
 */
import { InputError } from '@percept/core';
import { sweepChart } from '../charts/sweep.js';
import { entropyChart, type EntropyPoint } from '../charts/entropy.js';
import { marginChart } from '../charts/margin.js';
import { findingPs, type SubsetScoreFinding } from '../run/extract.js';
import type { EntropyFinding, MarginFinding } from '../run/measures.js';
import { selectSweep, type SweepSelection } from '../run/sweep-select.js';
import type { ReportChart } from './document.js';
import type { PaperFigure } from '../published-figures.js';
import { publishedCaption, publishedMarks } from './paper-figures.js';

export const SWEEP_MEASURES = ['ps', 'entropy', 'margin'] as const;
export type SweepMeasure = (typeof SWEEP_MEASURES)[number];

/** One sweep chart of the report step's `sweeps` option. */
export interface SweepChartSpec extends SweepSelection {
  /** What is plotted against the key (default ps). */
  y?: SweepMeasure;
  /** Log x: true or false; default: log when all values are positive and span more than 1.5 decades (margin: linear). */
  log?: boolean;
  /** Multiplies the key's values, e.g. 1/1251 turns ImageNet training steps into epochs. */
  scale?: number;
  /** x-axis title (default: the key, with the scale when one is given). */
  label?: string;
  title?: string;
}

export interface SweepInputs {
  scores: SubsetScoreFinding[];
  entropy: EntropyFinding[];
  margins: MarginFinding[];
  size: { width?: number; height?: number };
  /** Draw this figure's published numbers where a sweep's axes measure them. */
  figure?: PaperFigure;
}

const MEAN_LINE = 'mean of stages';

const slug = (s: string) => s.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export function checkSweepSpecs(specs: unknown): SweepChartSpec[] {
  if (specs === undefined) return [];
  if (!Array.isArray(specs)) throw new InputError('report option "sweeps" must be an array of { key, y?, series?, where?, … }');
  return specs.map((s, i) => {
    const at = `sweeps[${i}]`;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) throw new InputError(`report option "${at}" must be an object`);
    const o = s as Record<string, unknown>;
    if (typeof o.key !== 'string' || !o.key) throw new InputError(`report option "${at}.key" must name a matrix key (e.g. "width", "step")`);
    if (o.y !== undefined && !(SWEEP_MEASURES as readonly unknown[]).includes(o.y)) throw new InputError(`report option "${at}.y" must be one of ${SWEEP_MEASURES.join(', ')}`);
    if (o.series !== undefined && !(Array.isArray(o.series) && o.series.every((k) => typeof k === 'string'))) throw new InputError(`report option "${at}.series" must be an array of matrix keys`);
    if (o.scale !== undefined && !(typeof o.scale === 'number' && Number.isFinite(o.scale) && o.scale > 0)) throw new InputError(`report option "${at}.scale" must be a positive number`);
    if (o.minPoints !== undefined && !(Number.isInteger(o.minPoints) && (o.minPoints as number) >= 1)) throw new InputError(`report option "${at}.minPoints" must be an integer >= 1`);
    if (o.where !== undefined && (typeof o.where !== 'object' || o.where === null || Array.isArray(o.where))) throw new InputError(`report option "${at}.where" must be an object of matrix values`);
    return o as unknown as SweepChartSpec;
  });
}

/** Builds one chart per spec; a spec the run has no line for gives a note (smoke profiles skip most cells). */
export function buildSweepCharts(specs: readonly SweepChartSpec[], input: SweepInputs, notes: string[]): ReportChart[] {
  const charts: ReportChart[] = [];
  const used = new Set<string>();
  for (const spec of specs) {
    const y = spec.y ?? 'ps';
    let id = `sweep-${y}-${slug(spec.key)}`;
    for (let k = 2; used.has(id); k++) id = `sweep-${y}-${slug(spec.key)}-${k}`;
    used.add(id);
    const scale = spec.scale ?? 1;
    const parameter = spec.label ?? (spec.scale ? `${spec.key} × ${+scale.toPrecision(4)}` : spec.key);
    const items = y === 'ps' ? input.scores : y === 'entropy' ? input.entropy.map((e) => ({ ...e, key: '' })) : input.margins;
    const { cells, left } = selectSweep<(typeof items)[number]>(items, spec);
    if (left.length) {
      const shown = left.slice(0, 6).map((l) => `${l.item.step.step}[${l.item.step.cell}] (${l.reason})`).join('; ');
      notes.push(`Chart ${id} leaves out ${left.length} cell(s): ${shown}${left.length > 6 ? `; and ${left.length - 6} more` : ''}.`);
    }
    if (!cells.length) {
      notes.push(`Chart ${id} (${y} vs ${spec.key}) is not drawn: no series of this run has ${spec.minPoints ?? 2} or more ${spec.key} values among its ${y} cells.`);
      continue;
    }
    const series = [...new Set(cells.map((c) => c.series))];
    const where = spec.where ? ` Cells matching ${JSON.stringify(spec.where)}.` : '';
    const log = spec.log;
    const pub = y === 'margin' ? { marks: [], values: [] } : publishedMarks(input.figure, { chart: 'sweep', key: spec.key, y, scale: spec.scale, where: spec.where });
    const pubCaption = publishedCaption(pub.values);
    if (y === 'ps') {
      const points = cells.map((c) => {
        const f = c.item as SubsetScoreFinding;
        const { ps, ci } = findingPs(f);
        return { series: c.series, value: c.x * scale, ps, ...(ci ? { psInterval: ci } : {}) };
      });
      charts.push({
        id,
        title: spec.title ?? `Perceptual Score vs ${parameter}`,
        spec: sweepChart(points, { ...input.size, parameter, title: spec.title, logX: log ?? 'auto', yTitle: 'Perceptual Score (2AFC ×100)', published: pub.marks }),
        caption: `Measured in this run: ${points.length} cells, one line per ${series.length > 1 ? `series (${series.join(', ')})` : `series (${series[0]})`}; PS is the mean over the subsets scored.${points.some((p) => p.psInterval) ? ' Whiskers: 95% bootstrap intervals.' : ''}${where}${pubCaption}`,
      });
    } else if (y === 'entropy') {
      const one = series.length === 1;
      const points: EntropyPoint[] = cells.flatMap((c) => {
        const e = c.item as EntropyFinding;
        const value = c.x * scale;
        return one
          ? [...e.taps.map((t) => ({ line: t, value, entropy: e.byTap[t] })), { line: MEAN_LINE, value, entropy: e.entropy }]
          : [{ line: c.series, value, entropy: e.entropy }];
      });
      charts.push({
        id,
        title: spec.title ?? `Normalised activation entropy vs ${parameter}`,
        spec: entropyChart(points, { ...input.size, parameter, title: spec.title, logX: log ?? 'auto', meanLine: one ? MEAN_LINE : undefined, published: pub.marks }),
        caption: (one
          ? `Measured in this run (${series[0]}): normalised entropy of each tapped stage over the reference patches, and their mean (black).${where}`
          : `Measured in this run: mean normalised entropy over the tapped stages, one line per series.${where}`) + pubCaption,
      });
    } else {
      const points = cells.map((c) => {
        const m = c.item as MarginFinding;
        return { epoch: c.x * scale, far: m.far, near: m.near, ...(series.length > 1 ? { series: c.series } : {}) };
      });
      charts.push({
        id,
        title: spec.title ?? `Distance to the farther / nearer patch vs ${parameter}`,
        spec: marginChart(points, { ...input.size, title: spec.title, xTitle: parameter, logX: log ?? false }),
        caption: `Measured in this run${series.length === 1 ? ` (${series[0]})` : ''}: mean distance from the reference to the patch every judge rejected (farther) and chose (nearer), over unanimous triplets; the gap is the distortion margin.${where}`,
      });
    }
  }
  return charts;
}
