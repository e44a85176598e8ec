/** Kumar Fig. 17: ImageNet accuracy on low-pass-filtered images divided by clean accuracy, against r. */
import { type ChartOptions, type VegaLiteSpec, frame, requireNonEmpty, requireNumber, requireString } from './common.js';

export interface LowPassPoint {
  model: string;
  /** Side of the square kept in the centred spectrum, in pixels. */
  r: number;
  /** accuracy(filtered) / accuracy(clean). */
  normalizedAccuracy: number;
}

const CHART = 'lowPassChart';

export function lowPassChart(points: readonly LowPassPoint[], options: ChartOptions = {}): VegaLiteSpec {
  requireNonEmpty(CHART, points);
  const values = points.map((p, i) => ({
    model: requireString(CHART, i, 'model', p.model),
    r: requireNumber(CHART, i, 'r', p.r),
    normalizedAccuracy: requireNumber(CHART, i, 'normalizedAccuracy', p.normalizedAccuracy),
  }));
  return {
    ...frame(options, { title: 'Normalized accuracy vs low-pass filter size' }),
    data: { values },
    layer: [
      {
        name: 'lines',
        mark: { type: 'line', point: { filled: true, size: 40 } },
        encoding: {
          x: { field: 'r', type: 'quantitative', title: 'Low-pass filter size r (px)' },
          y: { field: 'normalizedAccuracy', type: 'quantitative', title: 'Normalized accuracy' },
          color: { field: 'model', type: 'nominal', title: null },
          order: { field: 'r' },
        },
      },
    ],
  } as VegaLiteSpec;
}
