/**
 * Pareto analysis of PS against accuracy (Kumar §7, Table 1, Fig. 10; SPEC §3.3).
 *
 * - The frontier: the models no other model beats on both accuracy and PS (both maximised).
 * - Per sweep (group): p_max = the best PS within it and a(p_max) = the accuracy of that model.
 * - Table 1: the PS gain of the best model of a sweep over the sweep's default model (`baseline`).
 */
import { InputError } from '@percept/core';
import { paretoFrontier } from '../stats.js';

export interface ModelPoint {
  id: string;
  accuracy: number;
  ps: number;
  /** The sweep this model belongs to (e.g. "resnet200/width"); omitted for single models. */
  group?: string;
}

export interface GroupSummary {
  n: number;
  /** Id of the model reaching p_max (the first listed, on ties). */
  best: string;
  pMax: number;
  aPMax: number;
  baseline: string | null;
  baselinePS: number | null;
  /** pMax − baselinePS: Table 1's "improvement obtained by scaling down". */
  gain: number | null;
}

export interface ParetoAnalysis {
  frontier: ModelPoint[];
  groups: Record<string, GroupSummary>;
}

/** `baseline`: one id for every group, or a group → id map (groups absent from it get no gain). */
export function paretoAnalysis(points: readonly ModelPoint[], baseline?: string | Readonly<Record<string, string>>): ParetoAnalysis {
  if (points.length === 0) throw new InputError('pareto: option "points" is empty');
  const byId = new Map<string, ModelPoint>();
  points.forEach((p, i) => {
    if (typeof p.id !== 'string' || !p.id) throw new InputError(`pareto: points[${i}].id must be a non-empty string`);
    if (byId.has(p.id)) throw new InputError(`pareto: points[${i}].id "${p.id}" is listed twice`);
    for (const k of ['accuracy', 'ps'] as const) {
      if (typeof p[k] !== 'number' || !Number.isFinite(p[k])) throw new InputError(`pareto: points[${i}] ("${p.id}") field "${k}" must be a finite number, got ${JSON.stringify(p[k])}`);
    }
    byId.set(p.id, p);
  });
  const baselineOf = (g: string): string | null => (typeof baseline === 'string' ? baseline : baseline?.[g] ?? null);
  const all = [...new Set(typeof baseline === 'string' ? [baseline] : Object.values(baseline ?? {}))];
  for (const b of all) if (!byId.has(b)) throw new InputError(`pareto: baseline "${b}" is not the id of any point (ids: ${[...byId.keys()].join(', ')})`);

  const frontier = paretoFrontier(points.map((p) => ({ ...p, x: p.accuracy, y: p.ps })))
    .map(({ x: _x, y: _y, ...p }) => p as ModelPoint);
  const groups: Record<string, GroupSummary> = {};
  const members = new Map<string, ModelPoint[]>();
  for (const p of points) if (p.group !== undefined) (members.get(p.group) ?? members.set(p.group, []).get(p.group)!).push(p);
  for (const [g, list] of members) {
    const best = list.reduce((a, b) => (b.ps > a.ps ? b : a));
    const b = baselineOf(g);
    const baselinePS = b === null ? null : byId.get(b)!.ps;
    groups[g] = {
      n: list.length, best: best.id, pMax: best.ps, aPMax: best.accuracy,
      baseline: b, baselinePS, gain: baselinePS === null ? null : best.ps - baselinePS,
    };
  }
  return { frontier, groups };
}
