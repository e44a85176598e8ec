/** LPIPS Figs. 7–9: 2AFC score per BAPPS subset, grouped bars with one bar per method. */
import { BAPPS_SUBSETS } from '../published.js';
import { type ChartOptions, type VegaLiteSpec, frame, requireNonEmpty, requireNumber, requireString } from './common.js';

export interface PerSubsetInput {
  method: string;
  perSubset: Record<string, number>;
}

export interface PerSubsetOptions extends ChartOptions {
  /** Subset order on the x axis; default: BAPPS order, then any other subsets alphabetically. */
  subsets?: string[];
}

const CHART = 'perSubsetChart';

export function perSubsetChart(methods: readonly PerSubsetInput[], options: PerSubsetOptions = {}): VegaLiteSpec {
  requireNonEmpty(CHART, methods);
  const values = methods.flatMap((m, i) => {
    const method = requireString(CHART, i, 'method', m.method);
    return Object.entries(m.perSubset ?? {}).map(([subset, score]) => ({
      method,
      subset,
      score: requireNumber(CHART, i, `perSubset.${subset}`, score),
    }));
  });
  requireNonEmpty(`${CHART} (perSubset entries)`, values);
  const present = [...new Set(values.map((v) => v.subset))];
  const order = options.subsets ?? [
    ...BAPPS_SUBSETS.filter((s) => present.includes(s)),
    ...present.filter((s) => !(BAPPS_SUBSETS as readonly string[]).includes(s)).sort(),
  ];
  return {
    ...frame(options, { title: '2AFC score per subset' }),
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'subset', type: 'nominal', sort: order, title: 'Subset', axis: { labelAngle: 0 } },
      xOffset: { field: 'method', sort: methods.map((m) => m.method) },
      y: { field: 'score', type: 'quantitative', title: '2AFC score (×100)', scale: { domain: [50, 100], clamp: true } },
      color: { field: 'method', type: 'nominal', title: null, sort: methods.map((m) => m.method) },
      tooltip: [{ field: 'method' }, { field: 'subset' }, { field: 'score', format: '.1f' }],
    },
  } as VegaLiteSpec;
}
