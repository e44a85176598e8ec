/** Kumar Fig. 17: ImageNet accuracy on low-pass-filtered images divided by clean accuracy, against r. */
import {
  type ChartOptions, type Interval, type VegaLiteSpec, checkInterval, errorBarLayers, frame, requireNonEmpty, requireNumber, requireString,
} from './common.js';

export interface LowPassPoint {
  model: string;
  /** Side of the square kept in the centred spectrum, in pixels. */
  r: number;
  /** accuracy(filtered) / accuracy(clean). */
  normalizedAccuracy: number;
  /** 95% interval of the ratio (drawn as a vertical whisker). */
  interval?: Interval;
}

const CHART = 'lowPassChart';

export function lowPassChart(points: readonly LowPassPoint[], options: ChartOptions = {}): VegaLiteSpec {
  requireNonEmpty(CHART, points);
  const values = points.map((p, i) => {
    const normalizedAccuracy = requireNumber(CHART, i, 'normalizedAccuracy', p.normalizedAccuracy);
    checkInterval(CHART, i, 'interval', normalizedAccuracy, p.interval);
    return {
      model: requireString(CHART, i, 'model', p.model),
      r: requireNumber(CHART, i, 'r', p.r),
      normalizedAccuracy,
      ...(p.interval ? { normalizedAccuracyLo: p.interval[0], normalizedAccuracyHi: p.interval[1] } : {}),
    };
  });
  return {
    ...frame(options, { title: 'Normalized accuracy vs low-pass filter size' }),
    data: { values },
    layer: [
      ...errorBarLayers({ values, x: { field: 'r', type: 'quantitative' }, y: { field: 'normalizedAccuracy', type: 'quantitative' } }),
      {
        name: 'lines',
        mark: { type: 'line', point: { filled: true, size: 40 } },
        encoding: {
          x: { field: 'r', type: 'quantitative', title: 'Low-pass filter side r (Fourier bins kept)' },
          y: { field: 'normalizedAccuracy', type: 'quantitative', title: 'Normalized accuracy' },
          color: { field: 'model', type: 'nominal', title: null },
          order: { field: 'r' },
        },
      },
    ],
  } as VegaLiteSpec;
}
