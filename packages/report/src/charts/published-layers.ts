/**
 * Published numbers drawn in a chart as their own series: hollow black diamonds for points, black
 * dashed guides for single values, grey bands for ranges, each with its text beside it. They share the
 * chart's colour legend, under three entries of their own ("published point", "published value",
 * "published range"), so a reader sees at once which marks are the paper's and which are the run's.
 */
import { InputError } from '@percept/core';
import type { PublishedGeometry } from '../published-figures.js';
import { textWidth } from './common.js';

/** One published mark in chart coordinates. */
export interface PublishedMark {
  /** Text drawn beside the mark, e.g. "ResNet-18 (52.0%, 68.5)". */
  label: string;
  at: PublishedGeometry;
}

export const PUBLISHED_KINDS = { point: 'published point', value: 'published value', range: 'published range' } as const;
const KIND_COLOUR = { [PUBLISHED_KINDS.point]: '#111111', [PUBLISHED_KINDS.value]: '#111111', [PUBLISHED_KINDS.range]: '#9e9e9e' };
const KIND_SHAPE = { [PUBLISHED_KINDS.point]: 'diamond', [PUBLISHED_KINDS.value]: 'stroke', [PUBLISHED_KINDS.range]: 'square' };

export const TABLEAU10 = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];
export const TABLEAU20 = [
  '#4c78a8', '#9ecae9', '#f58518', '#ffbf79', '#54a24b', '#88d27a', '#b79a20', '#f2cf5b', '#439894', '#83bcb6',
  '#e45756', '#ff9d98', '#79706e', '#bab0ac', '#d67195', '#fcbfd2', '#b279a2', '#d6a5c9', '#9e765f', '#d8b5a5',
];
/** Vega's default shape range, for measured groups sharing a legend with published kinds. */
const SHAPES = ['circle', 'square', 'cross', 'triangle-up', 'triangle-down', 'triangle-right', 'triangle-left'];

export function kindOf(at: PublishedGeometry): string {
  return at.kind === 'point' ? PUBLISHED_KINDS.point : at.kind === 'x' || at.kind === 'y' ? PUBLISHED_KINDS.value : PUBLISHED_KINDS.range;
}

/** Checks every mark's numbers, naming the chart, the mark and the field. */
export function checkPublishedMarks(chart: string, marks: readonly PublishedMark[]): void {
  marks.forEach((m, i) => {
    const at = m.at as Record<string, unknown>;
    if (typeof m.label !== 'string' || !m.label) throw new InputError(`${chart}: published[${i}].label must be a non-empty string`);
    const nums = (['x', 'y'] as const).flatMap((k) => (at[k] === undefined ? [] : Array.isArray(at[k]) ? (at[k] as unknown[]).map((v) => [k, v] as const) : [[k, at[k]] as const]));
    if (!['point', 'x', 'y', 'x-range', 'y-range'].includes(String(at.kind)) || !nums.length) {
      throw new InputError(`${chart}: published[${i}] ("${m.label}") must be a point, x, y, x-range or y-range with numbers`);
    }
    for (const [k, v] of nums) {
      if (typeof v !== 'number' || !Number.isFinite(v)) throw new InputError(`${chart}: published[${i}] ("${m.label}").${k} must be finite numbers, got ${JSON.stringify(at[k])}`);
    }
  });
}

/** The y values of the marks (to pad a y domain set by the caller). */
export function publishedYs(marks: readonly PublishedMark[]): number[] {
  return marks.flatMap((m) => (m.at.kind === 'point' || m.at.kind === 'y' ? [m.at.y] : m.at.kind === 'y-range' ? [...m.at.y] : []));
}
export function publishedXs(marks: readonly PublishedMark[]): number[] {
  return marks.flatMap((m) => (m.at.kind === 'point' || m.at.kind === 'x' ? [m.at.x] : m.at.kind === 'x-range' ? [...m.at.x] : []));
}

/**
 * A colour (and optionally shape) scale whose domain is the measured groups followed by the published
 * kinds present, so both appear in one legend; measured groups keep the categorical colours.
 */
export function sharedScales(groups: readonly string[], marks: readonly PublishedMark[], opts: { shapes?: boolean } = {}) {
  const kinds = Object.values(PUBLISHED_KINDS).filter((k) => marks.some((m) => kindOf(m.at) === k));
  const sorted = [...new Set(groups)].sort();
  const palette = sorted.length <= 10 ? TABLEAU10 : TABLEAU20;
  const domain = [...sorted, ...kinds];
  const color = { domain, range: [...sorted.map((_, i) => palette[i % palette.length]), ...kinds.map((k) => KIND_COLOUR[k])] };
  const shape = { domain, range: [...sorted.map((_, i) => SHAPES[i % SHAPES.length]), ...kinds.map((k) => KIND_SHAPE[k])] };
  // Legend symbols: published kinds drawn as their marks (hollow diamond, dashed stroke, grey square).
  const isKind = (k: string) => `datum.value === ${JSON.stringify(k)}`;
  const legend = {
    symbolOpacity: 1,
    encode: {
      symbols: {
        update: {
          ...(opts.shapes ? {} : { shape: { signal: `${isKind(PUBLISHED_KINDS.point)} ? 'diamond' : ${isKind(PUBLISHED_KINDS.value)} ? 'stroke' : ${isKind(PUBLISHED_KINDS.range)} ? 'square' : 'circle'` } }),
          fill: { signal: `${isKind(PUBLISHED_KINDS.point)} || ${isKind(PUBLISHED_KINDS.value)} ? 'transparent' : scale('color', datum.value)` },
          stroke: { signal: `scale('color', datum.value)` },
          strokeWidth: { signal: `${isKind(PUBLISHED_KINDS.point)} || ${isKind(PUBLISHED_KINDS.value)} ? 2 : 1` },
          strokeDash: { signal: `${isKind(PUBLISHED_KINDS.value)} ? [5, 3] : [1, 0]` },
        },
      },
    },
  };
  return { color, shape, legend, kinds };
}

export interface PublishedLayerOptions {
  /** Field names of the chart's x and y (the layers share its scales). */
  x: string;
  y: string;
  /** The colour field of the chart (published marks put their kind in it). */
  color: string;
  /** The colour encoding's scale and legend from sharedScales. */
  scales: ReturnType<typeof sharedScales>;
  /** Whether the chart encodes shape by the colour field too (published points then take theirs from it). */
  shape?: boolean;
  /** Approximate plot height in px and the y domain, to keep labels of close values apart. */
  plotHeight: number;
  yDomain?: readonly [number, number];
  /** Other horizontal lines (e.g. the LPIPS reference lines): a label that would sit on one goes below its own line. */
  lineYs?: readonly number[];
  /** The x range of everything drawn, to keep labels inside the plot (with `plotWidth`). */
  xExtent?: readonly [number, number];
  /** Log x axis (for placing labels). */
  xLog?: boolean;
  /** Approximate plot width in px (chart width less axis and legend). */
  plotWidth?: number;
}

/**
 * Vega lays a chart out with its own estimate of text width (0.8 em per character in Node, see
 * common.ts textWidth): a label reaching past the plot would shrink the plot to make room. So each
 * label goes on the side of its mark where that estimate fits, or is truncated (`limit`) to the wider side.
 */
function placeLabel(x: number | undefined, text: string, o: PublishedLayerOptions, gap: number): { align: 'left' | 'right'; dx: number; limit?: number } {
  const w = textWidth(text);
  const plotW = o.plotWidth;
  if (plotW === undefined || x === undefined || !o.xExtent || !(o.xExtent[1] > o.xExtent[0])) return { align: 'left', dx: gap };
  const [lo, hi] = o.xExtent;
  const f = o.xLog && lo > 0 ? Math.log(x / lo) / Math.log(hi / lo) : (x - lo) / (hi - lo);
  const px = Math.min(Math.max(f, 0), 1) * plotW;
  if (px + gap + w <= plotW) return { align: 'left', dx: gap };
  if (px - gap - w >= 0) return { align: 'right', dx: -gap };
  const right = plotW - px > px;
  return { align: right ? 'left' : 'right', dx: right ? gap : -gap, limit: Math.max(30, (right ? plotW - px : px) - gap - 4) };
}

/**
 * The plot area a chart of `width × height` leaves (approximately: a y axis of ~60 px, a title and x
 * axis of ~70 px, and a legend on the right as wide as Vega's estimate of its longest label).
 */
export function plotEstimate(options: { width?: number; height?: number }, legendLabels: readonly string[]): { plotWidth: number; plotHeight: number } {
  const legend = legendLabels.length ? Math.max(...legendLabels.map((l) => textWidth(l))) + 40 : 0;
  return { plotWidth: Math.max(40, (options.width ?? 560) - 60 - legend), plotHeight: Math.max(40, (options.height ?? 360) - 70) };
}

/** Vertical offsets (px) that keep labels at least `gap` px apart, nudging upward from the lowest. */
function spread(values: number[], domain: readonly [number, number] | undefined, height: number, gap = 11): number[] {
  if (!domain || domain[1] <= domain[0]) return values.map(() => 0);
  const px = values.map((v) => ((v - domain[0]) / (domain[1] - domain[0])) * height);
  const order = px.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
  const out = values.map(() => 0);
  let last = -Infinity;
  for (const [p, i] of order) {
    const placed = Math.max(p, last + gap);
    out[i] = -(placed - p);
    last = placed;
  }
  return out;
}

/** The layers: bands first (under everything), then guides, points and their labels. */
export function publishedLayers(marks: readonly PublishedMark[], o: PublishedLayerOptions): object[] {
  if (!marks.length) return [];
  const color = { field: o.color, type: 'nominal' as const, title: null, scale: o.scales.color, legend: o.scales.legend };
  const q = (field: string) => ({ field, type: 'quantitative' as const });
  const layers: object[] = [];
  const rows = (kind: PublishedGeometry['kind']) => marks.filter((m) => m.at.kind === kind);
  const xBands = rows('x-range').map((m) => ({ [`${o.x}Lo`]: (m.at as { x: readonly number[] }).x[0], [`${o.x}Hi`]: (m.at as { x: readonly number[] }).x[1], [o.color]: PUBLISHED_KINDS.range, text: m.label }));
  const yBands = rows('y-range').map((m) => ({ [`${o.y}Lo`]: (m.at as { y: readonly number[] }).y[0], [`${o.y}Hi`]: (m.at as { y: readonly number[] }).y[1], [o.color]: PUBLISHED_KINDS.range, text: m.label }));
  if (xBands.length) {
    layers.push({
      name: 'published_xbands', data: { values: xBands }, mark: { type: 'rect', fillOpacity: 0.18, strokeOpacity: 0.6, strokeWidth: 1 },
      encoding: { x: q(`${o.x}Lo`), x2: { field: `${o.x}Hi` }, color },
    });
    // Band labels sit at the bottom of the plot, each above the previous when several overlap.
    xBands.forEach((b, i) => layers.push({
      name: `published_xband_label_${i}`, data: { values: [b] },
      mark: { type: 'text', baseline: 'bottom', dy: -3 - 12 * i, fontSize: 10, color: '#555', ...placeLabel(b[`${o.x}Lo`] as number, b.text, o, 3) },
      encoding: { x: q(`${o.x}Lo`), y: { value: 'height' }, text: { field: 'text' } },
    }));
  }
  if (yBands.length) {
    layers.push({
      name: 'published_ybands', data: { values: yBands }, mark: { type: 'rect', fillOpacity: 0.18, strokeOpacity: 0.6, strokeWidth: 1 },
      encoding: { y: q(`${o.y}Lo`), y2: { field: `${o.y}Hi` }, color },
    });
    layers.push({
      name: 'published_yband_labels', data: { values: yBands },
      mark: { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 3, fontSize: 10, color: '#555' },
      encoding: { y: q(`${o.y}Hi`), x: { value: 0 }, text: { field: 'text' } },
    });
  }
  const hs = rows('y').map((m) => ({ [o.y]: (m.at as { y: number }).y, [o.color]: PUBLISHED_KINDS.value, text: m.label }));
  if (hs.length) {
    layers.push({
      name: 'published_hrules', data: { values: hs }, mark: { type: 'rule', strokeDash: [5, 3], strokeWidth: 1.5 },
      encoding: { y: q(o.y), color },
    });
    // Labels at the right end (the LPIPS reference lines label theirs at the left), spread apart.
    const ys = hs.map((h) => h[o.y] as number);
    const dys = spread(ys, o.yDomain, o.plotHeight);
    const pxPer = o.yDomain && o.yDomain[1] > o.yDomain[0] ? o.plotHeight / (o.yDomain[1] - o.yDomain[0]) : 0;
    hs.forEach((h, i) => {
      // A label sits above its line; if another line crosses that space, below it instead.
      const crowded = dys[i] === 0 && (o.lineYs ?? []).some((y) => (y - ys[i]) * pxPer > 0 && (y - ys[i]) * pxPer < 13);
      layers.push({
        name: `published_hrule_label_${i}`, data: { values: [h] },
        mark: {
          type: 'text', align: 'right', baseline: crowded ? 'top' : 'bottom', dx: -3, dy: crowded ? 3 : -2 + dys[i], fontSize: 10, color: '#111',
          ...(o.plotWidth !== undefined && textWidth(h.text) > o.plotWidth - 6 ? { limit: o.plotWidth - 6 } : {}),
        },
        encoding: { y: q(o.y), x: { value: 'width' }, text: { field: 'text' } },
      });
    });
  }
  const vs = rows('x').map((m) => ({ [o.x]: (m.at as { x: number }).x, [o.color]: PUBLISHED_KINDS.value, text: m.label }));
  if (vs.length) {
    layers.push({
      name: 'published_vrules', data: { values: vs }, mark: { type: 'rule', strokeDash: [5, 3], strokeWidth: 1.5 },
      encoding: { x: q(o.x), color },
    });
    vs.forEach((v, i) => layers.push({
      name: `published_vrule_label_${i}`, data: { values: [v] },
      mark: { type: 'text', baseline: 'top', dy: 3 + 12 * i, fontSize: 10, color: '#111', ...placeLabel(v[o.x] as number, v.text, o, 3) },
      encoding: { x: q(o.x), y: { value: 0 }, text: { field: 'text' } },
    }));
  }
  const ps = rows('point').map((m) => ({ [o.x]: (m.at as { x: number }).x, [o.y]: (m.at as { y: number }).y, [o.color]: PUBLISHED_KINDS.point, text: m.label }));
  if (ps.length) {
    layers.push({
      name: 'published_points', data: { values: ps },
      mark: { type: 'point', filled: false, size: 110, strokeWidth: 2, opacity: 1, ...(o.shape ? {} : { shape: 'diamond' }) },
      encoding: {
        x: q(o.x), y: q(o.y), color,
        ...(o.shape ? { shape: { field: o.color, type: 'nominal', title: null, scale: o.scales.shape, legend: o.scales.legend } } : {}),
        tooltip: [{ field: 'text' }],
      },
    });
    for (const [i, p] of ps.entries()) {
      layers.push({
        name: `published_point_label_${i}`, data: { values: [p] },
        mark: { type: 'text', baseline: 'middle', fontSize: 10, color: '#111', ...placeLabel(p[o.x] as number, p.text, o, 11) },
        encoding: { x: q(o.x), y: q(o.y), text: { field: 'text' } },
      });
    }
  }
  return layers;
}
