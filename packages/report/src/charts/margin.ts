/**
 * Kumar Fig. 12b: mean distance to the farther and to the nearer patch of unanimous triplets against
 * training epoch. The gap between the two lines is the distortion-sensitivity margin. With several
 * series (e.g. models) each series has its colour and the patch is told apart by the dash.
 */
import { type ChartOptions, type VegaLiteSpec, frame, requireNonEmpty, requireNumber, useLogScale } from './common.js';

export interface MarginPoint {
  epoch: number;
  /** Mean d(x, x_far). */
  far: number;
  /** Mean d(x, x_near). */
  near: number;
  /** The line pair this point belongs to (e.g. the model); optional for a single series. */
  series?: string;
}

export interface MarginChartOptions extends ChartOptions {
  xTitle?: string;
  /** Log x: true, false (default), or 'auto' (log when positive values span > 1.5 decades). */
  logX?: boolean | 'auto';
}

const CHART = 'marginChart';
const PATCHES = ['farther patch', 'nearer patch'];

export function marginChart(points: readonly MarginPoint[], options: MarginChartOptions = {}): VegaLiteSpec {
  requireNonEmpty(CHART, points);
  const values = points.flatMap((p, i) => {
    const epoch = requireNumber(CHART, i, 'epoch', p.epoch);
    const far = requireNumber(CHART, i, 'far', p.far);
    const near = requireNumber(CHART, i, 'near', p.near);
    const series = p.series ?? 'measured';
    return [
      { epoch, distance: far, patch: PATCHES[0], series },
      { epoch, distance: near, patch: PATCHES[1], series },
    ];
  });
  const several = new Set(values.map((v) => v.series)).size > 1;
  const log = useLogScale(values.map((v) => v.epoch), options.logX ?? false, CHART, 'epoch');
  const patch = { field: 'patch', type: 'nominal' as const, title: null, sort: PATCHES };
  return {
    ...frame(options, { title: 'Distance to farther / nearer patch vs training' }),
    data: { values },
    layer: [
      {
        name: 'lines',
        mark: { type: 'line', point: { filled: true, size: 40 } },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: options.xTitle ?? 'Training epoch', scale: log ? { type: 'log' } : { zero: false } },
          y: { field: 'distance', type: 'quantitative', title: 'Mean distance', scale: { zero: false } },
          ...(several
            ? { color: { field: 'series', type: 'nominal', title: null }, strokeDash: patch, detail: { field: 'patch' } }
            : { color: patch }),
          order: { field: 'epoch' },
        },
      },
    ],
  } as VegaLiteSpec;
}
