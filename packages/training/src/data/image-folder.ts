/**
 * A class-folder dataset (`<root>/<class>/<image>`, torchvision ImageFolder's layout; CIFAR-10 as
 * shipped in ../shared is one). Classes are the sub-folders in sorted order; images are listed up
 * front, sorted, so labels and order never depend on the file system.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '@percept/core';
import { readImage } from '@percept/images';
import type { LabeledImageSource } from './source.js';

const IMAGE_EXT = /\.(jpe?g|png|webp|bmp|tiff?)$/i;

export async function openImageFolder(root: string): Promise<LabeledImageSource> {
  let entries;
  try {
    entries = await readdir(root, { withFileTypes: true });
  } catch (e) {
    throw new InputError(`image folder ${root}: cannot be read (${(e as Error).message})`, { cause: e });
  }
  const classes = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort();
  if (classes.length === 0) {
    throw new InputError(`image folder ${root}: no class sub-folders found`, { hint: 'expected <root>/<class name>/<image files>' });
  }
  const files: string[] = [];
  const labels: number[] = [];
  for (let c = 0; c < classes.length; c++) {
    const dir = join(root, classes[c]);
    const names = (await readdir(dir)).filter((n) => IMAGE_EXT.test(n)).sort();
    if (names.length === 0) throw new InputError(`image folder ${root}: class folder "${classes[c]}" holds no images (.jpg, .png, .webp, .bmp, .tif)`);
    for (const n of names) { files.push(join(dir, n)); labels.push(c); }
  }
  return {
    description: `image folder ${root}`,
    size: files.length,
    classes,
    label: (i) => labels[i],
    name: (i) => files[i],
    load: (i) => readImage(files[i]),
  };
}
