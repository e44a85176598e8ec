import type { JsonValue } from '../contracts.js';
import { canonicalJson, escapePointer } from '../util/canonical.js';

/**
 * `${…}` expressions in step options. Three namespaces:
 *   ${env.NAME}  ${env.NAME:-default}   an environment variable
 *   ${matrix.key}                       the current matrix cell's value
 *   ${steps.<id>.outputs.<key>}         an output of an earlier step (of a matrix step: the list
 *                                       of its cells' values, in matrix order)
 *   ${steps.<id>.matching.outputs.<key>} the output of the one cell of matrix step <id> whose
 *                                       matrix agrees with this cell's on every key they share
 * `$${` is a literal `${`.
 */
export type Expression =
  | { kind: 'env'; name: string; default?: string }
  | { kind: 'matrix'; key: string }
  | { kind: 'steps'; step: string; output: string; matching?: true };

export interface ExpressionMatch {
  /** The text between `${` and `}`. */
  raw: string;
  /** Index of `$` in the string. */
  start: number;
  end: number;
  expr?: Expression;
  /** Why `raw` is not a valid expression. */
  error?: string;
}

const TOKEN = /\$\$\{|\$\{([^}]*)\}/g;
const ENV = /^env\.([A-Za-z_][A-Za-z0-9_]*)(?::-(.*))?$/s;
const MATRIX = /^matrix\.([A-Za-z_][A-Za-z0-9_-]*)$/;
const STEPS = /^steps\.([A-Za-z_][A-Za-z0-9_-]*)(\.matching)?\.outputs\.([A-Za-z_$][A-Za-z0-9_$-]*)$/;

/** A string consisting of exactly one expression: its value keeps its JSON type. */
export const WHOLE_EXPRESSION_PATTERN = '^\\$\\{[^}]+\\}$';

export function parseExpression(raw: string): Expression | string {
  const text = raw.trim();
  let m = ENV.exec(text);
  if (m) return m[2] === undefined ? { kind: 'env', name: m[1] } : { kind: 'env', name: m[1], default: m[2] };
  m = MATRIX.exec(text);
  if (m) return { kind: 'matrix', key: m[1] };
  m = STEPS.exec(text);
  if (m) return m[2] ? { kind: 'steps', step: m[1], output: m[3], matching: true } : { kind: 'steps', step: m[1], output: m[3] };
  return `"\${${raw}}" is not an expression; expected \${env.NAME}, \${env.NAME:-default}, \${matrix.key}, \${steps.<id>.outputs.<key>} or \${steps.<id>.matching.outputs.<key>}`;
}

export function scanString(s: string): ExpressionMatch[] {
  const out: ExpressionMatch[] = [];
  for (const m of s.matchAll(TOKEN)) {
    if (m[0] === '$${') continue;
    const parsed = parseExpression(m[1]);
    const base = { raw: m[1], start: m.index!, end: m.index! + m[0].length };
    out.push(typeof parsed === 'string' ? { ...base, error: parsed } : { ...base, expr: parsed });
  }
  return out;
}

export function isWholeExpression(s: string): boolean {
  const matches = scanString(s);
  return matches.length === 1 && matches[0].start === 0 && matches[0].end === s.length;
}

/** Every expression inside a JSON value, with the pointer of the string holding it. */
export function collectExpressions(value: unknown, pointer: string): Array<{ pointer: string; match: ExpressionMatch }> {
  const out: Array<{ pointer: string; match: ExpressionMatch }> = [];
  const walk = (v: unknown, p: string) => {
    if (typeof v === 'string') for (const match of scanString(v)) out.push({ pointer: p, match });
    else if (Array.isArray(v)) v.forEach((x, i) => walk(x, `${p}/${i}`));
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) walk(x, `${p}/${escapePointer(k)}`);
  };
  walk(value, pointer);
  return out;
}

export type Resolver = (expr: Expression, pointer: string) => JsonValue;

/**
 * Substitutes every expression. A string that is exactly one expression becomes the referenced
 * value with its JSON type; an expression inside a longer string is stringified (strings as they
 * are, anything else as canonical JSON).
 */
export function interpolate(value: JsonValue, resolve: Resolver, pointer = ''): JsonValue {
  if (typeof value === 'string') {
    const matches = scanString(value);
    if (matches.length === 1 && matches[0].start === 0 && matches[0].end === value.length && matches[0].expr) {
      return resolve(matches[0].expr, pointer);
    }
    let out = '';
    let last = 0;
    for (const m of value.matchAll(TOKEN)) {
      out += value.slice(last, m.index!);
      last = m.index! + m[0].length;
      if (m[0] === '$${') { out += '${'; continue; }
      const parsed = parseExpression(m[1]);
      if (typeof parsed === 'string') throw new Error(parsed);
      const v = resolve(parsed, pointer);
      out += typeof v === 'string' ? v : canonicalJson(v);
    }
    return out + value.slice(last);
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, resolve, `${pointer}/${i}`));
  if (value && typeof value === 'object') {
    const out: Record<string, JsonValue> = {};
    for (const [k, v] of Object.entries(value)) out[k] = interpolate(v, resolve, `${pointer}/${escapePointer(k)}`);
    return out;
  }
  return value;
}
