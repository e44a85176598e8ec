/** Shared pieces of the chart builders: sizes, input checks, error-bar layers and axis scales. */
import { InputError } from '@percept/core';
import type { TopLevelSpec } from 'vega-lite';

export type VegaLiteSpec = TopLevelSpec;

/** A closed interval [low, high], e.g. mean ± standard error or a bootstrap confidence interval. */
export type Interval = readonly [number, number];

export interface ChartOptions {
  /** Total width of the rendered chart in CSS pixels, including axes and legend (default 560). */
  width?: number;
  /** Total height in CSS pixels (default 360). */
  height?: number;
  title?: string;
}

export const VEGA_LITE_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/**
 * The frame every builder shares. `autosize: fit` with `contains: padding` makes the rendered SVG exactly
 * width × height, axes and legend included, so callers lay out reports with the sizes they asked for.
 */
export function frame(options: ChartOptions, defaults: { title: string; reserveHeight?: number }) {
  const width = options.width ?? 560;
  const height = options.height ?? 360;
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isFinite(v) || v < 50 || v > 10_000) {
      throw new InputError(`chart option "${name}" must be a number of pixels in [50, 10000], got ${v}`);
    }
  }
  return {
    $schema: VEGA_LITE_SCHEMA,
    title: options.title ?? defaults.title,
    width,
    height,
    autosize: { type: 'fit', contains: 'padding' },
    background: 'white',
    config: {
      font: 'DejaVu Sans, Verdana, sans-serif',
      view: { stroke: null },
      legend: { labelLimit: 260 },
      // A rotated y title taller than the plot pushes the chart title off the canvas; truncate instead.
      // `reserveHeight` is what a legend below the plot takes from it.
      axisY: { titleLimit: Math.max(60, height - 80 - (defaults.reserveHeight ?? 0)) },
    },
  } as const;
}

/** Throws an InputError naming the chart, the datum and the field unless the value is a finite number. */
export function requireNumber(chart: string, index: number, field: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InputError(`${chart}: data[${index}].${field} must be a finite number, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function requireString(chart: string, index: number, field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new InputError(`${chart}: data[${index}].${field} must be a non-empty string, got ${JSON.stringify(value)}`);
  }
  return value;
}

export function requireNonEmpty(chart: string, data: readonly unknown[]): void {
  if (!Array.isArray(data) || data.length === 0) throw new InputError(`${chart}: data must be a non-empty array`);
}

/** Checks an optional interval and that it contains its point estimate. */
export function checkInterval(chart: string, index: number, field: string, value: number, iv: Interval | undefined) {
  if (iv === undefined) return;
  if (!Array.isArray(iv) || iv.length !== 2 || !iv.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new InputError(`${chart}: data[${index}].${field} must be [low, high] finite numbers, got ${JSON.stringify(iv)}`);
  }
  if (iv[0] > value || iv[1] < value) {
    throw new InputError(`${chart}: data[${index}].${field} [${iv[0]}, ${iv[1]}] does not contain the value ${value}`);
  }
}

/** Values spanning more than this ratio (1.5 decades) get a log axis in auto mode. */
export const AUTO_LOG_RATIO = 10 ** 1.5;

/**
 * Log x when the caller asks, or in auto mode when every value is positive and they span more than 1.5
 * decades (weight decay 1e-6…1e-3 is unreadable on a linear axis, widths 1/16…1 are fine on one).
 */
export function useLogScale(values: number[], option: boolean | 'auto', chart: string, field: string): boolean {
  const positive = values.every((v) => v > 0);
  if (option === true) {
    if (!positive) throw new InputError(`${chart}: log scale requested but some "${field}" values are <= 0`);
    return true;
  }
  if (option === false) return false;
  if (!positive) return false;
  const min = Math.min(...values);
  const max = Math.max(...values);
  return max / min > AUTO_LOG_RATIO;
}

/**
 * Two rule layers drawing horizontal (x interval) and vertical (y interval) error bars. Data carry the
 * interval ends as `<x>Lo/<x>Hi` and `<y>Lo/<y>Hi`; rows without an interval are filtered out per layer.
 * The bars are grey, without a colour encoding, so the points keep one merged colour/shape legend.
 */
export function errorBarLayers(opts: {
  values: Record<string, unknown>[];
  x: { field: string; type: 'quantitative' };
  y: { field: string; type: 'quantitative' };
}) {
  const { x, y } = opts;
  const layers = [];
  const xRows = opts.values.filter((v) => v[`${x.field}Lo`] !== undefined);
  const yRows = opts.values.filter((v) => v[`${y.field}Lo`] !== undefined);
  if (xRows.length) {
    layers.push({
      name: 'error_x',
      data: { values: xRows },
      mark: { type: 'rule' as const, strokeWidth: 1.2, color: '#777' },
      encoding: {
        x: { field: `${x.field}Lo`, type: 'quantitative' as const },
        x2: { field: `${x.field}Hi` },
        y: { field: y.field, type: 'quantitative' as const },
      },
    });
  }
  if (yRows.length) {
    layers.push({
      name: 'error_y',
      data: { values: yRows },
      mark: { type: 'rule' as const, strokeWidth: 1.2, color: '#777' },
      encoding: {
        y: { field: `${y.field}Lo`, type: 'quantitative' as const },
        y2: { field: `${y.field}Hi` },
        x: { field: x.field, type: 'quantitative' as const },
      },
    });
  }
  return layers;
}

/** A y-domain padded around the data, so points near a reference line are not glued to the frame. */
export function paddedDomain(values: number[], pad = 0.08): [number, number] {
  const min = Math.min(...values);
  const max = Math.max(...values);
  const span = max - min || Math.max(Math.abs(max), 1) * 0.1;
  return [min - span * pad, max + span * pad];
}

/**
 * A categorical colour scheme with enough distinct colours: Vega's default (tableau10) repeats after
 * ten series, which makes two series indistinguishable; tableau20 has twenty.
 */
export function categoricalScheme(n: number): string {
  return n <= 10 ? 'tableau10' : 'tableau20';
}

/**
 * Width in px that Vega assumes for a label when it lays out and truncates text in Node: without a
 * canvas it estimates 0.8 em per character, so limits computed from real font metrics would truncate.
 */
export function textWidth(s: string, fontSize = 10): number {
  return Math.ceil(0.8 * fontSize * s.length);
}

/**
 * Legend below the plot in as many columns as fit, so long series labels are neither truncated nor
 * stealing plot width; a legend of up to 5 short entries stays on the right. `height` and `width` are
 * the space the legend takes below or beside the plot (for the y-title limit and the x-label band).
 */
export function legendLayout(series: string[], width: number) {
  const longest = Math.max(...series.map((s) => textWidth(s)));
  const labelLimit = longest + 4;
  // Vega sizes a right-hand legend by its (generous) estimate, so it stays there only when narrow.
  if (series.length <= 5 && labelLimit + 40 < width * 0.25) return { legend: { orient: 'right' as const, labelLimit }, height: 0, width: labelLimit + 40 };
  const colWidth = longest + 16 + 12;
  const columns = Math.max(1, Math.min(series.length, Math.floor((width - 20) / colWidth)));
  return {
    legend: { orient: 'bottom' as const, direction: 'horizontal' as const, columns, labelLimit, columnPadding: 12 },
    height: Math.ceil(series.length / columns) * 16 + 8,
    width: 0,
  };
}

/**
 * 0 when every label fits its band, else −35° (labels then right-align to their tick). Overlap is what
 * the reader sees, so this uses the rendered width of DejaVu Sans (~0.6 em per character), not Vega's estimate.
 */
export function xLabelAngle(labels: string[], band: number, fontSize = 10): number {
  const longest = Math.max(...labels.map((l) => 0.6 * fontSize * l.length));
  return longest > band * 0.95 ? -35 : 0;
}

/** Axis for a log scale: plain numbers ("0.25") unless the values are tiny ("1e-4"). */
export function logAxis(values: number[]): { format: string } {
  return { format: Math.min(...values) < 1e-3 ? '~e' : '~g' };
}
