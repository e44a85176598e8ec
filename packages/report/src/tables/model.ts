/**
 * A small, format-neutral table model. Builders (e.g. the LPIPS Table 5 layout) produce it and the
 * renderers turn it into Markdown, CSV, JSON or HTML, so every table is written once.
 */
import { InputError } from '@percept/core';

/** A measured value with its 95% confidence interval, e.g. a 2AFC score and its bootstrap interval. */
export interface EstimateCell {
  value: number;
  ci?: readonly [number, number];
}

export type CellValue = string | number | null | EstimateCell;

export function isEstimate(v: unknown): v is EstimateCell {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && typeof (v as EstimateCell).value === 'number';
}

export interface TableColumn {
  /** Key into each row's `cells`. */
  key: string;
  /** Header text. */
  label: string;
  /** Fixed number of decimals for numbers (default: shown as given). */
  digits?: number;
  /** Text alignment in Markdown/HTML; numbers default to right. */
  align?: 'left' | 'right' | 'center';
}

export interface TableRow {
  /** Rows with the same group are shown together under that group's name. */
  group?: string;
  cells: Record<string, CellValue>;
}

export interface Table {
  title?: string;
  columns: TableColumn[];
  rows: TableRow[];
  /** Shown under the table: sources, what "–" means, which rows are published. */
  notes?: string[];
}

/** What an empty cell looks like in text formats. */
export const MISSING = '–';

/** Checks that a table is well-formed before rendering, naming the offending column or row. */
export function validateTable(table: Table): void {
  if (!Array.isArray(table.columns) || table.columns.length === 0) {
    throw new InputError(`table${table.title ? ` "${table.title}"` : ''}: "columns" must be a non-empty array`);
  }
  const keys = new Set<string>();
  for (const [i, c] of table.columns.entries()) {
    if (typeof c.key !== 'string' || c.key === '') throw new InputError(`table column ${i}: "key" must be a non-empty string`);
    if (keys.has(c.key)) throw new InputError(`table column ${i}: duplicate key "${c.key}"`);
    keys.add(c.key);
  }
  for (const [i, r] of table.rows.entries()) {
    for (const [k, v] of Object.entries(r.cells)) {
      if (!keys.has(k)) {
        throw new InputError(`table row ${i}: cell "${k}" has no column (columns: ${[...keys].join(', ')})`);
      }
      if (v !== null && typeof v !== 'string' && typeof v !== 'number' && !isEstimate(v)) {
        throw new InputError(`table row ${i}: cell "${k}" must be a string, number, { value, ci } or null, got ${JSON.stringify(v)}`);
      }
      const ci = isEstimate(v) ? v.ci : undefined;
      if (ci !== undefined && !(Array.isArray(ci) && ci.length === 2 && ci.every(Number.isFinite) && ci[0] <= ci[1])) {
        throw new InputError(`table row ${i}: cell "${k}" has ci ${JSON.stringify(ci)}; expected [low, high] finite numbers with low <= high`);
      }
    }
  }
}

/** The text of one cell as every text format shows it. */
export function formatCell(value: CellValue | undefined, column: TableColumn): string {
  if (value === null || value === undefined) return MISSING;
  if (isEstimate(value)) {
    const v = formatNumber(value.value, column);
    return value.ci ? `${v} ${formatInterval(value.ci, column)}` : v;
  }
  if (typeof value === 'number') return formatNumber(value, column);
  return value;
}

export function formatNumber(value: number, column: Pick<TableColumn, 'digits'>): string {
  if (!Number.isFinite(value)) return String(value);
  return column.digits === undefined ? String(value) : value.toFixed(column.digits);
}

/** "[95.8, 99.6]": a percentile interval need not be symmetric, so both ends are shown. */
export function formatInterval(ci: readonly [number, number], column: Pick<TableColumn, 'digits'>): string {
  return `[${formatNumber(ci[0], column)}, ${formatNumber(ci[1], column)}]`;
}

/** True when the column holds numbers (for default alignment). */
export function isNumericColumn(table: Table, column: TableColumn): boolean {
  return table.rows.some((r) => typeof r.cells[column.key] === 'number' || isEstimate(r.cells[column.key]));
}
