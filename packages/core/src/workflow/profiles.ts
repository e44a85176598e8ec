import { readFileSync } from 'node:fs';
import { parseTree, findNodeAtLocation, getNodeValue } from 'jsonc-parser';
import { ExitCode, PerceptError } from '../errors.js';
import { isPlainObject } from '../util/canonical.js';
import { didYouMean } from '../suggest.js';

/**
 * A named set of overrides a workflow carries for itself, e.g. a `smoke` profile that swaps the
 * paper's ImageNet-scale settings for tiny models on synthetic data. Keys are dotted paths from
 * the workflow root, exactly like `--set`; values are JSON.
 */
export interface WorkflowProfile {
  description?: string;
  set: Record<string, unknown>;
}

/** The profile names a workflow text declares (empty when it has none or does not parse). */
export function profileNames(text: string): string[] {
  const profiles = readProfiles(text);
  return profiles ? Object.keys(profiles) : [];
}

function readProfiles(text: string): Record<string, unknown> | undefined {
  const root = parseTree(text, [], { allowTrailingComma: true, disallowComments: false });
  if (!root) return undefined;
  const node = findNodeAtLocation(root, ['profiles']);
  if (!node) return undefined;
  const value: unknown = getNodeValue(node);
  return isPlainObject(value) ? value : undefined;
}

/**
 * Turns profile `name` of a workflow into `--set` arguments, to be applied (by applyOverrides)
 * BEFORE the user's own `--set`s so that an explicit `--set` wins over the profile.
 * Throws a usage error naming the file and the profiles it does declare when `name` is unknown.
 */
export function profileOverrides(file: string, text: string, name: string): string[] {
  const profiles = readProfiles(text) ?? {};
  const known = Object.keys(profiles);
  const profile = profiles[name];
  if (profile === undefined) {
    const hint = didYouMean(name, known);
    throw new PerceptError(
      `--profile "${name}": ${file} declares ${known.length ? `the profiles ${known.map((k) => `"${k}"`).join(', ')}` : 'no "profiles"'}${hint ? `; ${hint}` : '.'}`,
      { exitCode: ExitCode.usage },
    );
  }
  if (!isPlainObject(profile) || !isPlainObject(profile.set)) {
    throw new PerceptError(`--profile "${name}": ${file} at /profiles/${name}/set: expected an object of "dotted.path": value overrides.`, {
      exitCode: ExitCode.usage,
    });
  }
  // JSON.stringify round-trips through applyOverrides' JSON.parse, so strings stay strings.
  return Object.entries(profile.set).map(([path, value]) => `${path}=${JSON.stringify(value)}`);
}

/**
 * The overrides to apply to the workflow at `file` for `--profile name` plus explicit `--set`s,
 * profile first (so the explicit ones win). Without a profile, just the `--set`s. An unreadable
 * file yields only the `--set`s: reading the workflow reports that error with its own message.
 */
export function overridesWithProfile(file: string, name: string | undefined, sets: readonly string[] | undefined): string[] {
  if (name === undefined) return [...(sets ?? [])];
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [...(sets ?? [])];
  }
  return [...profileOverrides(file, text, name), ...(sets ?? [])];
}
