/**
 * ILSVRC2012 validation images as distributed: a flat folder of `ILSVRC2012_val_XXXXXXXX.JPEG`
 * and a label file, either Caffe's `val.txt` (class indices) or Kaggle's `LOC_val_solution.csv`
 * (synset ids, mapped through a synset list whose line order gives the index).
 *
 * Labels of images that are not in the folder are ignored (a subset of the 50,000 is a normal
 * layout); an image the label file does not cover is an error naming both.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { InputError, type JsonValue } from '@percept/core';
import { checkCommon, FileImageDataset, type CommonReadOptions, type FileItem } from './dataset.js';
import { imageKey, readLabelFile, readSynsetList, type SynsetList } from './labels.js';

export const VAL_IMAGE_PATTERN = /^ILSVRC2012_val_\d{8}\.(jpe?g|png)$/i;
/** Names tried, in order, when an option is not given. */
const IMAGE_DIRS = ['ILSVRC2012_img_val', 'val'];
const LABEL_FILES = ['val.txt', 'LOC_val_solution.csv'];
const SYNSET_FILES = ['synset_words.txt', 'LOC_synset_mapping.txt', 'synsets.txt'];

export interface IlsvrcValOptions extends CommonReadOptions {
  /** The folder holding the images (or a folder `ILSVRC2012_img_val`) and the label files. */
  root: string;
  /** Image folder, relative to root. Default: `ILSVRC2012_img_val` or `val` if present, else root. */
  images?: string;
  /** `val.txt` or `LOC_val_solution.csv`, relative to root. Default: whichever exists, in that order. */
  labels?: string;
  /** Synset list (index = line order), relative to root. Default: `synset_words.txt`, `LOC_synset_mapping.txt` or `synsets.txt` if present. */
  synsets?: string;
  /** Number of classes when no synset list is given (default 1000). */
  classes?: number;
}

const rel = (root: string, p: string) => (isAbsolute(p) ? p : resolve(root, p));

function firstExisting(root: string, names: string[]): string | undefined {
  return names.map((n) => join(root, n)).find((p) => existsSync(p));
}

async function isDir(p: string): Promise<boolean> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

export class IlsvrcValDataset extends FileImageDataset {
  private constructor(
    items: FileItem[],
    classes: number,
    classNames: string[],
    batchSize: number,
    onError: 'fail' | 'skip',
    private readonly info: Record<string, JsonValue>,
  ) {
    super('imagenet-val', items, classes, classNames, batchSize, onError);
  }

  describe(): Record<string, JsonValue> {
    return { ...this.info, images: this.size, classes: this.classes };
  }

  static async open(o: IlsvrcValOptions): Promise<IlsvrcValDataset> {
    const what = 'imagenet-val';
    const { batchSize, onError, limit } = checkCommon(o, what);
    if (typeof o.root !== 'string' || !o.root) throw new InputError(`${what}: option "root" must be the ILSVRC2012 validation folder`);
    const root = resolve(o.root);
    if (!(await isDir(root))) throw new InputError(`${what}: option "root": ${root} is not a folder`);

    let imageDir = root;
    if (o.images !== undefined) imageDir = rel(root, o.images);
    else for (const d of IMAGE_DIRS) if (await isDir(join(root, d))) { imageDir = join(root, d); break; }
    if (!(await isDir(imageDir))) throw new InputError(`${what}: option "images": ${imageDir} is not a folder`);

    const synsetFile = o.synsets !== undefined ? rel(root, o.synsets) : firstExisting(root, SYNSET_FILES);
    if (synsetFile && !existsSync(synsetFile)) throw new InputError(`${what}: option "synsets": file not found: ${synsetFile}`);
    const synsets: SynsetList | undefined = synsetFile ? await readSynsetList(synsetFile) : undefined;
    const classes = synsets ? synsets.ids.length : (o.classes ?? 1000);
    if (!Number.isInteger(classes) || classes < 1) throw new InputError(`${what}: option "classes" must be a positive integer, got ${JSON.stringify(o.classes)}`);
    if (synsets && o.classes !== undefined && o.classes !== classes) {
      throw new InputError(`${what}: option "classes" is ${o.classes} but the synset list ${synsets.file} has ${classes} lines`);
    }

    const labelFile = o.labels !== undefined ? rel(root, o.labels) : firstExisting(root, LABEL_FILES);
    if (!labelFile) throw new InputError(`${what}: no label file under ${root} (looked for ${LABEL_FILES.join(', ')})`, { hint: 'set option "labels"' });
    if (!existsSync(labelFile)) throw new InputError(`${what}: option "labels": file not found: ${labelFile}`);
    const table = await readLabelFile(labelFile, { classes, synsets });

    const files = (await readdir(imageDir)).filter((f) => VAL_IMAGE_PATTERN.test(f)).sort();
    if (files.length === 0) throw new InputError(`${what}: no ILSVRC2012_val_*.JPEG images in ${imageDir}`);
    const items: FileItem[] = [];
    for (const f of limit === null ? files : files.slice(0, limit)) {
      const name = imageKey(f);
      const entry = table.labels.get(name);
      if (!entry) throw new InputError(`${join(imageDir, f)}: image ${name} has no label in ${labelFile}`, { hint: 'the label file must cover every image in the folder' });
      items.push({ name, file: join(imageDir, f), label: entry.label });
    }
    const classNames = synsets ? synsets.ids : Array.from({ length: classes }, (_, i) => String(i));
    return new IlsvrcValDataset(items, classes, classNames, batchSize, onError, {
      layout: 'ilsvrc2012-val', imageDir, labelFile, synsetFile: synsetFile ?? null, imagesInFolder: files.length,
    });
  }
}

export function openIlsvrcVal(options: IlsvrcValOptions): Promise<IlsvrcValDataset> {
  return IlsvrcValDataset.open(options);
}
