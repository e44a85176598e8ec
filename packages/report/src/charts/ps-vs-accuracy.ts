/**
 * Kumar Fig. 1/4: Perceptual Score against ImageNet accuracy, one point per classifier, the Pareto
 * frontier (non-dominated set, both axes maximised) as a line, published reference PS values as labelled
 * horizontal rules, and 2-D error bars where intervals exist.
 */
import { PUBLISHED_PS_LINES, type PublishedReference } from '../published.js';
import {
  type ChartOptions,
  type Interval,
  type VegaLiteSpec,
  checkInterval,
  errorBarLayers,
  frame,
  paddedDomain,
  requireNonEmpty,
  requireNumber,
  requireString,
} from './common.js';
import { paretoFrontier } from '@percept/metrics';
import { checkPublishedMarks, plotEstimate, publishedLayers, publishedXs, publishedYs, sharedScales, type PublishedMark } from './published-layers.js';

export interface AccuracyPsPoint {
  /** The model (e.g. "resnet6 width 0.25"). */
  label: string;
  /** ImageNet top-1 accuracy in percent. */
  accuracy: number;
  /** Perceptual Score (2AFC ×100). */
  ps: number;
  /** Colour/shape group, e.g. the architecture family or the swept hyperparameter. */
  group?: string;
  accuracyInterval?: Interval;
  psInterval?: Interval;
}

export interface PsVsAccuracyOptions extends ChartOptions {
  /** Draw the Pareto frontier (default true). */
  frontier?: boolean;
  /**
   * Another set of models' frontier, drawn as a grey dashed line (Kumar Fig. 10's reference frontier
   * of out-of-the-box models); its points are not drawn.
   */
  referenceFrontier?: { points: ReadonlyArray<{ accuracy: number; ps: number; label: string }> };
  /** Published reference lines (default human, AlexNet, random network, FSIMc); false for none. */
  references?: readonly PublishedReference[] | false;
  xTitle?: string;
  yTitle?: string;
  /**
   * Kumar Fig. 9's dotted guide lines: per group, a horizontal line at p_max (the group's best PS) and
   * a vertical one at a(p_max) (the accuracy where it is reached), dark grey.
   */
  guides?: readonly PMaxGuide[];
  /**
   * Figure-specific published numbers as their own series (published-figures.ts): points (accuracy,
   * PS) as hollow diamonds, values as dashed guides, ranges as grey bands, with legend entries of their own.
   */
  published?: readonly PublishedMark[];
}

/** p_max / a(p_max) of one group (sweep), measured in the run. */
export interface PMaxGuide {
  group: string;
  pMax: number;
  aPMax: number;
}

const CHART = 'psVsAccuracyChart';

export function psVsAccuracyChart(points: readonly AccuracyPsPoint[], options: PsVsAccuracyOptions = {}): VegaLiteSpec {
  requireNonEmpty(CHART, points);
  const values = points.map((p, i) => {
    const accuracy = requireNumber(CHART, i, 'accuracy', p.accuracy);
    const ps = requireNumber(CHART, i, 'ps', p.ps);
    checkInterval(CHART, i, 'accuracyInterval', accuracy, p.accuracyInterval);
    checkInterval(CHART, i, 'psInterval', ps, p.psInterval);
    return {
      label: requireString(CHART, i, 'label', p.label),
      group: p.group ?? 'measured',
      accuracy,
      ps,
      ...(p.accuracyInterval ? { accuracyLo: p.accuracyInterval[0], accuracyHi: p.accuracyInterval[1] } : {}),
      ...(p.psInterval ? { psLo: p.psInterval[0], psHi: p.psInterval[1] } : {}),
    };
  });
  const refs = options.references === false ? [] : (options.references ?? PUBLISHED_PS_LINES);
  const published = options.published ?? [];
  checkPublishedMarks(CHART, published);
  // Scale padding keeps points at the extremes off the axes.
  const x = {
    field: 'accuracy',
    type: 'quantitative' as const,
    title: options.xTitle ?? 'ImageNet top-1 accuracy (%)',
    scale: { zero: false, padding: 12 },
  };
  const yDomain = paddedDomain([
    ...values.flatMap((v) => [v.ps, v.psLo ?? v.ps, v.psHi ?? v.ps]),
    ...refs.map((r) => r.ps),
    ...publishedYs(published),
    ...(options.referenceFrontier?.points ?? []).map((p) => p.ps),
  ]);
  const y = {
    field: 'ps',
    type: 'quantitative' as const,
    title: options.yTitle ?? 'Perceptual Score (2AFC ×100)',
    scale: { domain: yDomain, zero: false },
  };

  const layers: object[] = [];
  if (refs.length) {
    // Published values as labelled rules; constant colour keeps them out of the measured legend.
    const otherLines = [...publishedYs(published.filter((m) => m.at.kind === 'y')), ...(options.guides ?? []).map((g) => g.pMax)];
    const placed = referenceLabelSides(refs.map((r) => r.ps), otherLines, yDomain);
    const labelled = refs.map((r, i) => ({ ps: r.ps, text: `${r.label} ${r.ps.toFixed(1)}`, side: placed[i] }));
    const labels = (side: 'above' | 'below') => ({
      name: `reference_labels${side === 'below' ? '_below' : ''}`,
      transform: [{ filter: { field: 'side', equal: side } }],
      mark: side === 'above'
        ? { type: 'text', align: 'left', baseline: 'bottom', dx: 3, dy: -2, fontSize: 10, color: '#555' }
        : { type: 'text', align: 'left', baseline: 'top', dx: 3, dy: 2, fontSize: 10, color: '#555' },
      encoding: { y: { field: 'ps', type: 'quantitative' }, x: { value: 0 }, text: { field: 'text' } },
    });
    layers.push({
      data: { values: labelled },
      layer: [
        {
          name: 'reference_rules',
          mark: { type: 'rule', strokeDash: [4, 4], color: '#888' },
          encoding: { y: { field: 'ps', type: 'quantitative' } },
        },
        labels('above'),
        ...(labelled.some((l) => l.side === 'below') ? [labels('below')] : []),
      ],
    });
  }
  layers.push(...errorBarLayers({ values, x, y }));
  if (options.guides?.length) layers.push(...guideLayers(options.guides));
  if (options.referenceFrontier?.points.length) {
    const front = paretoFrontier(options.referenceFrontier.points.map((p) => ({ x: p.accuracy, y: p.ps, id: p.label })));
    layers.push({
      data: { values: front.map((p) => ({ accuracy: p.x, ps: p.y, label: p.id })) },
      mark: { type: 'line', color: '#888', strokeDash: [6, 4], strokeWidth: 2, interpolate: 'linear' },
      encoding: { x: { field: 'accuracy', type: 'quantitative' }, y: { field: 'ps', type: 'quantitative' }, order: { field: 'accuracy' }, tooltip: [{ field: 'label' }] },
      name: 'reference_frontier',
    });
  }
  if (options.frontier ?? true) {
    // Non-dominated with both accuracy and PS maximised (Kumar Fig. 1/10), sorted by accuracy.
    const front = paretoFrontier(values.map((v) => ({ x: v.accuracy, y: v.ps, id: v.label })));
    layers.push({
      data: { values: front.map((p) => ({ accuracy: p.x, ps: p.y, label: p.id })) },
      mark: { type: 'line', color: '#08306b', strokeWidth: 2, interpolate: 'linear' },
      encoding: { x: { field: 'accuracy', type: 'quantitative' }, y: { field: 'ps', type: 'quantitative' }, order: { field: 'accuracy' } },
      name: 'frontier',
    });
  }
  // With published marks, measured groups and published kinds share one colour/shape legend.
  const scales = published.length ? sharedScales(values.map((v) => v.group), published, { shapes: true }) : undefined;
  const xs = [...values.map((v) => v.accuracy), ...publishedXs(published)];
  const pub = scales
    ? publishedLayers(published, {
      x: 'accuracy', y: 'ps', color: 'group', scales, shape: true, yDomain: yDomain as [number, number],
      ...plotEstimate(options, scales.color.domain), xExtent: [Math.min(...xs), Math.max(...xs)], lineYs: refs.map((r) => r.ps),
    })
    : [];
  const isBand = (l: object) => /band/.test((l as { name: string }).name);
  layers.unshift(...pub.filter(isBand));
  layers.push({
    data: { values },
    mark: { type: 'point', filled: true, size: 60, opacity: 0.9 },
    encoding: {
      x,
      y,
      color: { field: 'group', type: 'nominal', title: null, ...(scales ? { scale: scales.color, legend: scales.legend } : {}) },
      shape: { field: 'group', type: 'nominal', title: null, ...(scales ? { scale: scales.shape, legend: scales.legend } : {}) },
      tooltip: [{ field: 'label' }, { field: 'accuracy' }, { field: 'ps' }],
    },
    name: 'points',
  });
  layers.push(...pub.filter((l) => !isBand(l)));
  return { ...frame(options, { title: 'Perceptual Score vs ImageNet accuracy' }), layer: layers } as VegaLiteSpec;
}

/**
 * Dotted rules at p_max (horizontal) and a(p_max) (vertical). They are dark grey rather than coloured by
 * group: a colour encoding on rules would need its own legend (or hide the points' colour legend), and
 * each pair crosses at its group's best point, which names it.
 */
function guideLayers(guides: readonly PMaxGuide[]): object[] {
  const values = guides.map((g, i) => ({
    group: requireString('psVsAccuracyChart guides', i, 'group', g.group),
    ps: requireNumber('psVsAccuracyChart guides', i, 'pMax', g.pMax),
    accuracy: requireNumber('psVsAccuracyChart guides', i, 'aPMax', g.aPMax),
  }));
  const mark = { type: 'rule' as const, strokeDash: [2, 3], strokeWidth: 1.2, color: '#444' };
  return [
    { name: 'pmax_rules', data: { values }, mark, encoding: { y: { field: 'ps', type: 'quantitative' } } },
    { name: 'apmax_rules', data: { values }, mark, encoding: { x: { field: 'accuracy', type: 'quantitative' } } },
  ];
}

/**
 * Kumar Fig. 4 style: points with 2-D error bars (e.g. mean ± standard error over 5 runs on both axes),
 * without frontier or reference lines unless asked.
 */
export function errorBarScatterChart(points: readonly AccuracyPsPoint[], options: PsVsAccuracyOptions = {}): VegaLiteSpec {
  return psVsAccuracyChart(points, {
    frontier: false,
    references: false,
    title: 'Perceptual Score vs accuracy (mean ± interval)',
    ...options,
  });
}

/**
 * Which side of its rule each reference label goes: above when the text height over it (3.5% of the
 * y span) is free of other lines and of labels already placed, else below when that is free, so
 * that close values (AlexNet 68.9 under a p_max of 69.7, Random network 64.3 over FSIMc 63.8) stay
 * legible. Labels are placed from the highest value down.
 */
export function referenceLabelSides(values: readonly number[], otherLines: readonly number[], domain: readonly [number, number]): Array<'above' | 'below'> {
  const room = 0.035 * (domain[1] - domain[0]);
  const lines = [...otherLines, ...values];
  const taken: Array<[number, number]> = [];
  const free = (lo: number, hi: number, own: number) =>
    !lines.some((l) => l !== own && l > lo && l < hi) && !taken.some(([a, b]) => a < hi && lo < b);
  const sides: Array<'above' | 'below'> = values.map(() => 'above');
  for (const i of values.map((_, k) => k).sort((a, b) => values[b] - values[a])) {
    const v = values[i];
    sides[i] = free(v, v + room, v) || !free(v - room, v, v) ? 'above' : 'below';
    taken.push(sides[i] === 'above' ? [v, v + room] : [v - room, v]);
  }
  return sides;
}
