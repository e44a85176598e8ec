import { existsSync } from 'node:fs';
import { resolve, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, found by walking up from this file to the workspace package.json. */
function workspaceRoot(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'nx.json'))) return dir;
    const up = dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

/**
 * The local folder laid out like ../shared/assets: `PERCEPT_ASSETS`, else `../shared/assets`
 * beside the repository (the default for tests), else undefined.
 */
export function assetsDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PERCEPT_ASSETS) return resolve(env.PERCEPT_ASSETS);
  const root = workspaceRoot();
  if (!root) return undefined;
  const candidate = resolve(root, '..', 'shared', 'assets');
  return existsSync(candidate) ? candidate : undefined;
}

/** The reference-values folder beside the assets (../shared/reference). */
export function referenceDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.PERCEPT_REFERENCE) return resolve(env.PERCEPT_REFERENCE);
  const assets = assetsDir(env);
  if (!assets) return undefined;
  const candidate = resolve(assets, '..', 'reference');
  return existsSync(candidate) ? candidate : undefined;
}

/** Where downloads are cached: `PERCEPT_HOME`, default ~/.cache/percept. */
export function perceptHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PERCEPT_HOME) return resolve(env.PERCEPT_HOME);
  const home = env.HOME ?? env.USERPROFILE ?? '.';
  return resolve(home, '.cache', 'percept');
}
