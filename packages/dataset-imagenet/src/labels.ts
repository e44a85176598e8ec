/**
 * ImageNet label files, as distributed:
 *
 * - synset lists: one class per line, index = line order. Either bare ids (`n01440764`) or ids
 *   followed by names (`synset_words.txt`, Kaggle's `LOC_synset_mapping.txt`:
 *   `n01440764 tench, Tinca tinca`).
 * - Caffe's `val.txt`: `ILSVRC2012_val_00000001.JPEG 65` (file, class index), all 50,000 lines.
 * - Kaggle's `LOC_val_solution.csv`: `ImageId,PredictionString` with rows such as
 *   `ILSVRC2012_val_00008726,n02119789 255 142 454 329 n02119789 44 21 322 295`; the class is the
 *   first token (every box of a validation image carries the same synset).
 *
 * Every error names the file and line, because a label file is typically 50,000 lines long.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { InputError, didYouMean } from '@percept/core';

export interface SynsetList {
  /** The file the list came from (for messages and provenance). */
  file: string;
  /** Synset ids in index order. */
  ids: string[];
  /** Human-readable names in index order ('' when the file has none). */
  names: string[];
  /** Synset id -> class index. */
  index: Map<string, number>;
}

/** One labelled image name (without extension) -> class index, with where the label was read. */
export interface LabelEntry {
  label: number;
  /** 1-based line in the label file. */
  line: number;
}

export interface LabelTable {
  file: string;
  /** Keyed by the image name without directory and extension, e.g. "ILSVRC2012_val_00000001". */
  labels: Map<string, LabelEntry>;
}

async function readText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new InputError(`Cannot read ${what} ${file}: ${(e as Error).message}`, { cause: e });
  }
}

/** Splits into lines, dropping a trailing empty line and any CR of CRLF files. */
function lines(text: string): string[] {
  const out = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  while (out.length && out[out.length - 1].trim() === '') out.pop();
  return out;
}

/** The key an image is labelled under: its file name without extension. */
export function imageKey(fileOrName: string): string {
  const b = basename(fileOrName);
  return b.slice(0, b.length - extname(b).length);
}

/** Parses a synset list (ids, optionally followed by names). Blank lines inside are errors: they would shift every index after them. */
export function parseSynsetList(text: string, file: string): SynsetList {
  const ids: string[] = [];
  const names: string[] = [];
  const index = new Map<string, number>();
  lines(text).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) throw new InputError(`${file}:${i + 1}: empty line in a synset list; class indices follow line order, so every line must name a class`);
    const m = /^(\S+)(?:\s+(.*))?$/.exec(line)!;
    const id = m[1];
    if (index.has(id)) throw new InputError(`${file}:${i + 1}: synset "${id}" is listed twice (first on line ${index.get(id)! + 1})`);
    index.set(id, ids.length);
    ids.push(id);
    names.push(m[2]?.trim() ?? '');
  });
  if (ids.length === 0) throw new InputError(`${file}: the synset list is empty`);
  return { file, ids, names, index };
}

export async function readSynsetList(file: string): Promise<SynsetList> {
  return parseSynsetList(await readText(file, 'synset list'), file);
}

/**
 * Parses Caffe's `val.txt` (`<file> <index>` per line). `classes` bounds the index: an index
 * outside 0..classes-1 is an error naming the line.
 */
export function parseValTxt(text: string, file: string, classes: number): LabelTable {
  const labels = new Map<string, LabelEntry>();
  lines(text).forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    const m = /^(\S+)\s+(\S+)$/.exec(line);
    if (!m) throw new InputError(`${file}:${i + 1}: expected "<image file> <class index>", got ${JSON.stringify(raw)}`);
    const label = Number(m[2]);
    if (!/^\d+$/.test(m[2]) || label >= classes) {
      throw new InputError(`${file}:${i + 1}: class index ${JSON.stringify(m[2])} of ${m[1]} is not an integer in 0..${classes - 1}`, {
        hint: classes === 1000 ? undefined : `the dataset has ${classes} classes (option "classes" or the synset list)`,
      });
    }
    const key = imageKey(m[1]);
    const prev = labels.get(key);
    if (prev && prev.label !== label) throw new InputError(`${file}:${i + 1}: ${m[1]} is labelled ${label} here but ${prev.label} on line ${prev.line}`);
    labels.set(key, { label, line: i + 1 });
  });
  if (labels.size === 0) throw new InputError(`${file}: no labels found (expected lines "<image file> <class index>")`);
  return { file, labels };
}

/**
 * Parses Kaggle's `LOC_val_solution.csv`: the first token of PredictionString is the synset,
 * mapped to its index through `synsets`. An unknown synset is an error naming it and both files.
 */
export function parseLocSolution(text: string, file: string, synsets: SynsetList): LabelTable {
  const all = lines(text);
  const header = all[0]?.trim().split(',').map((s) => s.trim());
  if (!header || header[0] !== 'ImageId' || header[1] !== 'PredictionString') {
    throw new InputError(`${file}:1: expected the header "ImageId,PredictionString", got ${JSON.stringify(all[0] ?? '')}`);
  }
  const labels = new Map<string, LabelEntry>();
  for (let i = 1; i < all.length; i++) {
    const line = all[i].trim();
    if (!line) continue;
    const comma = line.indexOf(',');
    if (comma < 0) throw new InputError(`${file}:${i + 1}: expected "ImageId,PredictionString", got ${JSON.stringify(all[i])}`);
    const id = line.slice(0, comma).trim();
    const synset = line.slice(comma + 1).trim().split(/\s+/)[0];
    if (!id || !synset) throw new InputError(`${file}:${i + 1}: missing ImageId or PredictionString in ${JSON.stringify(all[i])}`);
    const label = synsets.index.get(synset);
    if (label === undefined) {
      throw new InputError(`${file}:${i + 1}: unknown synset "${synset}" (image ${id}); it is not in the synset list ${synsets.file}`, {
        hint: didYouMean(synset, synsets.ids),
      });
    }
    labels.set(imageKey(id), { label, line: i + 1 });
  }
  if (labels.size === 0) throw new InputError(`${file}: no rows after the header`);
  return { file, labels };
}

/** Reads a label file, choosing the format from its name (.csv = LOC_val_solution, else val.txt). */
export async function readLabelFile(file: string, opts: { classes: number; synsets?: SynsetList }): Promise<LabelTable> {
  const text = await readText(file, 'label file');
  if (extname(file).toLowerCase() === '.csv') {
    if (!opts.synsets) {
      throw new InputError(`${file}: a LOC_val_solution.csv labels images by synset id, so a synset list is needed to map them to indices`, {
        hint: 'set option "synsets" (e.g. synset_words.txt or LOC_synset_mapping.txt)',
      });
    }
    return parseLocSolution(text, file, opts.synsets);
  }
  return parseValTxt(text, file, opts.classes);
}
