/**
 * What the trainer needs from a dataset. One interface, two ways to read pixels:
 *  - random access (`load`): any sample, any time (image files, synthetic data). Each epoch visits
 *    a seeded permutation of all samples.
 *  - sharded (`shards` + `read`): samples live in shards that are read front to back (the rows of
 *    an npz file, whose members may be deflate streams). Each epoch reads the shards in a seeded
 *    order through a seeded shuffle buffer (./order.ts), so memory holds the buffer, not the data.
 * Readers (an image folder, @percept/dataset-imagenet's readers) adapt to this (./adapt.ts).
 */
import { InputError, type ImageBatch } from '@percept/core';

/** One decoded sample of a sharded source: HWC RGB, uint8 0..255. */
export interface SamplePixels {
  data: Uint8Array;
  height: number;
  width: number;
}

interface SourceBase {
  /** Where the data came from, for messages and the manifest. */
  readonly description: string;
  readonly size: number;
  /** Class names, in label order. */
  readonly classes: readonly string[];
  /** Label of sample i (0-based class index). */
  label(i: number): number;
  /** A name for sample i (a file path, or "<file>#<row>"), used in error messages such as a NaN loss report. */
  name(i: number): string;
}

export interface RandomAccessSource extends SourceBase {
  readonly shards?: undefined;
  /** Decodes sample i as a [1,H,W,3] batch in [0,1]. */
  load(i: number): Promise<ImageBatch>;
}

export interface ShardedSource extends SourceBase {
  readonly load?: undefined;
  /**
   * The sample indices of each shard, strictly ascending (the shard's read order). Every sample is
   * in exactly one shard.
   */
  readonly shards: readonly ArrayLike<number>[];
  /**
   * Decodes the samples `indices` of shard `shard` (strictly ascending, a subset of that shard), in
   * that order. Stopping the iteration early releases the reader.
   */
  read(shard: number, indices: readonly number[]): AsyncIterable<{ index: number; pixels: SamplePixels }>;
}

export type LabeledImageSource = RandomAccessSource | ShardedSource;

export function isSharded(s: LabeledImageSource): s is ShardedSource {
  return s.shards !== undefined;
}

/** A sample of a sharded source as a [1,H,W,3] batch in [0,1]. */
export function pixelsToImage(p: SamplePixels): ImageBatch {
  const data = new Float32Array(p.data.length);
  for (let k = 0; k < data.length; k++) data[k] = p.data[k] / 255;
  return { data, shape: [1, p.height, p.width, 3] };
}

/**
 * The samples `indices` (strictly ascending) of a source, renumbered 0..n−1, with optional new
 * labels and class names. Shards keep their read order; empty shards are dropped.
 */
export function subsetSource(source: LabeledImageSource, indices: readonly number[], description: string, relabel?: { labels: readonly number[]; classes: readonly string[] }): LabeledImageSource {
  for (let k = 1; k < indices.length; k++) {
    if (!(indices[k] > indices[k - 1])) throw new InputError(`subset of ${source.description}: indices must be strictly ascending`);
  }
  const base: SourceBase = {
    description,
    size: indices.length,
    classes: relabel ? [...relabel.classes] : source.classes,
    label: relabel ? (i) => relabel.labels[i] : (i) => source.label(indices[i]),
    name: (i) => source.name(indices[i]),
  };
  if (!isSharded(source)) return { ...base, load: (i) => source.load(indices[i]) };
  const inverse = new Int32Array(source.size).fill(-1);
  indices.forEach((p, i) => { inverse[p] = i; });
  const shards: Uint32Array[] = [];
  const parentShard: number[] = [];
  source.shards.forEach((members, s) => {
    const kept: number[] = [];
    for (let k = 0; k < members.length; k++) { const i = inverse[members[k]]; if (i >= 0) kept.push(i); }
    if (kept.length) { shards.push(Uint32Array.from(kept)); parentShard.push(s); }
  });
  return {
    ...base,
    shards,
    async *read(shard, ids) {
      for await (const { index, pixels } of source.read(parentShard[shard], ids.map((i) => indices[i]))) yield { index: inverse[index], pixels };
    },
  };
}

/**
 * A view of a source restricted to the named classes, relabelled by their position in `names`
 * (so a validation set is aligned to the training set's labels by class name, not by index).
 * Samples of other classes are left out.
 */
export function selectClasses(source: LabeledImageSource, names: readonly string[]): LabeledImageSource {
  const target = new Map(names.map((c, i) => [c, i]));
  const indices: number[] = [];
  const labels: number[] = [];
  for (let i = 0; i < source.size; i++) {
    const t = target.get(source.classes[source.label(i)]);
    if (t !== undefined) { indices.push(i); labels.push(t); }
  }
  const sameAll = names.length === source.classes.length && names.every((c, i) => source.classes[i] === c);
  if (sameAll) return source;
  return subsetSource(source, indices, `${source.description} (${names.length} classes)`, { labels, classes: names });
}

/** The first `limit` samples of each class (in the source's order), e.g. to validate on a small subset. */
export function limitPerClass(source: LabeledImageSource, limit: number): LabeledImageSource {
  const counts = new Map<number, number>();
  const indices: number[] = [];
  for (let i = 0; i < source.size; i++) {
    const c = source.label(i);
    const n = counts.get(c) ?? 0;
    if (n < limit) { indices.push(i); counts.set(c, n + 1); }
  }
  return subsetSource(source, indices, `${source.description} (≤${limit} per class)`);
}
