/**
 * The generic per-subset table: one column per subset actually scored (any dataset, e.g. the
 * quickstart's synthetic photometric/noise/blur/spatial/compression sets), plus their mean, each with
 * its 95% confidence interval when the job recorded one. Unlike the LPIPS Table 5 layout it never
 * shows published numbers, because those were measured on BAPPS and would not be comparable.
 */
import { InputError } from '@percept/core';
import type { Interval } from '../charts/common.js';
import { BAPPS_SUBSETS } from '../published.js';
import type { CellValue, Table, TableColumn, TableRow } from './model.js';

export interface SubsetTableEntry {
  /** Short series label, the same as in the charts' legends. */
  label: string;
  /** Full description: step, matrix values, distance. */
  description?: string;
  /** Score per subset (×100). */
  perSubset: Record<string, number>;
  /** 95% confidence interval per subset (×100). */
  intervals?: Record<string, Interval>;
  /** The mean over all scored subsets as the job recorded it, with its interval. */
  overall?: { ps: number; ci?: Interval };
}

/** A row of reference values that is not a method, e.g. the ceiling implied by the judges. */
export interface SubsetTableReference {
  label: string;
  description?: string;
  group: string;
  perSubset: Record<string, number>;
}

export interface SubsetTableOptions {
  /** Column order; default: the order subsets first appear in the entries. */
  subsets?: string[];
  title?: string;
  /** What the numbers are, for the note under the table (default "2AFC score ×100"). */
  measure?: string;
  /** Header of the mean column (default "Mean"). */
  meanLabel?: string;
  digits?: number;
  references?: SubsetTableReference[];
  notes?: string[];
}

/** Subsets in order of first appearance; BAPPS names keep the paper's order among themselves. */
export function subsetOrder(maps: Array<Record<string, unknown>>): string[] {
  const seen: string[] = [];
  for (const m of maps) for (const k of Object.keys(m)) if (!seen.includes(k)) seen.push(k);
  const bapps = BAPPS_SUBSETS.filter((s) => seen.includes(s));
  return bapps.length === seen.length ? [...bapps] : seen;
}

function check(entry: SubsetTableEntry, i: number, table: string): void {
  if (typeof entry.label !== 'string' || entry.label === '') throw new InputError(`${table} input [${i}]: "label" must be a non-empty string`);
  for (const [k, v] of Object.entries(entry.perSubset ?? {})) {
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new InputError(`${table} input [${i}] (${entry.label}): perSubset.${k} must be a finite number, got ${JSON.stringify(v)}`);
    }
  }
}

const same = (a: number, b: number) => Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a));

/**
 * Mean over the table's subsets, or null when the row lacks one (a mean over fewer subsets would not
 * be comparable). The job's recorded mean and interval are used when they are that same mean.
 */
function meanCell(e: SubsetTableEntry, subsets: string[]): CellValue {
  if (!subsets.every((s) => typeof e.perSubset[s] === 'number')) return null;
  const mean = subsets.reduce((a, s) => a + e.perSubset[s], 0) / subsets.length;
  const recordedSameSet = Object.keys(e.perSubset).length === subsets.length;
  if (e.overall && recordedSameSet && same(e.overall.ps, mean)) return e.overall.ci ? { value: mean, ci: e.overall.ci } : mean;
  return mean;
}

export function buildPerSubsetTable(entries: SubsetTableEntry[], options: SubsetTableOptions = {}): Table {
  const name = options.title ?? 'Per-subset table';
  entries.forEach((e, i) => check(e, i, name));
  const subsets = options.subsets ?? subsetOrder(entries.map((e) => e.perSubset));
  const digits = options.digits ?? 1;
  const refs = options.references ?? [];
  const hasDescription = entries.some((e) => e.description) || refs.some((r) => r.description);
  const columns: TableColumn[] = [
    { key: 'label', label: 'Series', align: 'left' },
    ...(hasDescription ? [{ key: 'description', label: 'Source', align: 'left' as const }] : []),
    ...subsets.map((s) => ({ key: `s:${s}`, label: s, digits })),
    { key: 'mean', label: options.meanLabel ?? 'Mean', digits },
  ];
  const group = refs.length ? 'measured' : undefined;
  const rows: TableRow[] = entries.map((e) => ({
    ...(group ? { group } : {}),
    cells: {
      label: e.label,
      ...(hasDescription ? { description: e.description ?? null } : {}),
      ...Object.fromEntries(
        subsets.map((s) => {
          const v = e.perSubset[s];
          const ci = e.intervals?.[s];
          return [`s:${s}`, typeof v === 'number' ? (ci ? { value: v, ci } : v) : null];
        }),
      ),
      mean: meanCell(e, subsets),
    },
  }));
  for (const r of refs) {
    rows.push({
      group: r.group,
      cells: {
        label: r.label,
        ...(hasDescription ? { description: r.description ?? null } : {}),
        ...Object.fromEntries(subsets.map((s) => [`s:${s}`, r.perSubset[s] ?? null])),
        mean: meanCell({ label: r.label, perSubset: r.perSubset }, subsets),
      },
    });
  }
  const measure = options.measure ?? '2AFC score ×100';
  const anyCi = entries.some((e) => e.intervals && Object.keys(e.intervals).length) || entries.some((e) => e.overall?.ci);
  const notes = [
    `${measure} per subset; ${options.meanLabel ?? 'Mean'} = unweighted mean of the ${subsets.length} subsets; – = not measured.` +
      (anyCi ? ' [low, high] = 95% bootstrap confidence interval recorded by the job.' : ''),
    ...(options.notes ?? []),
  ];
  return { title: name, columns, rows, notes };
}
