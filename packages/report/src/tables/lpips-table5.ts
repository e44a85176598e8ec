/**
 * The LPIPS Table 5 layout: per-subset 2AFC scores with the paper's aggregate columns, measured rows
 * first and the published rows in their own, explicitly labelled groups.
 */
import { InputError } from '@percept/core';
import {
  BAPPS_DISTORTION_SUBSETS,
  BAPPS_REAL_SUBSETS,
  BAPPS_SUBSETS,
  PUBLISHED_TABLE5,
} from '../published.js';
import type { CellValue, Table, TableColumn, TableRow } from './model.js';

/** One measured method: 2AFC ×100 per BAPPS subset (any subset may be absent). */
export interface SubsetScores {
  method: string;
  perSubset: Record<string, number>;
  /** 95% interval per subset (×100), shown under the value. */
  intervals?: Record<string, readonly [number, number]>;
  /** The job's recorded mean over exactly these subsets and its interval, shown in "All" when it is that mean. */
  overall?: { ps: number; ci?: readonly [number, number] };
}

export interface Table5Options {
  /** Append the LPIPS paper's rows as "published: <group>" groups (default true). */
  includePublished?: boolean;
  /** Only these published methods (by name, e.g. ["Human", "AlexNet"]); default all. */
  publishedMethods?: string[];
  /** Group name of the measured rows (default "measured"). */
  measuredGroup?: string;
  title?: string;
  digits?: number;
}

export const TABLE5_COLUMNS: readonly { key: string; label: string }[] = [
  { key: 'method', label: 'Method' },
  { key: 'traditional', label: 'Trad' },
  { key: 'cnn', label: 'CNN' },
  { key: 'distortionsAll', label: 'Distortions-All' },
  { key: 'superres', label: 'SuperRes' },
  { key: 'deblur', label: 'Deblur' },
  { key: 'color', label: 'Color' },
  { key: 'frameinterp', label: 'FrameInterp' },
  { key: 'realAll', label: 'Real-All' },
  { key: 'all', label: 'All' },
];

/** Mean of the listed subsets, or null unless every one is present (a partial mean would mislead). */
function meanOf(perSubset: Record<string, number>, subsets: readonly string[]): number | null {
  let sum = 0;
  for (const s of subsets) {
    const v = perSubset[s];
    if (typeof v !== 'number' || !Number.isFinite(v)) return null;
    sum += v;
  }
  return sum / subsets.length;
}

function withCi(v: number | undefined, ci: readonly [number, number] | undefined): CellValue {
  if (typeof v !== 'number') return null;
  return ci ? { value: v, ci } : v;
}

/** "All" with the job's interval when the job's mean is over exactly the six subsets. */
function allCell(m: SubsetScores): CellValue {
  const all = meanOf(m.perSubset, BAPPS_SUBSETS);
  if (all === null) return null;
  const sixOnly = Object.keys(m.perSubset).length === BAPPS_SUBSETS.length;
  return sixOnly && m.overall?.ci && Math.abs(m.overall.ps - all) < 1e-6 ? { value: all, ci: m.overall.ci } : all;
}

function checkScores(entry: SubsetScores, index: number): void {
  if (typeof entry.method !== 'string' || entry.method === '') {
    throw new InputError(`Table 5 input [${index}]: "method" must be a non-empty string`);
  }
  if (!entry.perSubset || typeof entry.perSubset !== 'object') {
    throw new InputError(`Table 5 input [${index}] (${entry.method}): "perSubset" must be an object of subset -> 2AFC×100`);
  }
  for (const [k, v] of Object.entries(entry.perSubset)) {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 100) {
      throw new InputError(
        `Table 5 input [${index}] (${entry.method}): perSubset.${k} must be a 2AFC score ×100 in [0, 100], got ${JSON.stringify(v)}`,
      );
    }
  }
}

/**
 * Builds Table 5. Aggregates follow the paper: Distortions-All = mean(traditional, cnn), Real-All =
 * mean of the four real-algorithm subsets, All = unweighted mean of the six (SPEC §1.4). Subsets the
 * table does not know (e.g. a synthetic set) are ignored here; they are visible in the per-subset chart.
 */
export function buildTable5(measured: SubsetScores[], options: Table5Options = {}): Table {
  const digits = options.digits ?? 1;
  measured.forEach(checkScores);
  const columns: TableColumn[] = TABLE5_COLUMNS.map((c) =>
    c.key === 'method' ? { ...c, align: 'left' } : { ...c, digits },
  );
  const rows: TableRow[] = measured.map((m) => ({
    group: options.measuredGroup ?? 'measured',
    cells: {
      method: m.method,
      ...Object.fromEntries(BAPPS_SUBSETS.map((s) => [s, withCi(m.perSubset[s], m.intervals?.[s])])),
      distortionsAll: meanOf(m.perSubset, BAPPS_DISTORTION_SUBSETS),
      realAll: meanOf(m.perSubset, BAPPS_REAL_SUBSETS),
      all: allCell(m),
    },
  }));
  const notes = ['Scores are BAPPS val 2AFC ×100; All = unweighted mean of the six subsets; – = not measured.'];
  if (options.includePublished ?? true) {
    const wanted = options.publishedMethods;
    if (wanted) {
      const known = PUBLISHED_TABLE5.map((r) => r.method);
      const unknown = wanted.filter((w) => !known.includes(w));
      if (unknown.length) {
        throw new InputError(`Table 5 option publishedMethods: unknown method(s) ${unknown.join(', ')}; known: ${known.join(', ')}`);
      }
    }
    for (const p of PUBLISHED_TABLE5) {
      if (wanted && !wanted.includes(p.method)) continue;
      rows.push({
        group: `published: ${p.group}`,
        // The printed aggregates are kept (not recomputed) because the paper rounded after averaging.
        cells: { method: p.method, ...p.perSubset, distortionsAll: p.distortionsAll, realAll: p.realAll, all: p.all },
      });
    }
    notes.push('Rows in "published" groups are copied from LPIPS (Zhang et al. 2018) Table 5, not measured by this run.');
  }
  return { title: options.title ?? 'BAPPS 2AFC scores (LPIPS Table 5 layout)', columns, rows, notes };
}
