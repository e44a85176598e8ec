import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { assetsDir, perceptHome } from '../assets.js';
import type { StepCondition } from '../workflow/types.js';

export interface ConditionOutcome {
  met: boolean;
  /** Why the step runs or is skipped, for the manifest and the CLI. */
  reason: string;
}

/**
 * Evaluates a step's `if` at planning time. Every listed requirement must hold:
 * - `assets`: files under PERCEPT_ASSETS (or ../shared/assets), or under the download cache
 *   PERCEPT_HOME, e.g. "weights/alexnet-features.safetensors";
 * - `files`: paths relative to the workflow's folder;
 * - `env`: environment variables that are set and not empty.
 * A skipped step is recorded as skipped with this reason, never silently dropped.
 */
export function evaluateCondition(cond: StepCondition, baseDir: string, env: NodeJS.ProcessEnv): ConditionOutcome {
  const missing: string[] = [];
  const assets = assetsDir(env);
  const home = perceptHome(env);
  for (const rel of cond.assets ?? []) {
    const found = [assets, home].some((root) => root !== undefined && existsSync(join(root, rel)));
    if (!found) missing.push(`asset ${rel} (looked under ${assets ?? '<no PERCEPT_ASSETS>'} and ${home})`);
  }
  for (const f of cond.files ?? []) {
    const p = isAbsolute(f) ? f : resolve(baseDir, f);
    if (!existsSync(p)) missing.push(`file ${p}`);
  }
  for (const name of cond.env ?? []) {
    if (!env[name]) missing.push(`environment variable ${name}`);
  }
  if (missing.length > 0) return { met: false, reason: `condition not met: missing ${missing.join('; ')}` };
  return { met: true, reason: 'condition met' };
}
