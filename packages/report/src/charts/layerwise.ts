/** Kumar Fig. 13: layer-wise Perceptual Score (one layer at a time) per model. */
import { InputError } from '@percept/core';
import { type ChartOptions, type VegaLiteSpec, frame, requireNonEmpty, requireNumber, requireString } from './common.js';

export interface LayerPsPoint {
  model: string;
  /** 1-based layer index (reduction stage), so models with different tap names share the axis. */
  layer: number;
  ps: number;
  /** Tap name shown in the tooltip, e.g. "layer3". */
  tap?: string;
}

export interface LayerwiseOptions extends ChartOptions {
  mark?: 'line' | 'bar';
}

const CHART = 'layerwiseChart';

export function layerwiseChart(points: readonly LayerPsPoint[], options: LayerwiseOptions = {}): VegaLiteSpec {
  requireNonEmpty(CHART, points);
  const values = points.map((p, i) => {
    const layer = requireNumber(CHART, i, 'layer', p.layer);
    if (!Number.isInteger(layer) || layer < 1) {
      throw new InputError(`${CHART}: data[${i}].layer must be a 1-based integer layer index, got ${layer}`);
    }
    return { model: requireString(CHART, i, 'model', p.model), layer, ps: requireNumber(CHART, i, 'ps', p.ps), tap: p.tap ?? `layer ${layer}` };
  });
  const y = { field: 'ps', type: 'quantitative' as const, title: 'Layer-wise Perceptual Score', scale: { zero: false } };
  const color = { field: 'model', type: 'nominal' as const, title: null };
  const mark = options.mark ?? 'line';
  const body =
    mark === 'bar'
      ? {
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'layer', type: 'ordinal', title: 'Layer', axis: { labelAngle: 0 } },
            xOffset: { field: 'model' },
            y: { ...y, scale: { zero: true } },
            color,
            tooltip: [{ field: 'model' }, { field: 'tap' }, { field: 'ps' }],
          },
        }
      : {
          mark: { type: 'line', point: { filled: true, size: 50 } },
          encoding: {
            x: { field: 'layer', type: 'quantitative', title: 'Layer', axis: { tickMinStep: 1, format: 'd' } },
            y,
            color,
            tooltip: [{ field: 'model' }, { field: 'tap' }, { field: 'ps' }],
          },
        };
  return { ...frame(options, { title: 'Layer-wise Perceptual Score' }), data: { values }, ...body } as VegaLiteSpec;
}
