/**
 * Turns a registry dataset (e.g. @percept/dataset-imagenet's "image-folder", "imagenet-folders",
 * "imagenet-val", "imagenet-downsampled") into the source the trainer reads (./source.ts).
 *
 *  - File datasets expose their file list: random access, each image decoded when a batch needs it.
 *  - Datasets that expose row shards (`shards` + `readRows`: the 64×64 npz files, one shard per
 *    file) are read front to back through the shuffle buffer; nothing is loaded up front but labels.
 *  - Any other labelled dataset that can only be iterated becomes one shard, read by iterating it
 *    (labels and names come from one pass at open; pixels are kept as uint8).
 *
 * The readers are used through these structural types, not imported: this package only needs
 * their shape, and any third-party dataset with the same shape works too.
 */
import { InputError, type Dataset, type ImageBatch } from '@percept/core';
import { readImage } from '@percept/images';
import type { LabeledImageSource, SamplePixels } from './source.js';

interface FileItemLike { name: string; file: string; label: number }
interface FileDatasetLike { readonly classNames: readonly string[]; files(): readonly FileItemLike[] }
interface BatchLike { images: ImageBatch; labels: Int32Array; names: string[] }
interface StreamDatasetLike { readonly classNames: readonly string[]; readonly size: number; iterate(): AsyncIterable<BatchLike> }
interface RowShardDatasetLike {
  readonly classNames: readonly string[];
  readonly shards: readonly { name: string; labels: readonly number[] }[];
  readRows(shard: number, rows: readonly number[]): AsyncIterable<{ row: number; data: Uint8Array; height: number; width: number }>;
}

function isFileDataset(d: unknown): d is FileDatasetLike {
  return typeof (d as FileDatasetLike).files === 'function' && Array.isArray((d as FileDatasetLike).classNames);
}
function isRowShardDataset(d: unknown): d is RowShardDatasetLike {
  return typeof (d as RowShardDatasetLike).readRows === 'function' && Array.isArray((d as RowShardDatasetLike).shards) && Array.isArray((d as RowShardDatasetLike).classNames);
}
function isStreamDataset(d: unknown): d is StreamDatasetLike {
  return typeof (d as StreamDatasetLike).iterate === 'function' && Array.isArray((d as StreamDatasetLike).classNames);
}

/** [0,1] float pixels as uint8 (the npz files' own precision). */
function toPixels(img: ImageBatch, i: number): SamplePixels {
  const [, h, w] = img.shape;
  const per = h * w * 3;
  const src = img.data.subarray(i * per, (i + 1) * per);
  const data = new Uint8Array(per);
  for (let k = 0; k < per; k++) data[k] = Math.round(src[k] * 255);
  return { data, height: h, width: w };
}

export async function toLabeledSource(ds: Dataset<unknown>, what: string): Promise<LabeledImageSource> {
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
  if (isRowShardDataset(ds)) {
    const info = ds.shards;
    const offsets: number[] = [];
    let size = 0;
    for (const s of info) { offsets.push(size); size += s.labels.length; }
    if (size === 0) throw new InputError(`${what}: dataset "${ds.name}" has no images`);
    const labels = new Int32Array(size);
    info.forEach((s, k) => labels.set(s.labels, offsets[k]));
    const shardOf = (i: number) => { let lo = 0, hi = info.length - 1; while (lo < hi) { const m = (lo + hi + 1) >> 1; if (offsets[m] <= i) lo = m; else hi = m - 1; } return lo; };
    return {
      description: `${what} (${ds.name}, ${size} images in ${info.length} file${info.length === 1 ? '' : 's'}, streamed)`,
      size,
      classes: ds.classNames,
      label: (i) => labels[i],
      name: (i) => { const s = shardOf(i); return `${info[s].name}#${i - offsets[s]}`; },
      shards: info.map((s, k) => { const a = new Uint32Array(s.labels.length); for (let r = 0; r < a.length; r++) a[r] = offsets[k] + r; return a; }),
      async *read(shard, indices) {
        const base = offsets[shard];
        for await (const r of ds.readRows(shard, indices.map((i) => i - base))) {
          yield { index: base + r.row, pixels: { data: r.data, height: r.height, width: r.width } };
        }
      },
    };
  }
  if (isStreamDataset(ds)) {
    // One pass for labels and names; pixels are read again, in order, whenever the shard is read.
    const labels: number[] = [];
    const names: string[] = [];
    for await (const b of ds.iterate()) { labels.push(...b.labels); names.push(...b.names); }
    if (labels.length === 0) throw new InputError(`${what}: dataset "${ds.name}" yielded no images`);
    return {
      description: `${what} (${ds.name}, ${labels.length} images, streamed)`,
      size: labels.length,
      classes: ds.classNames,
      label: (i) => labels[i],
      name: (i) => names[i],
      shards: [Uint32Array.from(labels, (_, i) => i)],
      async *read(_shard, indices) {
        if (indices.length === 0) return;
        let k = 0, at = 0;
        for await (const b of ds.iterate()) {
          const n = b.labels.length;
          while (k < indices.length && indices[k] < at + n) { yield { index: indices[k], pixels: toPixels(b.images, indices[k] - at) }; k++; }
          at += n;
          if (k === indices.length) return;
        }
        throw new InputError(`${what}: dataset "${ds.name}" ended after ${at} images, before image ${indices[k]}; it must yield the same images on every pass`);
      },
    };
  }
  throw new InputError(`${what}: dataset "${ds.name}" is not a labelled image dataset (it has neither files(), readRows() with shards, nor iterate() with classNames)`);
}
