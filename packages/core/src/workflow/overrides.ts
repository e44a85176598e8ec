import { applyEdits, modify } from 'jsonc-parser';
import { ExitCode, PerceptError } from '../errors.js';

/**
 * Applies `--set path=value` overrides to a workflow's text, so that errors still point into the
 * file: the path is dotted from the workflow root (`steps.score.with.batch=8`); the value is JSON
 * when it parses as JSON, else a plain string.
 */
export function applyOverrides(text: string, sets: readonly string[]): string {
  let out = text;
  for (const s of sets) {
    const eq = s.indexOf('=');
    if (eq <= 0) throw new PerceptError(`--set "${s}": expected path=value, e.g. steps.score.with.batch=8.`, { exitCode: ExitCode.usage });
    const path = s.slice(0, eq).split('.');
    if (path.some((p) => p === '')) throw new PerceptError(`--set "${s}": the path has an empty segment.`, { exitCode: ExitCode.usage });
    const raw = s.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // Not JSON: the value is the string as typed.
    }
    out = applyEdits(out, modify(out, path, value, { formattingOptions: { insertSpaces: true, tabSize: 2 } }));
  }
  return out;
}
