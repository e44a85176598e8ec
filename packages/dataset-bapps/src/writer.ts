/**
 * Writes BAPPS-layout subsets (SPEC §6.1), for synthetic data and test fixtures:
 *
 *   <root>/2afc/<split>/<subset>/{ref,p0,p1}/000000.png  and  judge/000000.npy
 *   <root>/jnd/val/<subset>/{p0,p1}/000000.png           and  same/000000.npy
 *
 * Judgements are float32 `.npy` files of shape (1,), which `np.load(path).reshape((1,1,1))` in the
 * reference loader accepts, as does our reader (any one-element array). A subset is written into a
 * temporary sibling folder and renamed into place at the end, so an interrupted write never leaves a
 * half-written subset that a reader would take for a complete one.
 */
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InputError, type ImageBatch } from '@percept/core';
import { writePng } from '@percept/images';
import { encodeNpy } from './npy.js';

export interface TwoAfcTriplet {
  /** Images [1,H,W,3] in [0,1]. */
  ref: ImageBatch;
  p0: ImageBatch;
  p1: ImageBatch;
  /** Fraction of raters who preferred p1, in [0,1]. */
  judge: number;
}

export interface JndPair {
  p0: ImageBatch;
  p1: ImageBatch;
  /** Fraction of raters who answered "same", in [0,1]. */
  same: number;
}

/** Six digits keep lexicographic and numeric order equal, which the pairing rule relies on. */
const NAME_DIGITS = 6;
const MAX_ITEMS = 10 ** NAME_DIGITS;

export function sampleName(index: number): string {
  return String(index).padStart(NAME_DIGITS, '0');
}

function checkImage(img: ImageBatch | undefined, field: string, index: number, dir: string): void {
  if (!img || !img.shape || img.shape.length !== 4 || img.shape[0] !== 1 || img.shape[3] !== 3) {
    throw new InputError(`${dir}: item ${index} field "${field}" must be an ImageBatch of shape [1,H,W,3], got ${img?.shape ? `[${img.shape.join(',')}]` : String(img)}`);
  }
}

function checkFraction(v: number, field: string, index: number, dir: string): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) {
    throw new InputError(`${dir}: item ${index} field "${field}" must be a number in [0,1], got ${String(v)}`);
  }
}

async function isNonEmptyDir(path: string): Promise<boolean> {
  try {
    return (await readdir(path)).length > 0;
  } catch {
    return false;
  }
}

/**
 * Streams items into `<dir>.partial-<pid>`, then renames it to `dir`. Refuses to overwrite a
 * non-empty `dir`: mixing old and new files would silently break the index pairing.
 */
async function writeSubset<T>(
  dir: string,
  folders: readonly string[],
  items: Iterable<T> | AsyncIterable<T>,
  writeItem: (tmp: string, name: string, item: T, index: number) => Promise<void>,
): Promise<{ count: number; dir: string }> {
  if (await isNonEmptyDir(dir)) {
    throw new InputError(`${dir}: subset folder already exists and is not empty`, {
      hint: 'Write into a fresh root, or delete the folder first.',
    });
  }
  const tmp = `${dir}.partial-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  for (const f of folders) await mkdir(join(tmp, f), { recursive: true });
  let count = 0;
  try {
    for await (const item of items) {
      if (count >= MAX_ITEMS) throw new InputError(`${dir}: more than ${MAX_ITEMS} items; file names have ${NAME_DIGITS} digits`);
      await writeItem(tmp, sampleName(count), item, count);
      count++;
    }
    await mkdir(dirname(dir), { recursive: true });
    await rm(dir, { recursive: true, force: true }); // an empty folder may exist
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
  return { count, dir };
}

async function writeJudgement(path: string, value: number): Promise<void> {
  await writeFile(path, encodeNpy({ dtype: 'f4', shape: [1], data: [value] }));
}

/** Writes a 2AFC subset: `<root>/2afc/<split>/<subset>/{ref,p0,p1,judge}`. */
export async function writeTwoAfcSubset(
  root: string,
  split: 'train' | 'val',
  subset: string,
  triplets: Iterable<TwoAfcTriplet> | AsyncIterable<TwoAfcTriplet>,
): Promise<{ count: number; dir: string }> {
  if (split !== 'train' && split !== 'val') throw new InputError(`writeTwoAfcSubset: split must be "train" or "val", got "${String(split)}"`);
  const dir = join(root, '2afc', split, subset);
  return writeSubset(dir, ['ref', 'p0', 'p1', 'judge'], triplets, async (tmp, name, t, i) => {
    checkImage(t.ref, 'ref', i, dir);
    checkImage(t.p0, 'p0', i, dir);
    checkImage(t.p1, 'p1', i, dir);
    checkFraction(t.judge, 'judge', i, dir);
    await Promise.all([
      writePng(join(tmp, 'ref', `${name}.png`), t.ref),
      writePng(join(tmp, 'p0', `${name}.png`), t.p0),
      writePng(join(tmp, 'p1', `${name}.png`), t.p1),
      writeJudgement(join(tmp, 'judge', `${name}.npy`), t.judge),
    ]);
  });
}

/** Writes a JND subset: `<root>/jnd/val/<subset>/{p0,p1,same}`. */
export async function writeJndSubset(
  root: string,
  subset: string,
  pairs: Iterable<JndPair> | AsyncIterable<JndPair>,
): Promise<{ count: number; dir: string }> {
  const dir = join(root, 'jnd', 'val', subset);
  return writeSubset(dir, ['p0', 'p1', 'same'], pairs, async (tmp, name, p, i) => {
    checkImage(p.p0, 'p0', i, dir);
    checkImage(p.p1, 'p1', i, dir);
    checkFraction(p.same, 'same', i, dir);
    await Promise.all([
      writePng(join(tmp, 'p0', `${name}.png`), p.p0),
      writePng(join(tmp, 'p1', `${name}.png`), p.p1),
      writeJudgement(join(tmp, 'same', `${name}.npy`), p.same),
    ]);
  });
}
