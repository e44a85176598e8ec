/**
 * Helpers for tests that need ../shared/assets. Exported as @percept/core/testing, not from the
 * main entry, so product code cannot depend on them by accident.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { assetsDir, referenceDir } from './assets.js';

export interface AssetCheck {
  available: boolean;
  /** The assets root (undefined when not found). */
  dir: string;
  reference: string;
  /** Absolute path of an asset (valid only when available). */
  path(rel: string): string;
  refPath(rel: string): string;
}

/**
 * Checks that every listed asset exists. When one is missing the caller should skip; this prints
 * why. Under CI=true a missing asset is a failure, thrown here so the test file fails loudly.
 */
export function sharedAssets(...required: string[]): AssetCheck {
  const dir = assetsDir() ?? '';
  const reference = referenceDir() ?? (dir ? join(dir, '..', 'reference') : '');
  const missing = required.filter((rel) => {
    const base = rel.startsWith('reference/') ? reference : dir;
    const sub = rel.startsWith('reference/') ? rel.slice('reference/'.length) : rel;
    return !base || !existsSync(join(base, sub));
  });
  const available = missing.length === 0;
  if (!available) {
    const reason = `shared assets missing (${missing.join(', ')}) under ${dir || '<no PERCEPT_ASSETS and no ../shared/assets>'}`;
    if (process.env.CI === 'true') throw new Error(`${reason}: required under CI=true`);
    console.warn(`[skip] ${reason}; set PERCEPT_ASSETS to run these tests`);
  }
  return {
    available,
    dir,
    reference,
    path: (rel) => join(dir, rel),
    refPath: (rel) => join(reference, rel),
  };
}
