import { createHash } from 'node:crypto';
import type { JsonValue } from '../contracts.js';
import { PerceptError } from '../errors.js';

/**
 * Canonical JSON: object keys sorted by code unit, no undefined, no non-finite numbers. Two
 * equal values always serialise to the same bytes, which is what makes cache keys stable and
 * re-runs byte-identical.
 */
export function canonicalJson(value: unknown, options: { pretty?: boolean; what?: string } = {}): string {
  const indent = options.pretty ? 2 : 0;
  const out = write(value, '', 0, indent, options.what ?? 'value');
  return options.pretty ? `${out}\n` : out;
}

function write(value: unknown, path: string, depth: number, indent: number, what: string): string {
  const nl = indent ? '\n' : '';
  const pad = (d: number) => (indent ? ' '.repeat(d * indent) : '');
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) {
        throw new PerceptError(`${what} at "${path || '/'}" is ${value}; JSON cannot hold non-finite numbers.`, {
          hint: 'Return null or a string for missing or infinite values.',
        });
      }
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) {
        if (value.length === 0) return '[]';
        const items = value.map((v, i) => pad(depth + 1) + write(v, `${path}/${i}`, depth + 1, indent, what));
        return `[${nl}${items.join(`,${nl}`)}${nl}${pad(depth)}]`;
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) {
        throw new PerceptError(
          `${what} at "${path || '/'}" is a ${(value as object).constructor?.name ?? 'non-plain object'}, not plain JSON.`,
          { hint: 'Convert typed arrays with Array.from() and Dates with toISOString().' },
        );
      }
      const keys = Object.keys(value as object)
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .sort();
      if (keys.length === 0) return '{}';
      const sep = indent ? ': ' : ':';
      const items = keys.map(
        (k) =>
          pad(depth + 1) +
          JSON.stringify(k) +
          sep +
          write((value as Record<string, unknown>)[k], `${path}/${escapePointer(k)}`, depth + 1, indent, what),
      );
      return `{${nl}${items.join(`,${nl}`)}${nl}${pad(depth)}}`;
    }
    default:
      throw new PerceptError(`${what} at "${path || '/'}" is a ${typeof value}, not JSON.`);
  }
}

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** sha256 of the canonical (compact) JSON of a value. */
export function hashJson(value: unknown): string {
  return sha256(canonicalJson(value));
}

export function escapePointer(token: string): string {
  return token.replace(/~/g, '~0').replace(/\//g, '~1');
}

export function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

/** "/a/b~1c" -> ["a", "b/c"]; numeric tokens stay strings (callers know whether they index arrays). */
export function parsePointer(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer.slice(1).split('/').map(unescapePointer);
}

export function toPointer(path: ReadonlyArray<string | number>): string {
  return path.map((p) => `/${escapePointer(String(p))}`).join('');
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) {
    const bb = b as unknown[];
    return a.length === bb.length && a.every((v, i) => deepEqual(v, bb[i]));
  }
  const ka = Object.keys(a), kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => Object.hasOwn(b, k) && deepEqual((a as any)[k], (b as any)[k]));
}

export function isPlainObject(v: unknown): v is Record<string, JsonValue> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
