/**
 * Kumar Fig. 3: the PS of simulated distances that agree with the human majority, against their noise
 * σ (the `dynamic-range` job of @percept/dataset-bapps), with the run's own limits (oracle at σ → 0,
 * chance at σ → ∞) as dotted lines and the figure's published reference lines as their own series.
 */
import type { JsonValue } from '@percept/core';
import { type ChartOptions, type VegaLiteSpec, errorBarLayers, frame, logAxis, paddedDomain, requireNonEmpty, requireNumber } from '../charts/common.js';
import { checkPublishedMarks, plotEstimate, publishedLayers, publishedYs, sharedScales, type PublishedMark } from '../charts/published-layers.js';
import type { StepView } from '../run/read-run.js';

export interface DynamicRangeFinding {
  step: StepView;
  curve: Array<{ sigma: number; ps: number; ci95?: readonly [number, number] }>;
  oracle: number;
  chance: number;
  /** The subsets whose judges were used. */
  subsets: string[];
}

type Obj = Record<string, JsonValue>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** `{ curve: [{ sigma, ps, ci95 }], oracle, chance }` as the dynamic-range job writes it. */
export function findDynamicRange(step: StepView): DynamicRangeFinding | undefined {
  const o = step.outputs;
  if (!o || !Array.isArray(o.curve) || !num(o.oracle) || !num(o.chance)) return undefined;
  const curve = o.curve.flatMap((c) => {
    if (!isObj(c) || !num(c.sigma) || !num(c.ps)) return [];
    const ci = Array.isArray(c.ci95) && c.ci95.length === 2 && c.ci95.every(num) ? ([c.ci95[0], c.ci95[1]] as const) : undefined;
    return [{ sigma: c.sigma, ps: c.ps, ...(ci ? { ci95: ci } : {}) }];
  });
  const subsets = Array.isArray(o.subsets) ? o.subsets.filter((x): x is string => typeof x === 'string') : [];
  return curve.length ? { step, curve, oracle: o.oracle, chance: o.chance, subsets } : undefined;
}

const CHART = 'dynamicRangeChart';

export function dynamicRangeChart(findings: readonly DynamicRangeFinding[], options: ChartOptions & { published?: readonly PublishedMark[] } = {}): VegaLiteSpec {
  requireNonEmpty(CHART, findings);
  const several = findings.length > 1;
  const values = findings.flatMap((f) => f.curve.map((c, i) => {
    const sigma = requireNumber(CHART, i, 'sigma', c.sigma);
    const ps = requireNumber(CHART, i, 'ps', c.ps);
    return { series: several ? `${f.step.step}${f.step.cell ? `[${f.step.cell}]` : ''}` : 'simulated PS', sigma, ps, ...(c.ci95 ? { psLo: c.ci95[0], psHi: c.ci95[1] } : {}) };
  }));
  const published = options.published ?? [];
  checkPublishedMarks(CHART, published);
  const limits = findings.flatMap((f) => [
    { ps: f.oracle, text: `oracle ${f.oracle.toFixed(1)} (this run)` },
    { ps: f.chance, text: `chance ${f.chance.toFixed(0)}` },
  ]);
  const yDomain = paddedDomain([...values.flatMap((v) => [v.ps, v.psLo ?? v.ps, v.psHi ?? v.ps]), ...limits.map((l) => l.ps), ...publishedYs(published)]);
  const sigmas = values.map((v) => v.sigma);
  const log = sigmas.every((s) => s > 0);
  const x = { field: 'sigma', type: 'quantitative' as const, title: 'σ (noise of the simulated distances)', scale: log ? { type: 'log' as const, nice: false } : { zero: false }, ...(log ? { axis: logAxis(sigmas) } : {}) };
  const y = { field: 'ps', type: 'quantitative' as const, title: 'Perceptual Score (2AFC ×100)', scale: { zero: false, domain: yDomain } };
  const scales = published.length ? sharedScales(values.map((v) => v.series), published) : undefined;
  const pub = scales
    ? publishedLayers(published, { x: 'sigma', y: 'ps', color: 'series', scales, yDomain, ...plotEstimate(options, scales.color.domain), lineYs: limits.map((l) => l.ps) })
    : [];
  const layers: object[] = [
    {
      name: 'limits', data: { values: limits },
      layer: [
        { mark: { type: 'rule', strokeDash: [2, 3], color: '#444' }, encoding: { y: { field: 'ps', type: 'quantitative' } } },
        { mark: { type: 'text', align: 'left', baseline: 'bottom', dx: 3, dy: -2, fontSize: 10, color: '#444' }, encoding: { y: { field: 'ps', type: 'quantitative' }, x: { value: 0 }, text: { field: 'text' } } },
      ],
    },
    ...errorBarLayers({ values, x, y }),
    {
      name: 'lines', data: { values },
      mark: { type: 'line', point: { filled: true, size: 40 } },
      encoding: { x, y, color: { field: 'series', type: 'nominal', title: null, ...(scales ? { scale: scales.color, legend: scales.legend } : {}) }, order: { field: 'sigma' } },
    },
    ...pub,
  ];
  return { ...frame(options, { title: 'Perceptual Score of simulated distances vs σ' }), layer: layers } as VegaLiteSpec;
}
