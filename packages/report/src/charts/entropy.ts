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
import { TABLEAU10, TABLEAU20, checkPublishedMarks, plotEstimate, publishedLayers, publishedXs, sharedScales, type PublishedMark } from './published-layers.js';

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
  /** Published numbers in this chart's coordinates (x: the swept value, y: entropy), drawn as their own series. */
  published?: readonly PublishedMark[];
}

const CHART = 'entropyChart';

export function entropyChart(points: readonly EntropyPoint[], options: EntropyChartOptions): VegaLiteSpec {
  requireNonEmpty(CHART, points);
  const values = points.map((p, i) => ({
    line: requireString(CHART, i, 'line', p.line),
    value: requireNumber(CHART, i, 'value', p.value),
    entropy: requireNumber(CHART, i, 'entropy', p.entropy),
  }));
  const published = options.published ?? [];
  checkPublishedMarks(CHART, published);
  const log = useLogScale([...values.map((v) => v.value), ...publishedXs(published)], options.logX ?? 'auto', CHART, 'value');
  const x = { field: 'value', type: 'quantitative' as const, title: options.parameter, scale: log ? { type: 'log' as const } : { zero: false } };
  const y = { field: 'entropy', type: 'quantitative' as const, title: 'Normalised entropy', scale: { zero: false } };
  const lines = [...new Set(values.filter((v) => v.line !== options.meanLine).map((v) => v.line))];
  const hasMean = values.some((v) => v.line === options.meanLine);
  // One colour scale for every line so the legend lists the mean too; the mean is black.
  const palette = lines.length <= 10 ? TABLEAU10 : TABLEAU20;
  const domain = [...lines, ...(hasMean ? [options.meanLine!] : [])];
  const range = [...lines.map((_, i) => palette[i % palette.length]), ...(hasMean ? ['black'] : [])];
  const scales = published.length ? sharedScales([], published) : undefined;
  const color = {
    field: 'line', type: 'nominal' as const, title: null,
    scale: scales ? { domain: [...domain, ...scales.color.domain], range: [...range, ...scales.color.range] } : { domain, range },
    ...(scales ? { legend: scales.legend } : {}),
  };
  const xs = [...values.map((v) => v.value), ...publishedXs(published)];
  const pub = scales
    ? publishedLayers(published, {
      x: 'value', y: 'entropy', color: 'line', scales: { ...scales, color: color.scale }, ...plotEstimate(options, color.scale.domain),
      xLog: log, xExtent: [Math.min(...xs), Math.max(...xs)],
    })
    : [];
  const layers: object[] = pub.filter((l) => /band/.test((l as { name: string }).name));
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
  layers.push(...pub.filter((l) => !/band/.test((l as { name: string }).name)));
  return { ...frame(options, { title: `Normalised entropy vs ${options.parameter}` }), layer: layers } as VegaLiteSpec;
}
