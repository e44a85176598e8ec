/**
 * Which cells make up a sweep (a line of PS, entropy or margin against one matrix key), and how cells
 * are named by some of their matrix values (series and colour groups).
 *
 * Rules (docs/reports.md, "Sweeps"):
 * 1. A cell is in the sweep of key K when its matrix has K with a number (or a numeric string such as
 *    a checkpoint "0112590"; with `parse: "last-number"`, the last number in a name: resnet50 -> 50),
 *    and it agrees with `where` on the keys it has (a `where` value may be a list of allowed values).
 * 2. Series: the `series` keys, default the matrix keys other than K whose values are not numeric
 *    (model names, crops, `skip`); one line per combination.
 * 3. Within a series, another numeric key whose value is fixed by K (e.g. the final checkpoint of each
 *    class-subset model) travels with K. Any remaining keys (e.g. ViT `depth` in a width sweep) cut the
 *    series into slices; the slice with the most distinct K values is the sweep (ties: the slice with
 *    the highest values, e.g. the final checkpoint). So a ViT width sweep keeps depth at its default
 *    (the depth sweep's cells share only width 1) and a depth sweep keeps width 1.
 * 4. A series with fewer than `minPoints` (default 2) values is not a sweep and is left out.
 * Every cell left out is returned with its reason, for the report's notes.
 */
import type { JsonValue } from '@percept/core';
import type { StepView } from './read-run.js';

export type WhereValue = JsonValue | JsonValue[];

export interface SweepSelection {
  key: string;
  series?: string[];
  where?: Record<string, WhereValue>;
  parse?: 'number' | 'last-number';
  minPoints?: number;
}

export interface SweepCell<T> {
  item: T;
  x: number;
  series: string;
}

const isNumeric = (v: JsonValue | undefined) => typeof v === 'number' || (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v)));

/** The value of a matrix key as a number, or undefined. */
export function sweepValue(v: JsonValue | undefined, parse: SweepSelection['parse'] = 'number'): number | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && isNumeric(v)) return Number(v);
  if (parse === 'last-number' && typeof v === 'string') {
    const all = v.match(/\d+(?:\.\d+)?/g);
    return all ? Number(all[all.length - 1]) : undefined;
  }
  return undefined;
}

/** "resnet6" for a name, "skip=false" / "width=0.25" for booleans and numbers (so the key is readable). */
export function valueWord(key: string, v: JsonValue | undefined): string {
  if (v === undefined) return `no ${key}`;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return `${key}=${String(v)}`;
  if (!Array.isArray(v)) for (const k of ['use', 'name', 'id']) if (typeof v[k] === 'string') return v[k] as string;
  return `${key}=${JSON.stringify(v)}`;
}

/** A name from some matrix values of a cell, e.g. "resnet6/skip=false". */
export function groupName(step: Pick<StepView, 'matrix'>, keys: readonly string[]): string {
  return keys.map((k) => valueWord(k, step.matrix?.[k])).join('/');
}

/** Does the cell agree with `where` on every key it has? */
export function matchesWhere(step: Pick<StepView, 'matrix'>, where: Record<string, WhereValue> | undefined): boolean {
  if (!where) return true;
  return Object.entries(where).every(([k, want]) => {
    if (!step.matrix || !(k in step.matrix)) return true;
    const have = JSON.stringify(step.matrix[k]);
    const allowed = Array.isArray(want) ? want : [want];
    return allowed.some((w) => JSON.stringify(w) === have || (isNumeric(w) && isNumeric(step.matrix![k]) && Number(w) === Number(step.matrix![k])));
  });
}

export function selectSweep<T extends { step: StepView; key?: string }>(
  items: readonly T[],
  sel: SweepSelection,
): { cells: SweepCell<T>[]; left: Array<{ item: T; reason: string }>; seriesKeys: string[] } {
  const left: Array<{ item: T; reason: string }> = [];
  const inSweep: Array<{ item: T; x: number }> = [];
  for (const item of items) {
    const m = item.step.matrix;
    if (!m || !(sel.key in m)) continue; // cells of other figures: not mentioned
    if (!matchesWhere(item.step, sel.where)) continue;
    const x = sweepValue(m[sel.key], sel.parse);
    if (x === undefined) left.push({ item, reason: `${sel.key}=${JSON.stringify(m[sel.key])} is not a number` });
    else inSweep.push({ item, x });
  }
  const keysOf = (i: T) => Object.keys(i.step.matrix ?? {}).filter((k) => k !== sel.key);
  const allKeys = [...new Set(inSweep.flatMap((c) => keysOf(c.item)))];
  const seriesKeys = sel.series ?? allKeys.filter((k) => inSweep.some((c) => c.item.step.matrix![k] !== undefined && !isNumeric(c.item.step.matrix![k])));
  const distances = new Set(inSweep.map((c) => c.item.key ?? ''));
  const seriesOf = (i: T) => {
    const name = groupName(i.step, seriesKeys);
    const d = distances.size > 1 ? i.key ?? '' : '';
    return [name, d].filter(Boolean).join(' · ') || 'measured';
  };

  const bySeries = new Map<string, Array<{ item: T; x: number }>>();
  for (const c of inSweep) bySeries.set(seriesOf(c.item), [...(bySeries.get(seriesOf(c.item)) ?? []), c]);
  const cells: SweepCell<T>[] = [];
  const minPoints = sel.minPoints ?? 2;
  for (const [series, members] of bySeries) {
    // Keys that vary independently of K cut the series into slices; keys fixed by K travel with it.
    const others = [...new Set(members.flatMap((c) => keysOf(c.item)))].filter((k) => !seriesKeys.includes(k));
    const word = (c: { item: T }, k: string) => JSON.stringify(c.item.step.matrix?.[k] ?? null);
    const slicing = others.filter((k) => {
      const seen = new Map<number, string>();
      return members.some((c) => {
        const prev = seen.get(c.x);
        seen.set(c.x, word(c, k));
        return prev !== undefined && prev !== word(c, k);
      });
    });
    const slices = new Map<string, Array<{ item: T; x: number }>>();
    for (const c of members) {
      const s = JSON.stringify(slicing.map((k) => c.item.step.matrix?.[k] ?? null));
      slices.set(s, [...(slices.get(s) ?? []), c]);
    }
    const distinct = (cs: Array<{ x: number }>) => new Set(cs.map((c) => c.x)).size;
    const order = (a: string, b: string) => {
      const [va, vb] = [JSON.parse(a) as JsonValue[], JSON.parse(b) as JsonValue[]];
      for (let i = 0; i < va.length; i++) {
        const [na, nb] = [sweepValue(va[i]), sweepValue(vb[i])];
        const c = na !== undefined && nb !== undefined ? na - nb : String(va[i]).localeCompare(String(vb[i]));
        if (c) return c;
      }
      return 0;
    };
    const [bestKey, best] = [...slices].reduce((a, b) => (distinct(b[1]) > distinct(a[1]) || (distinct(b[1]) === distinct(a[1]) && order(b[0], a[0]) > 0) ? b : a));
    for (const [k, cs] of slices) {
      if (k === bestKey) continue;
      const at = slicing.map((s, i) => `${s}=${JSON.stringify((JSON.parse(k) as JsonValue[])[i])}`).join(', ');
      for (const c of cs) left.push({ item: c.item, reason: `series ${series}: another slice (${at})` });
    }
    if (distinct(best) < minPoints) {
      for (const c of best) left.push({ item: c.item, reason: `series ${series} has ${distinct(best)} ${sel.key} value(s), fewer than ${minPoints}` });
      continue;
    }
    cells.push(...best.map((c) => ({ item: c.item, x: c.x, series })));
  }
  return { cells, left, seriesKeys };
}
