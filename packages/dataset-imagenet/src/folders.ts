/**
 * Class-folder layouts: `<root>/<class>/**\/<image>`, the layout of ImageNet's train set (synset
 * folders), torchvision's ImageFolder and the CIFAR-10 JPEG export. Class indices follow the
 * sorted folder names (code-unit order, as torchvision sorts) unless a class list fixes the order;
 * with a list, a folder that is not in it is an error (it would otherwise be silently dropped),
 * and a listed class without a folder simply has no images.
 */
import { readdir } from 'node:fs/promises';
import { extname, join, relative, resolve, isAbsolute } from 'node:path';
import { InputError, didYouMean, type JsonValue } from '@percept/core';
import { checkCommon, FileImageDataset, type CommonReadOptions, type FileItem } from './dataset.js';
import { readSynsetList } from './labels.js';

/** torchvision's IMG_EXTENSIONS, compared case-insensitively. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp'];

export interface ImageFolderOptions extends CommonReadOptions {
  root: string;
  /** Class order: names in index order, or a file with one per line (a synset list). Default: sorted folder names. */
  classes?: readonly string[] | string;
  /** Interleave classes (image 0 of every class, then image 1, …) so that `limit` samples every class. Default false. */
  interleave?: boolean;
}

const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

async function listImages(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    const entries = await readdir(d, { withFileTypes: true });
    for (const e of entries.sort((a, b) => byCodeUnit(a.name, b.name))) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (IMAGE_EXTENSIONS.includes(extname(e.name).toLowerCase())) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

export class ImageFolderDataset extends FileImageDataset {
  private constructor(
    name: string,
    items: FileItem[],
    classNames: string[],
    batchSize: number,
    onError: 'fail' | 'skip',
    private readonly info: Record<string, JsonValue>,
  ) {
    super(name, items, classNames.length, classNames, batchSize, onError);
  }

  describe(): Record<string, JsonValue> {
    return { ...this.info, images: this.size, classes: this.classes };
  }

  static async open(o: ImageFolderOptions, what = 'image-folder'): Promise<ImageFolderDataset> {
    const { batchSize, onError, limit } = checkCommon(o, what);
    if (typeof o.root !== 'string' || !o.root) throw new InputError(`${what}: option "root" must be a folder of class folders`);
    const root = resolve(o.root);
    let dirs: string[];
    try {
      dirs = (await readdir(root, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name).sort(byCodeUnit);
    } catch (e) {
      throw new InputError(`${what}: option "root": cannot list ${root}: ${(e as Error).message}`, { cause: e });
    }
    let classNames: string[];
    let classFile: string | null = null;
    if (o.classes === undefined) {
      classNames = dirs;
    } else if (typeof o.classes === 'string') {
      classFile = isAbsolute(o.classes) ? o.classes : resolve(root, o.classes);
      classNames = (await readSynsetList(classFile)).ids;
    } else {
      if (!Array.isArray(o.classes) || o.classes.some((c) => typeof c !== 'string' || !c)) throw new InputError(`${what}: option "classes" must be an array of folder names or a file path`);
      if (new Set(o.classes).size !== o.classes.length) throw new InputError(`${what}: option "classes" lists a name twice`);
      classNames = [...o.classes];
    }
    if (classNames.length === 0) throw new InputError(`${what}: no class folders in ${root}`);
    const index = new Map(classNames.map((c, i) => [c, i]));
    for (const d of dirs) {
      if (!index.has(d)) {
        throw new InputError(`${what}: folder ${join(root, d)} is not a class in ${classFile ?? 'option "classes"'}`, { hint: didYouMean(d, classNames) });
      }
    }
    const perClass = await Promise.all(classNames.map(async (c, label) => {
      if (!dirs.includes(c)) return [];
      return (await listImages(join(root, c))).map((file): FileItem => ({ name: relative(root, file), file, label }));
    }));
    let items: FileItem[];
    if (o.interleave) {
      items = [];
      const longest = Math.max(...perClass.map((l) => l.length));
      for (let i = 0; i < longest; i++) for (const l of perClass) if (i < l.length) items.push(l[i]);
    } else {
      items = perClass.flat();
    }
    if (items.length === 0) throw new InputError(`${what}: no images (${IMAGE_EXTENSIONS.join(', ')}) in the class folders of ${root}`);
    if (limit !== null) items = items.slice(0, limit);
    return new ImageFolderDataset(what, items, classNames, batchSize, onError, {
      layout: 'class-folders', root, classFile, interleave: o.interleave ?? false,
    });
  }
}

export function openImageFolder(options: ImageFolderOptions, what?: string): Promise<ImageFolderDataset> {
  return ImageFolderDataset.open(options, what);
}
