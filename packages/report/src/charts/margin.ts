/**
 * Kumar Fig. 12b: mean distance to the farther and to the nearer patch of unanimous triplets against
 * training epoch. The gap between the two lines is the distortion-sensitivity margin.
 */
import { type ChartOptions, type VegaLiteSpec, frame, requireNonEmpty, requireNumber } from './common.js';

export interface MarginPoint {
  epoch: number;
  /** Mean d(x, x_far). */
  far: number;
  /** Mean d(x, x_near). */
  near: number;
}

const CHART = 'marginChart';

export function marginChart(points: readonly MarginPoint[], options: ChartOptions & { xTitle?: string } = {}): VegaLiteSpec {
  requireNonEmpty(CHART, points);
  const values = points.flatMap((p, i) => {
    const epoch = requireNumber(CHART, i, 'epoch', p.epoch);
    const far = requireNumber(CHART, i, 'far', p.far);
    const near = requireNumber(CHART, i, 'near', p.near);
    return [
      { epoch, distance: far, patch: 'farther patch' },
      { epoch, distance: near, patch: 'nearer patch' },
    ];
  });
  return {
    ...frame(options, { title: 'Distance to farther / nearer patch vs training' }),
    data: { values },
    layer: [
      {
        name: 'lines',
        mark: { type: 'line', point: { filled: true, size: 40 } },
        encoding: {
          x: { field: 'epoch', type: 'quantitative', title: options.xTitle ?? 'Training epoch' },
          y: { field: 'distance', type: 'quantitative', title: 'Mean distance', scale: { zero: false } },
          color: { field: 'patch', type: 'nominal', title: null, sort: ['farther patch', 'nearer patch'] },
          order: { field: 'epoch' },
        },
      },
    ],
  } as VegaLiteSpec;
}
