import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * What each package would publish: `npm pack --dry-run` lists the tarball without writing it.
 * Needs built dist/ folders (`npm test` builds every package first).
 */
const run = promisify(execFile);
const packagesDir = resolve(dirname(fileURLToPath(import.meta.url)), '../../');
const packages = readdirSync(packagesDir).filter((d) => existsSync(join(packagesDir, d, 'package.json'))).sort();
const built = packages.every((d) => existsSync(join(packagesDir, d, 'dist/index.js')));

interface PackEntry { name: string; files: Array<{ path: string }> }

/** One npm process for every workspace package: far cheaper than one per package. */
async function packLists(attempt = 1): Promise<Record<string, string[]>> {
  let stdout: string;
  try {
    ({ stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts', '--workspaces'], {
      cwd: resolve(packagesDir, '..'), env: { ...process.env, npm_config_loglevel: 'error' }, maxBuffer: 64 << 20,
    }));
  } catch (e) {
    // npm reads every file; one being rebuilt at that moment reads as "unexpected EOF". Retry once.
    if (attempt === 1) return packLists(2);
    throw e;
  }
  const entries = JSON.parse(stdout) as PackEntry[];
  return Object.fromEntries(entries.map((e) => [e.name.replace('@percept/', ''), e.files.map((f) => f.path)]));
}

describe.skipIf(!built)('npm packages', () => {
  it('every package.json has what publishing needs', () => {
    for (const d of packages) {
      const pkg = JSON.parse(readFileSync(join(packagesDir, d, 'package.json'), 'utf8'));
      const where = `packages/${d}/package.json`;
      expect(pkg.name, where).toBe(`@percept/${d}`);
      expect(pkg.license, where).toBeTruthy();
      expect(pkg.repository?.url, where).toMatch(/^https:\/\//);
      expect(pkg.repository?.directory, where).toBe(`packages/${d}`);
      expect(pkg.exports?.['.']?.types, where).toBe('./dist/index.d.ts');
      expect(pkg.exports?.['.']?.default, where).toBe('./dist/index.js');
      expect(pkg.files, where).toContain('dist');
      expect(pkg.type, where).toBe('module');
    }
  });

  it('every tarball holds dist/ JavaScript and typings and no tests', async () => {
    const lists = await packLists();
    expect(Object.keys(lists).sort()).toEqual(packages);
    for (const d of packages) {
      const files = lists[d];
      expect(files, d).toContain('package.json');
      expect(files, d).toContain('dist/index.js');
      expect(files, d).toContain('dist/index.d.ts');
      expect(files.filter((f) => /\.test\.|__fixtures__/.test(f)), d).toEqual([]);
      expect(files.filter((f) => f.startsWith('src/')), d).toEqual([]);
    }
    expect(lists.cli).toContain('dist/bin.js');
    expect(readFileSync(join(packagesDir, 'cli/dist/bin.js'), 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });
});
