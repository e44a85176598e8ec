/** Kumar Figs. 5b/6b/8c/9b: Perceptual Score against one swept hyperparameter, one line per model. */
import {
  type ChartOptions,
  type Interval,
  type VegaLiteSpec,
  checkInterval,
  errorBarLayers,
  frame,
  logAxis,
  paddedDomain,
  requireNonEmpty,
  requireNumber,
  useLogScale,
} from './common.js';
import { checkPublishedMarks, plotEstimate, publishedLayers, publishedXs, publishedYs, sharedScales, type PublishedMark } from './published-layers.js';

export interface SweepPoint {
  /** The line this point belongs to, e.g. "ResNet-6". */
  series?: string;
  /** The hyperparameter value (width fraction, weight decay, epoch, …). */
  value: number;
  ps: number;
  psInterval?: Interval;
}

export interface SweepOptions extends ChartOptions {
  /** Name of the hyperparameter (x-axis title). */
  parameter: string;
  /** Log x: true, false, or 'auto' (default): log when all values are positive and span > 1.5 decades. */
  logX?: boolean | 'auto';
  yTitle?: string;
  /** Published numbers in this chart's coordinates (x: the swept value, y: PS), drawn as their own series. */
  published?: readonly PublishedMark[];
}

const CHART = 'sweepChart';

export function sweepChart(points: readonly SweepPoint[], options: SweepOptions): VegaLiteSpec {
  requireNonEmpty(CHART, points);
  const values = points.map((p, i) => {
    const value = requireNumber(CHART, i, 'value', p.value);
    const ps = requireNumber(CHART, i, 'ps', p.ps);
    checkInterval(CHART, i, 'psInterval', ps, p.psInterval);
    return { series: p.series ?? 'measured', value, ps, ...(p.psInterval ? { psLo: p.psInterval[0], psHi: p.psInterval[1] } : {}) };
  });
  const published = options.published ?? [];
  checkPublishedMarks(CHART, published);
  const log = useLogScale([...values.map((v) => v.value), ...publishedXs(published)], options.logX ?? 'auto', CHART, 'value');
  const x = {
    field: 'value',
    type: 'quantitative' as const,
    title: options.parameter,
    // A nice log domain rounds out to whole decades (0.1…1 for widths 0.125…1): keep the data's range.
    scale: log ? { type: 'log' as const, nice: false, padding: 12 } : { zero: false },
    ...(log ? { axis: logAxis(values.map((v) => v.value)) } : {}),
  };
  // Padded around the data (and intervals), so one flat line still gets a readable axis.
  const yDomain = paddedDomain([...values.flatMap((v) => [v.ps, v.psLo ?? v.ps, v.psHi ?? v.ps]), ...publishedYs(published)]);
  const y = { field: 'ps', type: 'quantitative' as const, title: options.yTitle ?? 'Perceptual Score', scale: { zero: false, domain: yDomain } };
  const scales = published.length ? sharedScales(values.map((v) => v.series), published) : undefined;
  const pub = scales
    ? publishedLayers(published, {
      x: 'value', y: 'ps', color: 'series', scales, yDomain, ...plotEstimate(options, scales.color.domain), xLog: log,
      xExtent: [Math.min(...values.map((v) => v.value), ...publishedXs(published)), Math.max(...values.map((v) => v.value), ...publishedXs(published))],
    })
    : [];
  const isBand = (l: object) => /band/.test((l as { name: string }).name);
  const layers: object[] = [
    ...pub.filter(isBand),
    ...errorBarLayers({ values, x, y }),
    {
      data: { values },
      mark: { type: 'line', point: { filled: true, size: 50 } },
      encoding: { x, y, color: { field: 'series', type: 'nominal', title: null, ...(scales ? { scale: scales.color, legend: scales.legend } : {}) }, order: { field: 'value' } },
      name: 'lines',
    },
    ...pub.filter((l) => !isBand(l)),
  ];
  return { ...frame(options, { title: `Perceptual Score vs ${options.parameter}` }), layer: layers } as VegaLiteSpec;
}
