/**
 * Turns a registry dataset (e.g. @percept/dataset-imagenet's "image-folder", "imagenet-folders",
 * "imagenet-val", "imagenet-downsampled") into the random-access source the trainer shuffles.
 *
 * File datasets expose their file list, so each image is decoded when a batch needs it and memory
 * stays at a batch or two. Array datasets (the 64×64 npz files) are streamed once into memory as
 * uint8 (12 KB per 64×64 image), bounded by `maxInMemory`, because their members are compressed
 * streams that cannot be read at random offsets.
 *
 * The readers are used through these structural types, not imported: this package only needs
 * their shape, and any third-party dataset with the same shape works too.
 */
import { InputError, type Dataset, type ImageBatch } from '@percept/core';
import { readImage } from '@percept/images';
import type { LabeledImageSource } from './source.js';

interface FileItemLike { name: string; file: string; label: number }
interface FileDatasetLike { readonly classNames: readonly string[]; files(): readonly FileItemLike[] }
interface BatchLike { images: ImageBatch; labels: Int32Array; names: string[] }
interface StreamDatasetLike { readonly classNames: readonly string[]; readonly size: number; iterate(): AsyncIterable<BatchLike> }

function isFileDataset(d: unknown): d is FileDatasetLike {
  return typeof (d as FileDatasetLike).files === 'function' && Array.isArray((d as FileDatasetLike).classNames);
}
function isStreamDataset(d: unknown): d is StreamDatasetLike {
  return typeof (d as StreamDatasetLike).iterate === 'function' && Array.isArray((d as StreamDatasetLike).classNames);
}

export async function toLabeledSource(ds: Dataset<unknown>, what: string, options: { maxInMemory?: number } = {}): Promise<LabeledImageSource> {
  if (isFileDataset(ds)) {
    const items = ds.files();
    if (items.length === 0) throw new InputError(`${what}: dataset "${ds.name}" has no images`);
    return {
      description: `${what} (${ds.name}, ${items.length} images)`,
      size: items.length,
      classes: ds.classNames,
      label: (i) => items[i].label,
      name: (i) => items[i].file,
      load: (i) => readImage(items[i].file),
    };
  }
  if (isStreamDataset(ds)) {
    const max = options.maxInMemory ?? 200_000;
    if (ds.size > max) {
      throw new InputError(`${what}: dataset "${ds.name}" has ${ds.size} images, more than the ${max} this trainer holds in memory for array datasets`, {
        hint: 'raise "maxInMemory" if the machine has the memory (12 KB per 64×64 image), or use an image-folder copy of the data',
      });
    }
    const pixels: Uint8Array[] = [];
    const shapes: [number, number][] = [];
    const labels: number[] = [];
    const names: string[] = [];
    for await (const b of ds.iterate()) {
      const [n, h, w] = b.images.shape;
      const per = h * w * 3;
      for (let i = 0; i < n; i++) {
        const src = b.images.data.subarray(i * per, (i + 1) * per);
        const u8 = new Uint8Array(per);
        for (let k = 0; k < per; k++) u8[k] = Math.round(src[k] * 255);
        pixels.push(u8); shapes.push([h, w]); labels.push(b.labels[i]); names.push(b.names[i]);
      }
    }
    if (pixels.length === 0) throw new InputError(`${what}: dataset "${ds.name}" yielded no images`);
    return {
      description: `${what} (${ds.name}, ${pixels.length} images in memory)`,
      size: pixels.length,
      classes: ds.classNames,
      label: (i) => labels[i],
      name: (i) => names[i],
      async load(i) {
        const [h, w] = shapes[i];
        return { data: Float32Array.from(pixels[i], (v) => v / 255), shape: [1, h, w, 3] };
      },
    };
  }
  throw new InputError(`${what}: dataset "${ds.name}" is not a labelled image dataset (it has neither files() nor iterate() with classNames)`);
}
