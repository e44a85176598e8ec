import type { JsonValue } from '../contracts.js';
import { canonicalJson, deepEqual, sha256 } from '../util/canonical.js';

export type MatrixCell = Record<string, JsonValue>;

export interface MatrixSpec {
  include?: MatrixCell[];
  exclude?: MatrixCell[];
  [key: string]: JsonValue[] | MatrixCell[] | undefined;
}

/** The matrix's own axes (everything but include/exclude), in file order. */
export function matrixAxes(matrix: MatrixSpec): Array<[string, JsonValue[]]> {
  return Object.entries(matrix).filter(([k]) => k !== 'include' && k !== 'exclude') as Array<[string, JsonValue[]]>;
}

/** Every key a cell can have: the axes plus keys that only `include` adds. */
export function matrixKeys(matrix: MatrixSpec): string[] {
  const keys = matrixAxes(matrix).map(([k]) => k);
  for (const inc of matrix.include ?? []) for (const k of Object.keys(inc)) if (!keys.includes(k)) keys.push(k);
  return keys;
}

/**
 * Expands a matrix, GitHub Actions style:
 * 1. the cartesian product of the axes, the first axis varying slowest (file order);
 * 2. drop every cell that `exclude` matches (an exclude object matches when all its pairs equal the cell's);
 * 3. for each `include` object: add its pairs to every cell from step 2 where none of them would
 *    overwrite one of the cell's original axis values (pairs added by an earlier include may be
 *    overwritten); when it fits no such cell, append it as a new cell.
 */
export function expandMatrix(matrix: MatrixSpec): MatrixCell[] {
  const axes = matrixAxes(matrix);
  let cells: MatrixCell[] = axes.length ? [{}] : [];
  for (const [key, values] of axes) {
    const next: MatrixCell[] = [];
    for (const cell of cells) for (const v of values) next.push({ ...cell, [key]: v });
    cells = next;
  }
  const excludes = matrix.exclude ?? [];
  cells = cells.filter((cell) => !excludes.some((ex) => Object.entries(ex).every(([k, v]) => deepEqual(cell[k], v))));
  const originals = cells.map((c) => ({ ...c }));
  const appended: MatrixCell[] = [];
  for (const inc of matrix.include ?? []) {
    let fitted = false;
    cells.forEach((cell, i) => {
      const original = originals[i];
      const overwrites = Object.entries(inc).some(([k, v]) => Object.hasOwn(original, k) && !deepEqual(original[k], v));
      if (!overwrites) {
        Object.assign(cell, inc);
        fitted = true;
      }
    });
    if (!fitted) appended.push({ ...inc });
  }
  return [...cells, ...appended];
}

/**
 * A file-system-safe, readable directory name for a cell: `backbone=alexnet,seed=1`. Names that
 * would be long or collide get a short hash of the cell instead of being truncated ambiguously.
 */
export function cellKeys(cells: MatrixCell[]): string[] {
  const keys = cells.map((cell) =>
    Object.entries(cell)
      .map(([k, v]) => `${k}=${typeof v === 'string' ? v : canonicalJson(v)}`)
      .join(',')
      .replace(/[^A-Za-z0-9._=,+-]/g, '_'),
  );
  const seen = new Map<string, number>();
  for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
  return keys.map((k, i) => {
    if (k.length <= 96 && seen.get(k) === 1 && k !== '' && !k.startsWith('.')) return k;
    const h = sha256(canonicalJson(cells[i])).slice(0, 12);
    return `${k.slice(0, 80).replace(/^\./, '_')}~${h}`;
  });
}

/** A short label for progress lines: the cell's values joined by "/". */
export function cellLabel(cell: MatrixCell | null): string {
  if (!cell) return '';
  return Object.values(cell)
    .map((v) => (typeof v === 'string' ? v : canonicalJson(v)))
    .join('/');
}
