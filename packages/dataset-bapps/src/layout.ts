/**
 * The BAPPS folder layout (SPEC §6.1) and the pairing rule of the reference loader.
 *
 * The reference loader (LPIPS `data/dataset/twoafc_dataset.py`) lists each of ref/p0/p1/judge with
 * `os.walk`, sorts every list lexicographically on its full path, independently, and pairs entries
 * by index. We do the same, and in addition check that the entries paired at each index share
 * their relative path without extension, because index pairing alone silently mixes up samples
 * when one folder is missing a file.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, relative, extname } from 'node:path';
import { InputError } from '@percept/core';

export const VAL_SUBSETS = ['traditional', 'cnn', 'superres', 'deblur', 'color', 'frameinterp'] as const;
export const TRAIN_SUBSETS = ['traditional', 'cnn', 'mix'] as const;
export const JND_SUBSETS = ['traditional', 'cnn'] as const;

/** The extensions the reference loader accepts (`IMG_EXTENSIONS`), compared case-insensitively. */
const IMAGE_EXT = new Set(['.jpg', '.jpeg', '.png', '.ppm', '.bmp']);

export type OnError = 'fail' | 'skip';

export interface SkippedSample {
  subset: string;
  /** The sample's relative path without extension, e.g. "000123". */
  name: string;
  /** The offending file (or folder). */
  file: string;
  reason: string;
}

/** One sample: a file per folder, in the folder order of the subset kind. */
export interface IndexedSample {
  name: string;
  files: string[];
}

export interface SubsetIndex {
  subset: string;
  dir: string;
  samples: IndexedSample[];
  /** Samples dropped while pairing (skip mode only). */
  skipped: SkippedSample[];
}

export interface FolderSpec {
  name: string;
  kind: 'image' | 'npy';
}

export const TWO_AFC_FOLDERS: readonly FolderSpec[] = [
  { name: 'ref', kind: 'image' }, { name: 'p0', kind: 'image' }, { name: 'p1', kind: 'image' }, { name: 'judge', kind: 'npy' },
];
export const JND_FOLDERS: readonly FolderSpec[] = [
  { name: 'p0', kind: 'image' }, { name: 'p1', kind: 'image' }, { name: 'same', kind: 'npy' },
];

/** Code-unit order, like Python's str comparison on the ASCII names BAPPS uses (not locale order). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

async function walk(dir: string, out: string[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true });
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) await walk(p, out);
    else if (e.isFile() || e.isSymbolicLink()) out.push(p);
  }
}

async function listFolder(dir: string, kind: FolderSpec['kind']): Promise<string[]> {
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) throw new InputError(`${dir}: expected a folder`);
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`${dir}: BAPPS folder is missing (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
      hint: 'Expected the layout 2afc/<split>/<subset>/{ref,p0,p1,judge} and jnd/val/<subset>/{p0,p1,same} under the root; `percept data bapps fetch` creates it.',
    });
  }
  const files: string[] = [];
  await walk(dir, files);
  const keep = files.filter((f) => {
    const ext = extname(f).toLowerCase();
    return kind === 'image' ? IMAGE_EXT.has(ext) : ext === '.npy';
  });
  return keep.sort(compareStrings);
}

function keyOf(folderDir: string, file: string): string {
  const rel = relative(folderDir, file).split('\\').join('/');
  const ext = extname(rel);
  return ext ? rel.slice(0, -ext.length) : rel;
}

/**
 * Lists and pairs the files of one subset. In 'fail' mode any count or name mismatch is an error
 * naming the first offending files; in 'skip' mode samples are matched by name, and names missing
 * from some folder (or present twice) are reported as skipped.
 */
export async function indexSubset(
  subsetDir: string,
  subset: string,
  folders: readonly FolderSpec[],
  onError: OnError,
): Promise<SubsetIndex> {
  const dirs = folders.map((f) => join(subsetDir, f.name));
  const lists = await Promise.all(folders.map((f, i) => listFolder(dirs[i], f.kind)));
  const keys = lists.map((list, i) => list.map((f) => keyOf(dirs[i], f)));

  if (onError === 'fail') {
    const n = lists[0].length;
    for (let i = 1; i < lists.length; i++) {
      if (lists[i].length !== n) {
        const present = new Set(keys[i]);
        const other = new Set(keys[0]);
        const onlyFirst = lists[0].find((_, k) => !present.has(keys[0][k]));
        const onlyThis = lists[i].find((_, k) => !other.has(keys[i][k]));
        const example = onlyFirst
          ? `; ${onlyFirst} has no counterpart in ${dirs[i]}`
          : onlyThis ? `; ${onlyThis} has no counterpart in ${dirs[0]}` : '';
        throw new InputError(
          `${subsetDir}: folders hold different numbers of files: ${dirs[0]} has ${n}, ${dirs[i]} has ${lists[i].length}${example}`,
          { hint: 'Re-extract the subset, or pass onError: "skip" to drop unmatched samples (they are counted in the manifest).' },
        );
      }
    }
    for (let k = 0; k < n; k++) {
      for (let i = 1; i < lists.length; i++) {
        if (keys[i][k] !== keys[0][k]) {
          throw new InputError(
            `${subsetDir}: files paired by sorted order have different names at position ${k}: ${lists[0][k]} and ${lists[i][k]}`,
            { hint: 'Each folder must hold the same file names (extension aside).' },
          );
        }
      }
    }
    if (n === 0) throw new InputError(`${subsetDir}: subset holds no samples (no image files in ${dirs[0]})`);
    return { subset, dir: subsetDir, samples: keys[0].map((name, k) => ({ name, files: lists.map((l) => l[k]) })), skipped: [] };
  }

  // Skip mode: match by name; a name that is missing from a folder, or ambiguous within one, is skipped.
  const maps = lists.map((list, i) => {
    const m = new Map<string, string | null>();
    list.forEach((f, k) => m.set(keys[i][k], m.has(keys[i][k]) ? null : f));
    return m;
  });
  const allNames = new Set(keys.flat());
  const samples: IndexedSample[] = [];
  const skipped: SkippedSample[] = [];
  for (const name of [...allNames].sort(compareStrings)) {
    const files: string[] = [];
    let problem: SkippedSample | undefined;
    for (let i = 0; i < maps.length && !problem; i++) {
      const f = maps[i].get(name);
      if (f === undefined) problem = { subset, name, file: dirs[i], reason: `no file named ${name}.* in ${dirs[i]}` };
      else if (f === null) problem = { subset, name, file: dirs[i], reason: `several files named ${name}.* in ${dirs[i]}` };
      else files.push(f);
    }
    if (problem) skipped.push(problem);
    else samples.push({ name, files });
  }
  return { subset, dir: subsetDir, samples, skipped };
}
