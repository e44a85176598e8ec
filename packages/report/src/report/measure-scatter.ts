/**
 * PS against a per-cell measure of the same model (Kumar Fig. 12a: distortion margin; Figs. 15b/15d:
 * mean activation entropy). A PS cell and a measure cell are the same model when their matrix values
 * agree on every shared key, the rule that pairs PS with accuracy.
 */
import { matrixValuesAgree } from '@percept/metrics';
import { psVsAccuracyChart, type AccuracyPsPoint } from '../charts/ps-vs-accuracy.js';
import type { VegaLiteSpec } from '../charts/common.js';
import type { PublishedMark } from '../charts/published-layers.js';
import { findingPs, type SubsetScoreFinding } from '../run/extract.js';
import type { StepView } from '../run/read-run.js';

export interface MeasureCell {
  step: StepView;
  /** Distance id the measure was taken with (margins), or undefined. */
  key?: string;
  value: number;
}

/** Pairs each PS finding with the first measure cell of the same model (and the same distance id, when both name one). */
export function pairMeasure(
  scores: readonly SubsetScoreFinding[],
  cells: readonly MeasureCell[],
  group: (f: SubsetScoreFinding) => string,
): { points: AccuracyPsPoint[]; unpaired: string[]; paired: Array<{ step: StepView; key: string; point: AccuracyPsPoint }> } {
  const points: AccuracyPsPoint[] = [];
  const paired: Array<{ step: StepView; key: string; point: AccuracyPsPoint }> = [];
  const unpaired: string[] = [];
  for (const f of scores) {
    const same = cells.filter((c) => matrixValuesAgree(f.step, c.step));
    const match = same.find((c) => c.key === undefined || c.key === f.key) ?? (new Set(same.map((c) => c.key)).size === 1 ? same[0] : undefined);
    if (!match) {
      unpaired.push(f.label);
      continue;
    }
    const { ps, ci } = findingPs(f);
    const point: AccuracyPsPoint = { label: f.label, accuracy: match.value, ps, group: group(f), ...(ci ? { psInterval: ci } : {}) };
    points.push(point);
    paired.push({ step: f.step, key: f.key, point });
  }
  return { points, unpaired, paired };
}

/**
 * The scatter: the measure on x, PS on y, no frontier and no LPIPS reference lines; `published` marks
 * are the figure's own numbers on these axes (Fig. 15's entropies), when a report asks for them.
 */
export function psVsMeasureChart(points: AccuracyPsPoint[], opts: { xTitle: string; title: string; width?: number; height?: number; published?: readonly PublishedMark[] }): VegaLiteSpec {
  return psVsAccuracyChart(points, { width: opts.width, height: opts.height, title: opts.title, xTitle: opts.xTitle, frontier: false, references: false, published: opts.published });
}
