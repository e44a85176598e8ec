import { sep } from 'node:path';
import type { JsonValue } from '../contracts.js';

/**
 * Artifacts must not contain the absolute path of the run they were made in: the cache copies
 * them into other runs, and re-runs must be byte-identical. So a string that is a path inside the
 * cell's own directory is stored as `${cell}/…`, and one inside the run directory as `${run}/…`;
 * they are expanded again whenever values are handed to a job.
 */
export const CELL_TOKEN = '${cell}';
export const RUN_TOKEN = '${run}';

function mapStrings(v: JsonValue, f: (s: string) => string): JsonValue {
  if (typeof v === 'string') return f(v);
  if (Array.isArray(v)) return v.map((x) => mapStrings(x, f));
  if (v && typeof v === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(v)) out[k] = mapStrings(x, f);
    return out;
  }
  return v;
}

function under(s: string, dir: string): string | undefined {
  if (s === dir) return '';
  if (s.startsWith(dir + sep) || s.startsWith(dir + '/')) return s.slice(dir.length).split(sep).join('/');
  return undefined;
}

/** Absolute paths -> tokens (for writing results and computing keys). */
export function toPortable<T extends JsonValue>(v: T, dirs: { cellDir?: string; runDir: string }): T {
  return mapStrings(v, (s) => {
    if (dirs.cellDir !== undefined) {
      const rest = under(s, dirs.cellDir);
      if (rest !== undefined) return CELL_TOKEN + rest;
    }
    const rest = under(s, dirs.runDir);
    return rest !== undefined ? RUN_TOKEN + rest : s;
  }) as T;
}

/** `${cell}/…` -> `${run}/<cell dir>/…`: a stored result as seen from another cell of the same run. */
export function cellToRun<T extends JsonValue>(v: T, cellRelDir: string): T {
  return mapStrings(v, (s) => (s.startsWith(CELL_TOKEN) ? `${RUN_TOKEN}/${cellRelDir}${s.slice(CELL_TOKEN.length)}` : s)) as T;
}

/** Tokens -> absolute paths (for handing values to a job or a reader). */
export function fromPortable<T extends JsonValue>(v: T, dirs: { cellDir?: string; runDir: string }): T {
  return mapStrings(v, (s) => {
    if (dirs.cellDir !== undefined && s.startsWith(CELL_TOKEN)) return dirs.cellDir + fixSep(s.slice(CELL_TOKEN.length));
    if (s.startsWith(RUN_TOKEN)) return dirs.runDir + fixSep(s.slice(RUN_TOKEN.length));
    return s;
  }) as T;
}

function fixSep(rest: string): string {
  return sep === '/' ? rest : rest.split('/').join(sep);
}
