/**
 * Kumar Figs. 15a/15c/16a: normalised activation entropy against a swept value (training step, depth).
 * Either one model's reduction stages plus their mean (Fig. 15a: one line per stage, the mean in black)
 * or the mean entropy of several series (Figs. 15c, 16a: one line per model or skip setting).
 */
import {
  type ChartOptions,
  type VegaLiteSpec,
  frame,
  requireNonEmpty,
  requireNumber,
  requireString,
  useLogScale,
} from './common.js';

export interface EntropyPoint {
  /** The line: a stage (tap) name, the mean line, or a series. */
  line: string;
  /** The swept value (step, epoch, depth, …). */
  value: number;
  /** Normalised entropy in [0, 1]. */
  entropy: number;
}

export interface EntropyChartOptions extends ChartOptions {
  /** x-axis title, e.g. "Training step". */
  parameter: string;
  /** The line drawn thick and black (the mean over stages); the others are coloured. */
  meanLine?: string;
  /** Log x: true, false, or 'auto' (default): log when positive values span > 1.5 decades. */
  logX?: boolean | 'auto';
}

const CHART = 'entropyChart';
const TABLEAU10 = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];
const TABLEAU20 = [
  '#4c78a8', '#9ecae9', '#f58518', '#ffbf79', '#54a24b', '#88d27a', '#b79a20', '#f2cf5b', '#439894', '#83bcb6',
  '#e45756', '#ff9d98', '#79706e', '#bab0ac', '#d67195', '#fcbfd2', '#b279a2', '#d6a5c9', '#9e765f', '#d8b5a5',
];

export function entropyChart(points: readonly EntropyPoint[], options: EntropyChartOptions): VegaLiteSpec {
  requireNonEmpty(CHART, points);
  const values = points.map((p, i) => ({
    line: requireString(CHART, i, 'line', p.line),
    value: requireNumber(CHART, i, 'value', p.value),
    entropy: requireNumber(CHART, i, 'entropy', p.entropy),
  }));
  const log = useLogScale(values.map((v) => v.value), options.logX ?? 'auto', CHART, 'value');
  const x = { field: 'value', type: 'quantitative' as const, title: options.parameter, scale: log ? { type: 'log' as const } : { zero: false } };
  const y = { field: 'entropy', type: 'quantitative' as const, title: 'Normalised entropy', scale: { zero: false } };
  const lines = [...new Set(values.filter((v) => v.line !== options.meanLine).map((v) => v.line))];
  const hasMean = values.some((v) => v.line === options.meanLine);
  // One colour scale for every line so the legend lists the mean too; the mean is black.
  const palette = lines.length <= 10 ? TABLEAU10 : TABLEAU20;
  const domain = [...lines, ...(hasMean ? [options.meanLine!] : [])];
  const range = [...lines.map((_, i) => palette[i % palette.length]), ...(hasMean ? ['black'] : [])];
  const color = { field: 'line', type: 'nominal' as const, title: null, scale: { domain, range } };
  const layers: object[] = [];
  if (lines.length) {
    layers.push({
      name: 'lines',
      data: { values: values.filter((v) => v.line !== options.meanLine) },
      mark: { type: 'line', point: { filled: true, size: 40 } },
      encoding: { x, y, color, order: { field: 'value' } },
    });
  }
  if (hasMean) {
    layers.push({
      name: 'mean',
      data: { values: values.filter((v) => v.line === options.meanLine) },
      mark: { type: 'line', strokeWidth: 3, point: { filled: true, size: 60 } },
      encoding: { x, y, color, order: { field: 'value' } },
    });
  }
  return { ...frame(options, { title: `Normalised entropy vs ${options.parameter}` }), layer: layers } as VegaLiteSpec;
}
