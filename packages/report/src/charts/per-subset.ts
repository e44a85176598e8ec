/**
 * LPIPS Figs. 7–9: 2AFC score per subset, grouped bars with one bar per series and 95% confidence
 * intervals as error bars where the job recorded them. Works for any subsets (BAPPS or synthetic).
 */
import { BAPPS_SUBSETS } from '../published.js';
import {
  type ChartOptions,
  type Interval,
  type VegaLiteSpec,
  categoricalScheme,
  checkInterval,
  frame,
  legendLayout,
  requireNonEmpty,
  requireNumber,
  requireString,
  xLabelAngle,
} from './common.js';

export interface PerSubsetInput {
  /** Series label shown in the legend; keep it short (e.g. "alexnet/onnx · lpips"). */
  method: string;
  perSubset: Record<string, number>;
  /** 95% interval per subset (×100), drawn as an error bar. */
  intervals?: Record<string, Interval>;
}

export interface PerSubsetOptions extends ChartOptions {
  /** Subset order on the x axis; default: BAPPS order, then other subsets in order of first appearance. */
  subsets?: string[];
}

const CHART = 'perSubsetChart';

export function perSubsetChart(methods: readonly PerSubsetInput[], options: PerSubsetOptions = {}): VegaLiteSpec {
  requireNonEmpty(CHART, methods);
  const values = methods.flatMap((m, i) => {
    const method = requireString(CHART, i, 'method', m.method);
    return Object.entries(m.perSubset ?? {}).map(([subset, raw]) => {
      const score = requireNumber(CHART, i, `perSubset.${subset}`, raw);
      const ci = m.intervals?.[subset];
      checkInterval(CHART, i, `intervals.${subset}`, score, ci);
      return { method, subset, score, ...(ci ? { scoreLo: ci[0], scoreHi: ci[1] } : {}) };
    });
  });
  requireNonEmpty(`${CHART} (perSubset entries)`, values);
  const present = [...new Set(values.map((v) => v.subset))];
  const order = options.subsets ?? [
    ...BAPPS_SUBSETS.filter((s) => present.includes(s)),
    ...present.filter((s) => !(BAPPS_SUBSETS as readonly string[]).includes(s)),
  ];
  const series = [...new Set(methods.map((m) => m.method))];
  const { legend, height: legendHeight, width: legendWidth } = legendLayout(series, options.width ?? 560);
  const f = frame(options, { title: '2AFC score per subset', reserveHeight: legendHeight });
  // Room per subset group once the y axis (~55 px) is taken; labels rotate when they would collide.
  const angle = xLabelAngle(order, (f.width - 55 - legendWidth) / order.length);
  const withCi = values.filter((v) => v.scoreLo !== undefined);
  const layers: object[] = [
    {
      name: 'bars',
      mark: { type: 'bar' },
      encoding: {
        y: {
          field: 'score',
          type: 'quantitative',
          // 50 is chance in 2AFC, so bars start there rather than at 0.
          title: '2AFC score ×100',
          scale: { domain: [50, 100], clamp: true },
        },
        color: { field: 'method', type: 'nominal', title: null, sort: series, scale: { scheme: categoricalScheme(series.length) }, legend },
        tooltip: [{ field: 'method' }, { field: 'subset' }, { field: 'score', format: '.1f' }, { field: 'scoreLo', format: '.1f' }, { field: 'scoreHi', format: '.1f' }],
      },
    },
  ];
  if (withCi.length) {
    layers.push({
      name: 'error_bars',
      transform: [{ filter: 'isValid(datum.scoreLo)' }],
      mark: { type: 'rule', color: '#333', strokeWidth: 1 },
      encoding: {
        y: { field: 'scoreLo', type: 'quantitative', scale: { domain: [50, 100], clamp: true } },
        y2: { field: 'scoreHi' },
      },
    });
  }
  return {
    ...f,
    data: { values },
    encoding: {
      x: {
        field: 'subset',
        type: 'nominal',
        sort: order,
        title: null,
        axis: { labelAngle: angle, labelAlign: angle ? 'right' : 'center', labelLimit: 140 },
        scale: { paddingInner: 0.2 },
      },
      xOffset: { field: 'method', sort: series },
    },
    layer: layers,
  } as VegaLiteSpec;
}
