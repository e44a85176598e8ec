/**
 * Names for scored series. Charts need short, distinct labels (legends truncate long ones and a reader
 * matches colours by them); tables carry the full description next to the same short label, so a
 * legend entry can always be looked up.
 */
import type { JsonValue } from '@percept/core';
import type { StepView } from './read-run.js';

/** One matrix value as a word: scalars as written, `{ use: "alexnet", … }` by its `use`/`name`. */
function matrixWord(v: JsonValue): string {
  if (v === null) return 'null';
  if (typeof v !== 'object') return String(v);
  if (!Array.isArray(v)) {
    for (const k of ['use', 'name', 'id']) if (typeof v[k] === 'string') return v[k] as string;
  }
  const s = JSON.stringify(v);
  return s.length > 24 ? `${s.slice(0, 23)}…` : s;
}

/** "alexnet/onnx" for a cell with matrix { backbone: alexnet, backend: onnx }; the step id without a matrix. */
export function cellShortLabel(step: Pick<StepView, 'step' | 'cell' | 'matrix'>): string {
  const values = step.matrix ? Object.values(step.matrix) : [];
  if (values.length) return values.map(matrixWord).join('/');
  return step.cell || step.step;
}

/** "backbone=alexnet, backend=onnx" (the matrix written out), or "" for a step without a matrix. */
export function matrixDescription(step: Pick<StepView, 'matrix'>): string {
  if (!step.matrix) return '';
  return Object.entries(step.matrix)
    .map(([k, v]) => `${k}=${typeof v === 'object' && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(', ');
}

/**
 * Makes labels unique in order of appearance: a label shared by cells of different steps gets the step
 * as a prefix ("networks: alexnet/onnx · lpips"); anything still repeated gets " #2", " #3".
 */
export function uniqueLabels<T extends { label: string; step: { step: string } }>(items: T[]): T[] {
  const count = (xs: string[], x: string) => xs.filter((y) => y === x).length;
  const first = items.map((i) => i.label);
  const second = items.map((i, k) => (count(first, first[k]) > 1 && !i.label.startsWith(`${i.step.step}`) ? `${i.step.step}: ${i.label}` : i.label));
  const seen = new Map<string, number>();
  return items.map((item, k) => {
    const n = (seen.get(second[k]) ?? 0) + 1;
    seen.set(second[k], n);
    return { ...item, label: count(second, second[k]) > 1 && n > 1 ? `${second[k]} #${n}` : second[k] };
  });
}
