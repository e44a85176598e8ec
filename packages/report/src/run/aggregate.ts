/**
 * Kumar Fig. 4: each point is the mean of several runs (seeds) with standard-error bars on both axes.
 * Cells that differ only in the aggregated matrix key (e.g. `seed`) and the distance are one point.
 */
import type { AccuracyPsPoint } from '../charts/ps-vs-accuracy.js';
import type { StepView } from './read-run.js';
import { groupName } from './sweep-select.js';

/** Mean and standard error of the mean (sample SD / √n); the SE is undefined for one value. */
export function meanAndStandardError(xs: readonly number[]): { mean: number; se?: number; n: number } {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, n };
  const variance = xs.reduce((a, x) => a + (x - mean) ** 2, 0) / (n - 1);
  return { mean, se: Math.sqrt(variance / n), n };
}

export interface AggregatedPoint extends AccuracyPsPoint {
  /** Runs averaged. */
  n: number;
  /** The aggregated key's values (e.g. the seeds). */
  over: string[];
}

/**
 * Groups paired points by every matrix key except `over` (plus the distance), and returns mean ± SE of
 * accuracy and PS per group (error bars only where n ≥ 2). `group` names the colour of each point.
 */
export function aggregateOver(
  pairs: ReadonlyArray<{ step: StepView; key: string; point: AccuracyPsPoint }>,
  over: string,
  group: (step: StepView, key: string) => string,
): AggregatedPoint[] {
  const groups = new Map<string, typeof pairs[number][]>();
  for (const p of pairs) {
    const keys = Object.keys(p.step.matrix ?? {}).filter((k) => k !== over);
    const id = JSON.stringify([keys.map((k) => [k, p.step.matrix![k]]), p.key]);
    groups.set(id, [...(groups.get(id) ?? []), p]);
  }
  const distances = new Set(pairs.map((p) => p.key));
  return [...groups.values()].map((members) => {
    const first = members[0];
    const keys = Object.keys(first.step.matrix ?? {}).filter((k) => k !== over);
    const name = keys.length ? groupName(first.step, keys) : first.step.step;
    const acc = meanAndStandardError(members.map((m) => m.point.accuracy));
    const ps = meanAndStandardError(members.map((m) => m.point.ps));
    return {
      label: distances.size > 1 && first.key ? `${name} · ${first.key}` : name,
      accuracy: acc.mean,
      ps: ps.mean,
      group: group(first.step, first.key),
      n: members.length,
      over: members.map((m) => JSON.stringify(m.step.matrix?.[over] ?? null)),
      ...(acc.se !== undefined ? { accuracyInterval: [acc.mean - acc.se, acc.mean + acc.se] as const } : {}),
      ...(ps.se !== undefined ? { psInterval: [ps.mean - ps.se, ps.mean + ps.se] as const } : {}),
    };
  });
}
