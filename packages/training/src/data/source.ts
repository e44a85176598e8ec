/**
 * What the trainer needs from a dataset: random access to labelled images, so that each epoch can
 * visit them in a seeded order and a resumed run can start at any step. Readers (an image folder,
 * @percept/dataset-imagenet's readers) adapt to this.
 */
import type { ImageBatch } from '@percept/core';

export interface LabeledImageSource {
  /** Where the data came from, for messages and the manifest. */
  readonly description: string;
  readonly size: number;
  /** Class names, in label order. */
  readonly classes: readonly string[];
  /** Label of sample i (0-based class index). */
  label(i: number): number;
  /** A name for sample i (a file path), used in error messages such as a NaN loss report. */
  name(i: number): string;
  /** Decodes sample i as a [1,H,W,3] batch in [0,1]. */
  load(i: number): Promise<ImageBatch>;
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
  return {
    description: sameAll ? source.description : `${source.description} (${names.length} classes)`,
    size: indices.length,
    classes: [...names],
    label: (i) => labels[i],
    name: (i) => source.name(indices[i]),
    load: (i) => source.load(indices[i]),
  };
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
  return {
    description: `${source.description} (≤${limit} per class)`,
    size: indices.length,
    classes: source.classes,
    label: (i) => source.label(indices[i]),
    name: (i) => source.name(indices[i]),
    load: (i) => source.load(indices[i]),
  };
}
