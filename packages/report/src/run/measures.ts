/**
 * Reads the analysis jobs' results exactly as they write them: the distortion margin of
 * `distortion-sensitivity` (packages/distortions/src/sensitivity.ts) and the normalised activation
 * entropy of `activation-entropy` (packages/dataset-bapps/src/analysis/activation-entropy.ts).
 */
import type { JsonValue } from '@percept/core';
import type { StepView } from './read-run.js';

type Obj = Record<string, JsonValue>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const num = (v: JsonValue | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/** One distance's pooled margin in a distortion-sensitivity cell (mean distances over unanimous triplets). */
export interface MarginFinding {
  step: StepView;
  /** The distance id, e.g. "local". */
  key: string;
  /** Mean d(ref, farther patch). */
  far: number;
  /** Mean d(ref, nearer patch). */
  near: number;
  /** far − near. */
  margin: number;
  /** Unanimous triplets pooled. */
  n?: number;
}

/**
 * `{ subsets, unanimous, distances: { <id>: { pooled: { far, near, margin, n } } } }`. A distance whose
 * pooled margin is null (no unanimous triplet) gives no finding.
 */
export function findMargins(step: StepView): MarginFinding[] {
  const o = step.outputs;
  if (!o || !isObj(o.unanimous) || !isObj(o.distances)) return [];
  return Object.entries(o.distances).flatMap(([key, d]) => {
    if (!isObj(d) || !isObj(d.pooled)) return [];
    const { far, near, margin, n } = d.pooled;
    if (!num(far) || !num(near) || !num(margin)) return [];
    return [{ step, key, far, near, margin, ...(num(n) ? { n } : {}) }];
  });
}

/** A cell's normalised entropy: the mean over taps and each tap (reduction stage) pooled over subsets. */
export interface EntropyFinding {
  step: StepView;
  entropy: number;
  /** Tap names in the job's order. */
  taps: string[];
  byTap: Record<string, number>;
}

/** `{ taps, entropy, byTap, bySubset, counts }` (the activation-entropy job's result). */
export function findEntropy(step: StepView): EntropyFinding | undefined {
  const o = step.outputs;
  if (!o || !num(o.entropy) || !isObj(o.byTap) || !Array.isArray(o.taps)) return undefined;
  const byTap: Record<string, number> = {};
  for (const [t, v] of Object.entries(o.byTap)) if (num(v)) byTap[t] = v;
  const taps = o.taps.filter((t): t is string => typeof t === 'string' && byTap[t] !== undefined);
  return { step, entropy: o.entropy, taps, byTap };
}
