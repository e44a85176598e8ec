/** Kumar Fig. 13: layer-wise Perceptual Score (one layer at a time) per model. */
import { InputError } from '@percept/core';
import { type ChartOptions, type VegaLiteSpec, categoricalScheme, frame, legendLayout, requireNonEmpty, requireNumber, requireString } from './common.js';

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
  const y = { field: 'ps', type: 'quantitative' as const, title: 'Layer-wise PS ×100', scale: { zero: false } };
  const series = [...new Set(values.map((v) => v.model))];
  const { legend, height: legendHeight } = legendLayout(series, options.width ?? 560);
  const f = frame(options, { title: 'Layer-wise Perceptual Score', reserveHeight: legendHeight });
  const color = { field: 'model', type: 'nominal' as const, title: null, sort: series, scale: { scheme: categoricalScheme(series.length) }, legend };
  // Tap names per index, for the axis: "relu3" when every model names layer 3 the same way.
  const tapAt = new Map<number, Set<string>>();
  for (const v of values) tapAt.set(v.layer, (tapAt.get(v.layer) ?? new Set()).add(v.tap));
  const sharedNames = [...tapAt.values()].every((t) => t.size === 1);
  const labelExpr = sharedNames
    ? `${JSON.stringify(Object.fromEntries([...tapAt].map(([i, t]) => [i, [...t][0]])))}[datum.value] || datum.value`
    : undefined;
  const mark = options.mark ?? 'line';
  const body =
    mark === 'bar'
      ? {
          mark: { type: 'bar' },
          encoding: {
            x: { field: 'layer', type: 'ordinal', title: sharedNames ? 'Layer' : 'Layer (index of the tap)', axis: { labelAngle: 0, ...(labelExpr ? { labelExpr } : {}) } },
            xOffset: { field: 'model' },
            y: { ...y, scale: { zero: true } },
            color,
            tooltip: [{ field: 'model' }, { field: 'tap' }, { field: 'ps' }],
          },
        }
      : {
          mark: { type: 'line', point: { filled: true, size: 50 } },
          encoding: {
            x: {
              field: 'layer',
              type: 'quantitative',
              title: sharedNames ? 'Layer' : 'Layer (index of the tap)',
              scale: { domain: [Math.min(...tapAt.keys()) - 0.2, Math.max(...tapAt.keys()) + 0.2], nice: false },
              axis: { values: [...tapAt.keys()].sort((a, b) => a - b), format: 'd', ...(labelExpr ? { labelExpr } : {}) },
            },
            y,
            color,
            tooltip: [{ field: 'model' }, { field: 'tap' }, { field: 'ps' }],
          },
        };
  return { ...f, data: { values }, ...body } as VegaLiteSpec;
}
